//! Real filters in real processes.
//!
//! A filter can never be removed, so it is never applied in the test process itself:
//! each test forks a child that does exactly what the sandbox's child does (apply the
//! policy, hand the listener to the parent over a unix socket with SCM_RIGHTS, then one
//! syscall or an execve) using only async-signal-safe calls, since the test harness is
//! multi-threaded. That also checks [`Policy::apply_in_child`]'s promise: if it
//! allocated, the child could deadlock on a malloc lock and the test would time out.
//! No root needed: no_new_privs stands in for CAP_SYS_ADMIN (seccomp(2)).

use super::*;
use std::ffi::{CString, OsStr};
use std::io::{Read, Seek};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

/// What the forked child does once the filter is in place.
enum Act {
    /// A raw syscall(2); the child exits 0 if it returns at all.
    Syscall(libc::c_long, [libc::c_long; 3]),
    /// getpid through the i386 entry point (`int 0x80`, eax = 20).
    Int80Getpid,
    /// Checks done in the child: socket(AF_UNIX) works, clone3 and socket(AF_INET)
    /// fail with ENOSYS. Exit 0 when all hold, 2/3/4 for the first that does not.
    AllowedChecks,
    /// execve(argv[0], argv, environ of the test process).
    Exec(Vec<String>),
}

/// How the child ended and what the parent saw.
#[derive(Debug)]
struct Seen {
    notification: Option<Notification>,
    /// The child's pid, to compare with `notification.pid`.
    pid: i32,
    /// Raw wait status.
    status: i32,
    output: String,
    /// poll(2) revents of the listener after the child was reaped.
    listener_revents_after_exit: i16,
}

fn policy() -> Policy {
    Policy::load(
        "default",
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/seccomp"),
    )
    .unwrap()
}

fn cstring(s: impl AsRef<OsStr>) -> CString {
    CString::new(s.as_ref().as_bytes()).unwrap()
}

/// Send `fd` over `sock` with SCM_RIGHTS (unix(7)); async-signal-safe.
///
/// # Safety
/// `sock` must be a connected unix socket and `fd` an open fd.
unsafe fn send_fd_in_child(sock: RawFd, fd: RawFd) -> bool {
    #[repr(C, align(8))]
    struct CmsgBuf([u8; 64]);
    let mut byte = [0u8; 1];
    let mut buf = CmsgBuf([0; 64]);
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    // SAFETY: msghdr is plain data; zero is its documented initial state.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = buf.0.as_mut_ptr().cast();
    // SAFETY: CMSG_* are pure arithmetic on sizes.
    msg.msg_controllen = unsafe { libc::CMSG_SPACE(size_of::<RawFd>() as u32) } as usize;
    // SAFETY: msg_control points to 64 aligned bytes, more than CMSG_SPACE(4) = 24, so
    // the first header and its data lie inside `buf`.
    unsafe {
        let c = libc::CMSG_FIRSTHDR(&msg);
        (*c).cmsg_level = libc::SOL_SOCKET;
        (*c).cmsg_type = libc::SCM_RIGHTS;
        (*c).cmsg_len = libc::CMSG_LEN(size_of::<RawFd>() as u32) as usize;
        std::ptr::write_unaligned(libc::CMSG_DATA(c).cast::<RawFd>(), fd);
        libc::sendmsg(sock, &msg, 0) == 1
    }
}

