//! The thread that clones sandboxes (parent side).
//!
//! Each thread that calls `sandbox::run` gets one helper thread, started on its
//! first run and stopped when the calling thread ends. The helper makes every
//! clone of that thread's runs, for three reasons:
//! - **The network namespace** costs ≈ 0.5 ms to create, more than the other
//!   five namespaces together. The helper makes a fresh one for itself
//!   (`unshare(CLONE_NEWNET)` is per thread) while the caller builds the box, the
//!   mount plan and the cgroup; the clone then inherits it. Every run still gets
//!   a new, never-used namespace. It belongs to the host's user namespace, so
//!   nothing inside the sandbox can reconfigure it (no capability over it); the
//!   helper brings `lo` up itself for `--net loopback`.
//! - **cgroup v1 has no `CLONE_INTO_CGROUP`.** Moving init in through
//!   `cgroup.procs` takes the global `cgroup_threadgroup_rwsem` for writing,
//!   which waits for an RCU grace period when the lock was idle: measured here,
//!   a median of 5.9 ms per run when runs are 30 ms apart. A thread moving only
//!   itself (`0` into `tasks`) skips that lock (`cgroup_procs_write_start`,
//!   kernel/cgroup/cgroup.c). So the helper steps into the run's cgroup, clones
//!   init there (born inside, as on v2), and steps out to dokeru's parent
//!   cgroup. The CPU time it spent inside is returned so the caller subtracts it.
//!   A helper rather than the caller: the caller is often the main thread, whose
//!   memory cgroup is the one the whole process's pages are charged to.
//! - **`PR_SET_PDEATHSIG` follows the thread that cloned**, not the process: the
//!   helper lives as long as the calling thread, so a sandbox dies with it.
//!
//! For [`super::run::run_and_prepare_next`] (the judge's tests) the helper also
//! prepares the next sandbox — box, plan, cgroup, namespaces, root filesystem,
//! everything up to the program's fork — while the current program runs. A
//! second helper (the reaper, started on the first hand-off) tears finished runs
//! down after their results are returned, so that waiting for init's exit and
//! removing the cgroup never delays the next preparation: on two cores the three
//! threads (caller, spawner, reaper) and the sandbox's own processes overlap.

use super::cgroup::RunCgroup;
use super::run::{self, Leftover, Prepared, SandboxError, Template};
use super::spawn::{self, ChildPlan, Spawned};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

/// A clone for the helper to make. The plan is borrowed from the caller's stack,
/// which waits for the reply before it drops it.
struct CloneJob {
    plan: *const ChildPlan<'static>,
    cgroup: Arc<dyn RunCgroup>,
    loopback: bool,
}

type PrepareResult = Result<Prepared, SandboxError>;

// SAFETY: the pointer is only dereferenced by the helper while the caller blocks
// on the reply; the plan's raw pointers are only read (and by the clone's child).
unsafe impl Send for CloneJob {}

enum Request {
    /// Make a fresh network namespace for the next clone, in the background.
    Net { loopback: bool },
    /// Sweep the cgroups of killed dokerus (once per process).
    Sweep,
    Clone(CloneJob),
    /// Prepare a sandbox from this template; the result goes to `prepared`.
    Prepare(Template),
}

/// What a clone produced.
pub struct Cloned {
    pub spawned: Spawned,
    /// CPU time the helper spent inside the run's cgroup (v1), charged to it.
    pub cpu_in_cgroup: Duration,
}

/// The helper thread of the calling thread; see the module docs.
pub struct Spawner {
    requests: Option<mpsc::Sender<Request>>,
    replies: mpsc::Receiver<Result<Cloned, SandboxError>>,
    prepared: mpsc::Receiver<PrepareResult>,
    /// A Prepare was sent and its result not yet taken.
    pending: RefCell<Option<Template>>,
    /// The reaper: finished runs to tear down, in the background.
    reaper: RefCell<Option<(mpsc::Sender<Leftover>, std::thread::JoinHandle<()>)>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

thread_local! {
    static SPAWNER: RefCell<Option<Rc<Spawner>>> = const { RefCell::new(None) };
}

impl Spawner {
    /// The calling thread's helper, started on first use.
    ///
    /// # Errors
    /// The thread could not be started.
    pub fn for_this_thread() -> Result<Rc<Spawner>, SandboxError> {
        SPAWNER.with(|slot| {
            let mut slot = slot.borrow_mut();
            if let Some(s) = slot.as_ref() {
                return Ok(s.clone());
            }
            let s = Rc::new(Spawner::start()?);
            *slot = Some(s.clone());
            Ok(s)
        })
    }

