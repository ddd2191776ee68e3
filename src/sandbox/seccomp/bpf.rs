//! The hand-written parts of the BPF programs: the ABI prefix and the TRAP → USER_NOTIF
//! rewrite. Pure functions over instruction vectors, so the tests can read them.
//!
//! Program layout (see `Documentation/userspace-api/seccomp_filter.rst` and
//! seccomp(2), "Filter return values"):
//!
//! ```text
//! deny:   [ABI prefix, foreign → USER_NOTIF] [unknown nr → ENOSYS] [seccompiler program]
//! errno:  [ABI prefix, foreign → ALLOW]                            [seccompiler program]
//! ```
//!
//! seccompiler's own program starts with its own architecture check
//! (`ld arch; jeq X86_64, +1; ret KILL_PROCESS`), which we keep: after our prefix it can
//! no longer fail, and it reloads the accumulator itself, so the prefix may leave any
//! value there. All BPF jumps are relative to the next instruction, so prepending shifts
//! nothing inside seccompiler's code.

use seccompiler::sock_filter;

// <linux/bpf_common.h>
const BPF_LD: u16 = 0x00;
const BPF_W: u16 = 0x00;
const BPF_ABS: u16 = 0x20;
const BPF_JMP: u16 = 0x05;
const BPF_JEQ: u16 = 0x10;
const BPF_JGT: u16 = 0x20;
const BPF_JGE: u16 = 0x30;
const BPF_K: u16 = 0x00;
const BPF_RET: u16 = 0x06;

/// `ret #k`: the opcode of every return with a constant action.
pub(crate) const RET_K: u16 = BPF_RET | BPF_K;

// Offsets in `struct seccomp_data` (<linux/seccomp.h>): int nr; __u32 arch; ...
const DATA_NR_OFFSET: u32 = 0;
const DATA_ARCH_OFFSET: u32 = 4;

/// <linux/audit.h>: EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE.
pub(crate) const AUDIT_ARCH_X86_64: u32 = 62 | 0x8000_0000 | 0x4000_0000;
/// <linux/audit.h>: EM_386 | __AUDIT_ARCH_LE. What `int 0x80` (and sysenter) report.
pub(crate) const AUDIT_ARCH_I386: u32 = 3 | 0x4000_0000;
/// `__X32_SYSCALL_BIT` (<asm/unistd.h>): x32 calls enter through the 64-bit path with
/// the x86_64 arch value and this bit set in the number, so only the number tells them
/// apart.
pub(crate) const X32_SYSCALL_BIT: u32 = 0x4000_0000;

pub(crate) const SECCOMP_RET_TRAP: u32 = libc::SECCOMP_RET_TRAP;
pub(crate) const SECCOMP_RET_USER_NOTIF: u32 = libc::SECCOMP_RET_USER_NOTIF;
pub(crate) const SECCOMP_RET_ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
pub(crate) const SECCOMP_RET_ERRNO: u32 = libc::SECCOMP_RET_ERRNO;

/// BPF_MAXINSNS: the kernel refuses longer classic-BPF programs.
pub(crate) const MAX_INSNS: usize = 4096;