/// Receive one fd sent by [`send_fd_in_child`]; `None` on EOF (the child died first).
fn recv_fd(sock: BorrowedFd) -> Option<OwnedFd> {
    let mut byte = [0u8; 1];
    let mut space = nix::cmsg_space!(RawFd);
    let mut iov = [std::io::IoSliceMut::new(&mut byte)];
    let msg = nix::sys::socket::recvmsg::<()>(
        sock.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        nix::sys::socket::MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .expect("recvmsg");
    for c in msg.cmsgs().expect("cmsgs") {
        if let nix::sys::socket::ControlMessageOwned::ScmRights(fds) = c {
            // SAFETY: SCM_RIGHTS just installed this fd in our table; nobody else owns it.
            return fds.first().map(|&fd| unsafe { OwnedFd::from_raw_fd(fd) });
        }
    }
    None
}

/// Fork a child that applies the default policy and does `act`; watch it from here.
fn run(act: Act, timeout: Duration) -> Seen {
    let policy = policy();
    let (parent_sock, child_sock) = nix::sys::socket::socketpair(
        nix::sys::socket::AddressFamily::Unix,
        nix::sys::socket::SockType::Stream,
        None,
        nix::sys::socket::SockFlag::SOCK_CLOEXEC,
    )
    .unwrap();
    let mut out = tempfile::tempfile().unwrap();
    // Everything the child touches is built here, before the fork.
    let argv_c: Vec<CString> = match &act {
        Act::Exec(argv) => argv.iter().map(cstring).collect(),
        _ => Vec::new(),
    };
    let mut argv_p: Vec<*const libc::c_char> = argv_c.iter().map(|c| c.as_ptr()).collect();
    argv_p.push(std::ptr::null());
    let env_c: Vec<CString> = std::env::vars_os()
        .map(|(k, v)| CString::new([k.as_bytes(), b"=", v.as_bytes()].concat()).unwrap())
        .collect();
    let mut env_p: Vec<*const libc::c_char> = env_c.iter().map(|c| c.as_ptr()).collect();
    env_p.push(std::ptr::null());
    let out_fd = out.as_raw_fd();
    let child_fd = child_sock.as_raw_fd();

    // SAFETY: the child below only makes async-signal-safe calls (dup2, prctl, seccomp,
    // sendmsg, close, the syscall under test, execve, _exit) on data prepared above,
    // which is what fork(2) in a multi-threaded process allows.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        // SAFETY: see the fork above; every path ends in execve or _exit.
        unsafe {
            libc::dup2(out_fd, 1);
            libc::dup2(out_fd, 2);
            let listener = match policy.apply_in_child() {
                Ok(fd) => fd,
                Err(_) => libc::_exit(120),
            };
            if !send_fd_in_child(child_fd, listener) {
                libc::_exit(121);
            }
            libc::close(listener);
            libc::close(child_fd);
            match &act {
                Act::Syscall(nr, a) => {
                    libc::syscall(*nr, a[0], a[1], a[2]);
                }
                Act::Int80Getpid => {
                    let mut eax: u32 = 20;
                    // The i386 entry does not preserve r8-r11 for a 64-bit caller.
                    std::arch::asm!("int 0x80", inout("eax") eax, out("r8") _, out("r9") _,
                        out("r10") _, out("r11") _, options(nostack));
                    let _ = eax;
                }
                Act::AllowedChecks => {
                    let s = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
                    if s < 0 {
                        libc::_exit(2);
                    }
                    let rc = libc::syscall(libc::SYS_clone3, std::ptr::null::<u8>(), 0usize);
                    if rc != -1 || *libc::__errno_location() != libc::ENOSYS {
                        libc::_exit(3);
                    }
                    let s = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
                    if s != -1 || *libc::__errno_location() != libc::ENOSYS {
                        libc::_exit(4);
                    }
                }
                Act::Exec(_) => {
                    libc::execve(argv_p[0], argv_p.as_ptr(), env_p.as_ptr());
                    libc::_exit(127);
                }
            }
            libc::_exit(0);
        }
    }
    drop(child_sock);
    let listener = recv_fd(parent_sock.as_fd());

    let mut notification = None;
    let start = Instant::now();
    let mut status = 0;
    loop {
        if let Some(l) = &listener {
            let mut pfd = [libc::pollfd {
                fd: l.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            }];
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(pfd.as_mut_ptr(), 1, 50) };
            if pfd[0].revents & libc::POLLIN != 0 {
                notification = Some(recv_notification(l.as_fd()).expect("recv_notification"));
                // The caller sits stopped in the syscall until answered; end it like
                // the sandbox does.
                // SAFETY: pid is our unreaped child.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        } else {
            std::thread::sleep(Duration::from_millis(50));
        }
        // SAFETY: pid is our child; status is a valid out-pointer.
        let rc = unsafe {
            libc::waitpid(
                pid,
                &mut status,
                if notification.is_some() {
                    0
                } else {
                    libc::WNOHANG
                },
            )
        };
        if rc == pid {
            break;
        }
        if start.elapsed() > timeout {
            // SAFETY: as above.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            panic!("child timed out after {timeout:?}");
        }
    }
    let mut listener_revents_after_exit = 0;
    if let Some(l) = &listener {
        let mut pfd = [libc::pollfd {
            fd: l.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(pfd.as_mut_ptr(), 1, 0) };
        listener_revents_after_exit = pfd[0].revents;
    }
    let mut output = String::new();
    out.rewind().unwrap();
    out.read_to_string(&mut output).unwrap();
    Seen {
        notification,
        pid,
        status,
        output,
        listener_revents_after_exit,
    }
}

/// The child must be stopped in `name` and then killed by our SIGKILL (the syscall
/// never returned).
fn assert_denied(seen: &Seen, name: &str) -> Notification {
    let n = seen
        .notification
        .unwrap_or_else(|| panic!("no notification for {name}: {seen:?}"));
    assert_eq!(n.syscall_name(), name, "{seen:?}");
    assert_eq!(n.pid as i32, seen.pid);
    assert!(
        libc::WIFSIGNALED(seen.status) && libc::WTERMSIG(seen.status) == libc::SIGKILL,
        "{seen:?}"
    );
    n
}

fn assert_ran_clean(seen: &Seen, what: &str) {
    assert!(
        seen.notification.is_none(),
        "{what}: denied {:?}; output:\n{}",
        seen.notification.map(|n| n.syscall_name()),
        seen.output
    );
    assert!(
        libc::WIFEXITED(seen.status) && libc::WEXITSTATUS(seen.status) == 0,
        "{what}: wait status {:#x}; output:\n{}",
        seen.status,
        seen.output
    );
}

const SHORT: Duration = Duration::from_secs(30);
const LONG: Duration = Duration::from_secs(180);

#[test]
fn unshare_newns_is_denied() {
    let seen = run(
        Act::Syscall(libc::SYS_unshare, [libc::CLONE_NEWNS as _, 0, 0]),
        SHORT,
    );
    let n = assert_denied(&seen, "unshare");
    assert_eq!(n.args[0], libc::CLONE_NEWNS as u64);
}

#[test]
fn packet_socket_is_denied() {
    let seen = run(
        Act::Syscall(
            libc::SYS_socket,
            [libc::AF_PACKET as _, libc::SOCK_RAW as _, 0],
        ),
        SHORT,
    );
    let n = assert_denied(&seen, "socket");
    assert_eq!(n.args[0], libc::AF_PACKET as u64);
}

#[test]
fn netlink_socket_is_denied() {
    let seen = run(
        Act::Syscall(
            libc::SYS_socket,
            [libc::AF_NETLINK as _, libc::SOCK_RAW as _, 0],
        ),
        SHORT,
    );
    assert_denied(&seen, "socket");
}

#[test]
fn ptrace_traceme_is_denied() {
    let seen = run(
        Act::Syscall(libc::SYS_ptrace, [libc::PTRACE_TRACEME as _, 0, 0]),
        SHORT,
    );
    assert_denied(&seen, "ptrace");
}

#[test]
fn clone_newuser_is_denied() {
    let flags = (libc::CLONE_NEWUSER | libc::SIGCHLD) as libc::c_long;
    let seen = run(Act::Syscall(libc::SYS_clone, [flags, 0, 0]), SHORT);
    assert_denied(&seen, "clone");
}

#[test]
fn x32_getpid_is_denied() {
    let seen = run(
        Act::Syscall(0x4000_0000 | libc::SYS_getpid, [0, 0, 0]),
        SHORT,
    );
    assert_denied(&seen, "x32:39");
}

#[test]
fn int80_getpid_is_denied() {
    let seen = run(Act::Int80Getpid, SHORT);
    if seen.notification.is_none()
        && libc::WIFSIGNALED(seen.status)
        && libc::WTERMSIG(seen.status) == libc::SIGSEGV
    {
        // Kernels built without IA32_EMULATION (or booted with ia32_emulation=0) fault
        // `int 0x80` before seccomp sees it: nothing to deny there.
        println!("skipped: this kernel has no i386 syscall entry (int 0x80 -> SIGSEGV)");
        return;
    }
    assert_denied(&seen, "i386:20");
}

#[test]
fn unix_socket_allowed_clone3_and_inet_enosys() {
    let seen = run(Act::AllowedChecks, SHORT);
    assert_ran_clean(&seen, "socket(AF_UNIX), clone3, socket(AF_INET)");
}

#[test]
fn shell_runs_under_the_filter() {
    let seen = run(
        Act::Exec(vec!["/bin/sh".into(), "-c".into(), "echo hi".into()]),
        SHORT,
    );
    assert_ran_clean(&seen, "sh");
    assert_eq!(seen.output, "hi\n");
    // Once no task uses the filter the listener reports POLLHUP: how the sandbox's
    // parent can tell "program gone" from "notification pending".
    assert_ne!(
        seen.listener_revents_after_exit & libc::POLLHUP,
        0,
        "{seen:?}"
    );
}

/// `name` on PATH, or None with a printed reason.
fn find(name: &str) -> Option<String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        println!("skipped: {name} is not installed");
    }
    found.map(|p| p.display().to_string())
}