    fn start() -> Result<Spawner, SandboxError> {
        let (req_tx, req_rx) = mpsc::channel::<Request>();
        let (rep_tx, rep_rx) = mpsc::channel();
        let (prep_tx, prep_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("dokeru-spawner".into())
            .spawn(move || serve(req_rx, rep_tx, prep_tx))
            .map_err(|e| SandboxError::new("start the spawner thread", e))?;
        Ok(Spawner {
            requests: Some(req_tx),
            replies: rep_rx,
            prepared: prep_rx,
            pending: RefCell::new(None),
            reaper: RefCell::new(None),
            thread: Some(thread),
        })
    }

    /// Drop the calling thread's helper: discard its prepared sandbox and wait
    /// for every teardown handed to it.
    pub fn release_this_thread() {
        let s = SPAWNER.with(|slot| slot.borrow_mut().take());
        drop(s);
    }

    /// Sweep the cgroups of killed dokerus, in the background, once per process.
    pub fn sweep_stale_once(&self) {
        static SENT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if !SENT.swap(true, std::sync::atomic::Ordering::Relaxed) {
            if let Some(tx) = &self.requests {
                let _ = tx.send(Request::Sweep);
            }
        }
    }

    /// Prepare a sandbox from `template` in the background, for the next run.
    pub fn prepare_ahead(&self, template: Template) {
        if let Some(tx) = &self.requests {
            if tx.send(Request::Prepare(template.clone())).is_ok() {
                *self.pending.borrow_mut() = Some(template);
            }
        }
    }

    /// The sandbox prepared ahead, if one was asked for: waits for it to be ready.
    /// None when none was prepared or it does not fit `template` (then it is
    /// discarded).
    pub fn take_prepared(&self, template: &Template) -> Option<PrepareResult> {
        let pending = self.pending.borrow_mut().take()?;
        let result = self.prepared.recv().ok()?;
        if pending.fits(template) {
            return Some(result);
        }
        if let Ok(p) = result {
            self.teardown(p.discard());
        }
        None
    }

    /// Hand a finished run's teardown to the reaper (started on first use; if it
    /// cannot be, the teardown happens here).
    pub fn teardown(&self, leftover: Leftover) {
        let mut reaper = self.reaper.borrow_mut();
        if reaper.is_none() {
            let (tx, rx) = mpsc::channel::<Leftover>();
            let started = std::thread::Builder::new().name("dokeru-reaper".into()).spawn(move || {
                while let Ok(l) = rx.recv() {
                    finish_or_warn(l);
                }
            });
            match started {
                Ok(t) => *reaper = Some((tx, t)),
                Err(_) => return finish_or_warn(leftover),
            }
        }
        if let Some((tx, _)) = reaper.as_ref() {
            if let Err(mpsc::SendError(l)) = tx.send(leftover) {
                finish_or_warn(l);
            }
        }
    }

    /// Start making the next run's network namespace now, in parallel with the
    /// caller's own preparation.
    pub fn prepare_net(&self, loopback: bool) {
        if let Some(tx) = &self.requests {
            let _ = tx.send(Request::Net { loopback });
        }
    }

    /// Clone init with `plan` in a fresh network namespace, born in `cgroup`.
    ///
    /// # Errors
    /// The namespace, the cgroup move or the clone failed.
    ///
    /// # Safety
    /// As [`spawn::clone_init_from_parent`]: `plan` and all it points to must stay
    /// valid and unchanged until the child has exec'd or failed.
    pub unsafe fn clone_init(&self, plan: &ChildPlan<'_>, cgroup: Arc<dyn RunCgroup>, loopback: bool) -> Result<Cloned, SandboxError> {
        let job = CloneJob { plan: (plan as *const ChildPlan<'_>).cast(), cgroup, loopback };
        let gone = || SandboxError::new("clone the sandbox", "the spawner thread is gone");
        self.requests.as_ref().ok_or_else(gone)?.send(Request::Clone(job)).map_err(|_| gone())?;
        self.replies.recv().map_err(|_| gone())?
    }
}

impl Drop for Spawner {
    fn drop(&mut self) {
        if self.pending.borrow_mut().take().is_some() {
            if let Ok(Ok(p)) = self.prepared.recv() {
                self.teardown(p.discard());
            }
        }
        // The helper serves what is queued, then its recv fails: it returns. The
        // reaper then finishes every teardown handed to it.
        self.requests = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some((tx, t)) = self.reaper.borrow_mut().take() {
            drop(tx);
            let _ = t.join();
        }
    }
}

/// The helper's network namespace state.
#[derive(Default)]
struct Net {
    /// The thread sits in a namespace no run has used yet.
    fresh: bool,
    loopback_up: bool,
    /// Making it failed: reported by the next clone.
    error: Option<SandboxError>,
}

impl Net {
    fn prepare(&mut self, loopback: bool) {
        if self.error.is_some() {
            return;
        }
        if !self.fresh {
            // SAFETY: unshare has no memory-safety preconditions; it affects this thread only.
            if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                self.error = Some(SandboxError::new("create the network namespace", std::io::Error::last_os_error()));
                return;
            }
            self.fresh = true;
            self.loopback_up = false;
        }
        if loopback && !self.loopback_up {
            match loopback_up() {
                Ok(()) => self.loopback_up = true,
                Err(e) => self.error = Some(SandboxError::new("bring up loopback", e)),
            }
        }
    }
}

fn finish_or_warn(leftover: Leftover) {
    if let Err(e) = leftover.finish() {
        // The run's result is already out; the next dokeru sweeps the cgroup.
        eprintln!("dokeru: warning: tearing a finished sandbox down: {e}");
    }
}

fn serve(requests: mpsc::Receiver<Request>, replies: mpsc::Sender<Result<Cloned, SandboxError>>, prepared: mpsc::Sender<PrepareResult>) {
    let mut net = Net::default();
    while let Ok(req) = requests.recv() {
        match req {
            Request::Net { loopback } => net.prepare(loopback),
            Request::Sweep => run::sweep_stale_once(),
            Request::Clone(job) => {
                // SAFETY: the caller blocks on the reply while the plan is used.
                let r = clone_job(&mut net, unsafe { &*job.plan }, &job.cgroup, job.loopback);
                if replies.send(r).is_err() {
                    return;
                }
            }
            Request::Prepare(template) => {
                let loopback = template.loopback();
                let r = run::prepare(template, run::Trace::new(), &mut |plan, cg| clone_job(&mut net, plan, &cg, loopback));
                if let Err(mpsc::SendError(Ok(p))) = prepared.send(r) {
                    finish_or_warn(p.discard());
                }
            }
        }
    }
}

fn clone_job(net: &mut Net, plan: &ChildPlan<'_>, cgroup: &Arc<dyn RunCgroup>, loopback: bool) -> Result<Cloned, SandboxError> {
    net.prepare(loopback);
    if let Some(e) = net.error.take() {
        return Err(e);
    }
    if !loopback && net.loopback_up {
        // Prepared for a loopback run that did not come: start over.
        net.fresh = false;
        net.prepare(false);
        if let Some(e) = net.error.take() {
            return Err(e);
        }
    }
    // Flush this thread's pending CPU time to where it is now before moving:
    // reading the thread clock updates the scheduler's accounting.
    let before = thread_cpu();
    let entered = cgroup.enter_thread().map_err(|e| SandboxError::new("move the spawner into the run's cgroup", crate::error_chain(&e)))?;
    // SAFETY: the plan is borrowed for the call; the child gets its own copy.
    let spawned = unsafe { spawn::clone_init_from_parent(plan, cgroup.clone_into_fd()) };
    let mut cpu_in_cgroup = Duration::ZERO;
    if entered {
        cpu_in_cgroup = thread_cpu().saturating_sub(before);
        if let Err(e) = cgroup.leave_thread() {
            if let Ok(s) = &spawned {
                // SAFETY: our child, not yet reaped.
                unsafe { libc::kill(s.pid, libc::SIGKILL) };
            }
            return Err(SandboxError::new("move the spawner out of the run's cgroup", crate::error_chain(&e)));
        }
    }
    // The namespace is the run's now; the next run gets a new one.
    net.fresh = false;
    let mut spawned = spawned.map_err(|e| SandboxError::new("clone the sandbox", e))?;
    if entered {
        spawned.in_cgroup = true;
    }
    Ok(Cloned { spawned, cpu_in_cgroup })
}

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec to write.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// `ip link set lo up` in the calling thread's network namespace.
fn loopback_up() -> std::io::Result<()> {
    // SAFETY: socket/ioctl/close on a fresh fd; ifreq is plain old data the
    // ioctls read and write.
    unsafe {
        let s = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if s < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut req: libc::ifreq = std::mem::zeroed();
        req.ifr_name[0] = b'l' as libc::c_char;
        req.ifr_name[1] = b'o' as libc::c_char;
        let mut r = libc::ioctl(s, libc::SIOCGIFFLAGS, &mut req);
        if r == 0 {
            req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
            r = libc::ioctl(s, libc::SIOCSIFFLAGS, &req);
        }
        let e = std::io::Error::last_os_error();
        libc::close(s);
        if r != 0 { Err(e) } else { Ok(()) }
    }
}