fn stmt(code: u16, k: u32) -> sock_filter {
    sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> sock_filter {
    sock_filter { code, jt, jf, k }
}

/// The ABI check that opens both programs: returns `foreign_action` for anything that
/// is not a native x86_64 call.
///
/// A deny list written in x86_64 numbers means nothing for the other two syscall ABIs
/// of an x86_64 kernel: `int 0x80` arrives as AUDIT_ARCH_I386 with the i386 numbers
/// (where 165 is getresuid, not mount), and x32 arrives as AUDIT_ARCH_X86_64 with
/// [`X32_SYSCALL_BIT`] set. Both are routes around a deny list (seccomp(2), "Caveats";
/// the x32 case is why the man page's example checks `nr >= X32_SYSCALL_BIT`).
pub(crate) fn abi_prefix(foreign_action: u32) -> Vec<sock_filter> {
    vec![
        stmt(BPF_LD | BPF_W | BPF_ABS, DATA_ARCH_OFFSET),
        jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        stmt(RET_K, foreign_action),
        stmt(BPF_LD | BPF_W | BPF_ABS, DATA_NR_OFFSET),
        // Unsigned compare: a negative nr (syscall(-1)) also lands here. Such a call
        // can only fail with ENOSYS, so ending the run for it loses nothing.
        jump(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1),
        stmt(RET_K, foreign_action),
    ]
}

/// Fails every syscall numbered above `last_known_nr` with ENOSYS.
///
/// A deny list cannot name syscalls that did not exist when it was written, and new
/// ones (the mount API, io_uring, bpf) have been exactly the risky kind. ENOSYS is what
/// an older kernel answers, and every libc falls back on it. Expects the accumulator to
/// hold `nr` (the end of [`abi_prefix`]).
pub(crate) fn unknown_nr_enosys(last_known_nr: u32) -> Vec<sock_filter> {
    vec![
        jump(BPF_JMP | BPF_JGT | BPF_K, last_known_nr, 0, 1),
        stmt(RET_K, SECCOMP_RET_ERRNO | libc::ENOSYS as u32),
    ]
}

/// A decision tree that lets every syscall the filter has no rule for through at
/// once (`ret ALLOW`), and falls through to the full program for the others.
///
/// Why: the kernel prepares a per-syscall "always allowed" cache when a filter is
/// attached by emulating the filter for every syscall number (seccomp_cache_prepare,
/// Linux 5.11+), and every call of the program walks it too. seccompiler emits one
/// comparison per rule in a line, so a ~60-rule deny list costs ~130 instructions for
/// each allowed call and ~0.3 ms per run just to attach. A balanced tree over the
/// sorted numbers answers in ~8. Only valid where the filter's mismatch action is
/// ALLOW (ours are). Expects the accumulator to hold `nr`. Returns `None` if the tree
/// would need a jump longer than classic BPF's 255.
pub(crate) fn allow_fast_path(numbers: &[u32]) -> Option<Vec<sock_filter>> {
    #[derive(Clone, Copy)]
    enum To {
        Next,
        Match,
        Allow,
        Skip(usize),
    }
    // (opcode, k, jt, jf)
    fn build(v: &[u32], out: &mut Vec<(u16, u32, To, To)>) {
        if v.len() <= 3 {
            for (i, &n) in v.iter().enumerate() {
                let last = i + 1 == v.len();
                out.push((BPF_JMP | BPF_JEQ | BPF_K, n, To::Match, if last { To::Allow } else { To::Next }));
            }
            if v.is_empty() {
                out.push((BPF_JMP, 0, To::Allow, To::Allow)); // ja ALLOW
            }
            return;
        }
        let mid = v.len() / 2;
        let at = out.len();
        out.push((BPF_JMP | BPF_JGE | BPF_K, v[mid], To::Next, To::Next));
        let left_start = out.len();
        build(&v[..mid], out);
        let left_len = out.len() - left_start;
        out[at].2 = To::Skip(left_len); // nr >= v[mid]: skip the left subtree
        build(&v[mid..], out);
    }
    let mut sorted = numbers.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut tree = Vec::new();
    build(&sorted, &mut tree);
    let allow_at = tree.len();
    let match_at = allow_at + 1;
    let mut out = Vec::with_capacity(tree.len() + 1);
    for (i, (code, k, jt, jf)) in tree.iter().copied().enumerate() {
        let rel = |t: To| -> Option<u8> {
            let target = match t {
                To::Next => i + 1,
                To::Match => match_at,
                To::Allow => allow_at,
                To::Skip(n) => i + 1 + n,
            };
            u8::try_from(target - (i + 1)).ok()
        };
        if code == BPF_JMP {
            // `ja` takes its offset in k.
            out.push(stmt(BPF_JMP, (allow_at - (i + 1)) as u32));
        } else {
            out.push(jump(code, k, rel(jt)?, rel(jf)?));
        }
    }
    out.push(stmt(RET_K, SECCOMP_RET_ALLOW));
    Some(out)
}

/// Rewrites every `ret TRAP` into `ret USER_NOTIF`; returns how many it rewrote.
///
/// seccompiler has no USER_NOTIF action, so deny rules are written with `trap` and
/// turned into user notifications here. USER_NOTIF (seccomp_unotify(2)) stops the
/// thread inside the syscall and tells the supervisor, over the listener fd, exactly
/// which syscall and arguments it was; the supervisor then kills the run. KILL_PROCESS
/// would end it with SIGSYS but name nothing, and TRAP delivers a SIGSYS the program
/// can catch and ignore. Only `ret #k` instructions are touched: a comparison against
/// the value 0x30000 in some argument rule must stay as it is.
pub(crate) fn trap_to_user_notif(program: &mut [sock_filter]) -> usize {
    let mut rewritten = 0;
    for insn in program.iter_mut() {
        if insn.code == RET_K && insn.k == SECCOMP_RET_TRAP {
            insn.k = SECCOMP_RET_USER_NOTIF;
            rewritten += 1;
        }
    }
    rewritten
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A tiny interpreter of the instructions we and seccompiler emit, enough to run a
    /// whole program against a `seccomp_data` in the tests without loading it.
    pub(crate) fn run(program: &[sock_filter], nr: i32, arch: u32, args: [u64; 6]) -> u32 {
        let mut acc: u32 = 0;
        let mut pc = 0usize;
        let load = |off: u32| -> u32 {
            match off {
                0 => nr as u32,
                4 => arch,
                o if (16..64).contains(&o) => {
                    let i = ((o - 16) / 8) as usize;
                    if (o - 16) % 8 == 0 {
                        args[i] as u32
                    } else {
                        (args[i] >> 32) as u32
                    }
                }
                o => panic!("load from offset {o}"),
            }
        };
        loop {
            let insn = &program[pc];
            pc += 1;
            match insn.code {
                c if c == BPF_LD | BPF_W | BPF_ABS => acc = load(insn.k),
                c if c == RET_K => return insn.k,
                c if c == BPF_JMP => pc += insn.k as usize, // ja
                c if c == BPF_JMP | BPF_JEQ | BPF_K => {
                    pc += if acc == insn.k { insn.jt } else { insn.jf } as usize
                }
                c if c == BPF_JMP | BPF_JGT | BPF_K => {
                    pc += if acc > insn.k { insn.jt } else { insn.jf } as usize
                }
                c if c == BPF_JMP | BPF_JGE | BPF_K => {
                    pc += if acc >= insn.k { insn.jt } else { insn.jf } as usize
                }
                // and #k (seccompiler's masked_eq)
                0x54 => acc &= insn.k,
                c => panic!("opcode {c:#x} not interpreted"),
            }
        }
    }

    #[test]
    fn prefix_sends_foreign_abis_to_the_given_action() {
        let mut p = abi_prefix(SECCOMP_RET_USER_NOTIF);
        p.push(stmt(RET_K, SECCOMP_RET_ALLOW));
        assert_eq!(run(&p, 20, AUDIT_ARCH_I386, [0; 6]), SECCOMP_RET_USER_NOTIF);
        assert_eq!(
            run(&p, 0x4000_0000 | 165, AUDIT_ARCH_X86_64, [0; 6]),
            SECCOMP_RET_USER_NOTIF
        );
        assert_eq!(
            run(&p, -1, AUDIT_ARCH_X86_64, [0; 6]),
            SECCOMP_RET_USER_NOTIF
        );
        assert_eq!(run(&p, 165, AUDIT_ARCH_X86_64, [0; 6]), SECCOMP_RET_ALLOW);
        assert_eq!(
            run(&p, 0x3fff_ffff, AUDIT_ARCH_X86_64, [0; 6]),
            SECCOMP_RET_ALLOW
        );
    }

    #[test]
    fn unknown_numbers_get_enosys() {
        let mut p = abi_prefix(SECCOMP_RET_USER_NOTIF);
        p.extend(unknown_nr_enosys(462));
        p.push(stmt(RET_K, SECCOMP_RET_ALLOW));
        assert_eq!(run(&p, 462, AUDIT_ARCH_X86_64, [0; 6]), SECCOMP_RET_ALLOW);
        assert_eq!(
            run(&p, 463, AUDIT_ARCH_X86_64, [0; 6]),
            SECCOMP_RET_ERRNO | 38
        );
    }

    #[test]
    fn fast_path_allows_exactly_the_unlisted_numbers() {
        for n in [0usize, 1, 2, 3, 4, 7, 20, 65, 120] {
            let listed: Vec<u32> = (0..n as u32).map(|i| i * 7 + 3).collect();
            let mut p = vec![stmt(BPF_LD | BPF_W | BPF_ABS, DATA_NR_OFFSET)];
            p.extend(allow_fast_path(&listed).expect("fits"));
            p.push(stmt(RET_K, SECCOMP_RET_TRAP)); // "the full program"
            for nr in 0..1000 {
                let want = if listed.contains(&(nr as u32)) { SECCOMP_RET_TRAP } else { SECCOMP_RET_ALLOW };
                assert_eq!(run(&p, nr, AUDIT_ARCH_X86_64, [0; 6]), want, "n={n} nr={nr}");
            }
        }
    }

    #[test]
    fn rewrite_touches_only_returns() {
        let mut p = vec![
            jump(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_RET_TRAP, 0, 1),
            stmt(RET_K, SECCOMP_RET_TRAP),
            stmt(RET_K, SECCOMP_RET_ALLOW),
        ];
        assert_eq!(trap_to_user_notif(&mut p), 1);
        assert_eq!(p[0].k, SECCOMP_RET_TRAP);
        assert_eq!(p[1].k, SECCOMP_RET_USER_NOTIF);
        assert_eq!(p[2].k, SECCOMP_RET_ALLOW);
    }
}