#[test]
fn python_threads_run_under_the_filter() {
    let Some(python) = find("python3") else {
        return;
    };
    let code = "import threading; t = threading.Thread(target=print, args=('thread ran',)); t.start(); t.join()";
    let seen = run(Act::Exec(vec![python, "-c".into(), code.into()]), LONG);
    assert_ran_clean(&seen, "python3 threading");
    assert!(seen.output.contains("thread ran"), "{}", seen.output);
}

#[test]
fn java_runs_under_the_filter() {
    let Some(java) = find("java") else { return };
    let seen = run(Act::Exec(vec![java, "-version".into()]), LONG);
    assert_ran_clean(&seen, "java -version");
    assert!(seen.output.contains("version"), "{}", seen.output);
}

#[test]
fn node_runs_under_the_filter() {
    let Some(node) = find("node") else { return };
    let seen = run(
        Act::Exec(vec![node, "-e".into(), "console.log(1 + 1)".into()]),
        LONG,
    );
    assert_ran_clean(&seen, "node -e");
    assert_eq!(seen.output, "2\n");
}

/// gcc (cc1, as, collect2/ld), rustc and javac, each compiling and (for the native
/// ones) running a hello world, all under the filter.
#[test]
fn compilers_run_under_the_filter() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let mut jobs = Vec::new();
    if find("cc").is_some() {
        std::fs::write(
            dir.path().join("h.c"),
            "#include <stdio.h>\nint main(void){puts(\"c ok\");return 0;}\n",
        )
        .unwrap();
        jobs.push(format!("cc -O2 -o {d}/hc {d}/h.c && {d}/hc"));
    }
    if find("g++").is_some() {
        std::fs::write(
            dir.path().join("h.cc"),
            "#include <iostream>\nint main(){std::cout<<\"c++ ok\\n\";}\n",
        )
        .unwrap();
        jobs.push(format!("g++ -O2 -o {d}/hcc {d}/h.cc && {d}/hcc"));
    }
    if find("rustc").is_some() {
        std::fs::write(
            dir.path().join("h.rs"),
            "fn main(){ std::thread::spawn(|| println!(\"rust ok\")).join().unwrap(); }\n",
        )
        .unwrap();
        jobs.push(format!("rustc -O -o {d}/hrs {d}/h.rs && {d}/hrs"));
    }
    if find("javac").is_some() {
        std::fs::write(dir.path().join("H.java"), "class H { public static void main(String[] a) { System.out.println(\"java ok\"); } }\n").unwrap();
        jobs.push(format!("javac -d {d} {d}/H.java && java -cp {d} H"));
    }
    for job in jobs {
        let seen = run(
            Act::Exec(vec!["/bin/sh".into(), "-c".into(), job.clone()]),
            LONG,
        );
        assert_ran_clean(&seen, &job);
        assert!(seen.output.contains(" ok"), "{job}: {}", seen.output);
    }
}
