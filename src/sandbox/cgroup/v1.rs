//! cgroup v1 (legacy and hybrid hosts): one directory per controller mount,
//! `<mount>/<parent>/<run>`.
//!
//! Kernel documents: Documentation/admin-guide/cgroup-v1/{memory,cpuacct,cpusets,pids}.rst.
//! A run always joins memory, cpuacct (CPU time) and pids (when mounted); it joins cpu and
//! cpuset only when a limit needs them, which saves a mkdir, writes and an rmdir per run.
//! Mounts may be shared (`cpu,cpuacct`): each distinct directory is created and joined once.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::files::{self, CounterFile};
use super::mountinfo::V1Mounts;
use super::{CgroupError, CgroupLimits, CpuUsage, Feature, MemoryEvents, MemoryPeak, RunCgroup};

/// The v1 controller mounts and dokeru's parent name under each.
#[derive(Debug, Clone)]
pub struct V1Hierarchy {
    mounts: V1Mounts,
    parent_name: String,
    /// Test hook: names of plain files to create in each new directory, standing in for
    /// the interface files the kernel creates on cgroupfs. Empty in production.
    fake_files: Vec<String>,
}

impl V1Hierarchy {
    /// Touches nothing: parents are created lazily by [`V1Hierarchy::create_run`].
    ///
    /// # Errors
    /// `MissingController` when the memory controller is not mounted.
    pub fn new(mounts: V1Mounts, parent_name: &str) -> Result<V1Hierarchy, CgroupError> {
        super::validate_parent_name(parent_name)?;
        if mounts.memory.is_none() {
            return Err(CgroupError::MissingController { controller: "memory" });
        }
        Ok(V1Hierarchy { mounts, parent_name: parent_name.to_string(), fake_files: Vec::new() })
    }

    /// For tests on a fake tree: every directory this hierarchy creates gets these plain files.
    pub fn with_fake_files(mut self, files: &[&str]) -> V1Hierarchy {
        self.fake_files = files.iter().map(|f| f.to_string()).collect();
        self
    }

    pub fn mounts(&self) -> &V1Mounts {
        &self.mounts
    }

    /// dokeru's parent directory in the hierarchy mounted at `mount`.
    pub fn parent_in(&self, mount: &Path) -> PathBuf {
        mount.join(&self.parent_name)
    }

    /// Every distinct mount dokeru may use (co-mounted controllers appear once).
    fn all_mounts(&self) -> Vec<PathBuf> {
        let m = &self.mounts;
        let mut out: Vec<PathBuf> = Vec::new();
        for path in [&m.memory, &m.cpuacct, &m.pids, &m.cpu, &m.cpuset].into_iter().flatten() {
            if !out.contains(path) {
                out.push(path.clone());
            }
        }
        out
    }

    /// Create the parent under `mount` (each component of a nested name), idempotently.
    /// In the cpuset hierarchy a new cgroup starts with empty `cpuset.cpus`/`cpuset.mems`
    /// and no process may join it until both are set (cpusets.rst §1.4 and §2.1), so they
    /// are copied from the level above whenever they are empty.
    fn ensure_parent(&self, mount: &Path) -> Result<PathBuf, CgroupError> {
        let is_cpuset = self.mounts.cpuset.as_deref() == Some(mount);
        let mut dir = mount.to_path_buf();
        for component in Path::new(&self.parent_name).components() {
            let above = dir.clone();
            dir.push(component);
            if files::mkdir_idempotent(&dir)? {
                files::create_fake_files(&dir, &self.fake_files)?;
            }
            if is_cpuset {
                copy_if_empty(&above, &dir, "cpuset.cpus")?;
                copy_if_empty(&above, &dir, "cpuset.mems")?;
            }
        }
        Ok(dir)
    }

    /// Create and configure the cgroup of one run; on any failure what was created is removed.
    pub fn create_run(&self, name: &str, limits: &CgroupLimits) -> Result<V1Run, CgroupError> {
        super::validate_run_name(name)?;
        let m = &self.mounts;
        let memory_mount = m.memory.clone().ok_or(CgroupError::MissingController { controller: "memory" })?;
        let cpuacct_mount = m.cpuacct.clone().ok_or(CgroupError::MissingController { controller: "cpuacct" })?;
        let needs_cpu = limits.cpu_quota.is_some() || limits.cpu_shares.is_some();
        let cpu_mount = match (needs_cpu, &m.cpu) {
            (false, _) => None,
            (true, Some(p)) => Some(p.clone()),
            (true, None) => return Err(CgroupError::MissingController { controller: "cpu" }),
        };
        let cpuset_mount = match (&limits.cpus, &m.cpuset) {
            (None, _) => None,
            (Some(_), Some(p)) => Some(p.clone()),
            (Some(_), None) => return Err(CgroupError::MissingController { controller: "cpuset" }),
        };
        if limits.pids_max.is_some() && m.pids.is_none() {
            return Err(CgroupError::MissingController { controller: "pids" });
        }
        // Memory first: it is the one every other step relies on (procs listing, kill loop).
        let mut mounts: Vec<PathBuf> = Vec::new();
        for mount in [Some(memory_mount.clone()), Some(cpuacct_mount.clone()), m.pids.clone(), cpu_mount, cpuset_mount].into_iter().flatten() {
            if !mounts.contains(&mount) {
                mounts.push(mount);
            }
        }

        let mut run = V1Run {
            dirs: Vec::new(),
            memory_dir: self.parent_in(&memory_mount).join(name),
            cpuacct_dir: self.parent_in(&cpuacct_mount).join(name),
            cpuacct_usage: None,
            has_peak: false,
            sampled_peak_bytes: AtomicU64::new(0),
            fake_files: self.fake_files.clone(),
            pids_max: None,
        };
        let configured = self.build_run(&mut run, &mounts, name, limits);
        if let Err(e) = configured {
            // Best effort: these directories are new, empty and ours; the first error matters more.
            let _ = run.destroy();
            return Err(e);
        }
        Ok(run)
    }

    fn build_run(&self, run: &mut V1Run, mounts: &[PathBuf], name: &str, limits: &CgroupLimits) -> Result<(), CgroupError> {
        for mount in mounts {
            let parent = self.ensure_parent(mount)?;
            let dir = parent.join(name);
            files::mkdir_fresh(&dir)?;
            run.dirs.push(dir.clone());
            files::create_fake_files(&dir, &self.fake_files)?;
            if self.mounts.cpuset.as_ref() == Some(mount) {
                if let Some(cpus) = &limits.cpus {
                    files::write_value(&dir.join("cpuset.cpus"), cpus)?;
                }
                copy_if_empty(&parent, &dir, "cpuset.mems")?;
            }
            if self.mounts.memory.as_ref() == Some(mount) {
                apply_memory_limits(&dir, limits)?;
            }
            if self.mounts.cpu.as_ref() == Some(mount) {
                apply_cpu_limits(&dir, limits)?;
            }
            if let (true, Some(max)) = (self.mounts.pids.as_ref() == Some(mount), limits.pids_max) {
                files::write_value(&dir.join("pids.max"), &max.to_string())?;
                run.pids_max = Some((dir.join("pids.max"), max));
            }
        }
        run.cpuacct_usage = Some(CounterFile::open(run.cpuacct_dir.join("cpuacct.usage"))?);
        run.has_peak = run.memory_dir.join("memory.max_usage_in_bytes").exists();
        Ok(())
    }

    /// Kill and remove every run cgroup under the parents whose owner `alive` says is dead.
    pub fn sweep_stale(&self, alive: &dyn Fn(&str) -> bool) -> Result<usize, CgroupError> {
        let mounts = self.all_mounts();
        let mut names: Vec<String> = Vec::new();
        for mount in &mounts {
            for name in files::child_dirs(&self.parent_in(mount))? {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        let mut removed = 0;
        for name in names {
            if alive(&name) {
                continue;
            }
            // A crashed run may exist in only some controllers; take the ones that are there.
            let dirs: Vec<PathBuf> = mounts.iter().map(|m| self.parent_in(m).join(&name)).filter(|d| d.is_dir()).collect();
            destroy_dirs(&dirs, &self.fake_files)?;
            removed += 1;
        }
        Ok(removed)
    }

    /// What works and what does not, for `dokeru doctor`. Read-only: on v1 the root of each
    /// mount has every interface file, so nothing needs to be created to look.
    pub fn features(&self) -> Vec<Feature> {
        let m = &self.mounts;
        let mut out = vec![Feature::ok("cgroup version", "v1 (legacy or hybrid hierarchy)".to_string())];
        for (controller, mount, cost, hint) in [
            ("memory", &m.memory, "no --mem, no peak memory, no OOM detection: runs refuse to start", "mount the v1 memory controller (and do not boot with cgroup_disable=memory)"),
            ("cpuacct", &m.cpuacct, "CPU time cannot be measured for the whole tree: runs refuse to start", "mount the v1 cpuacct controller"),
            ("cpu", &m.cpu, "--percent and --shares cannot be applied", "mount the v1 cpu controller"),
            ("cpuset", &m.cpuset, "--cpus cannot be applied", "mount the v1 cpuset controller"),
            ("pids", &m.pids, "--pids cannot be applied (no fork-bomb protection)", "mount the v1 pids controller"),
        ] {
            let name = format!("controller {controller}");
            out.push(match mount {
                Some(path) => Feature::ok(&name, format!("mounted at {}", path.display())),
                None => Feature::missing(&name, format!("not mounted: {cost}"), hint),
            });
        }
        if let Some(memory) = &m.memory {
            out.push(if memory.join("memory.max_usage_in_bytes").exists() {
                Feature::ok("memory peak counter", "memory.max_usage_in_bytes".to_string())
            } else {
                Feature::missing(
                    "memory peak counter",
                    "missing memory.max_usage_in_bytes: peak memory is sampled from memory.usage_in_bytes and can miss short spikes".to_string(),
                    "use a kernel with CONFIG_MEMCG (or move to cgroup v2)",
                )
            });
            out.push(if memory.join("memory.memsw.limit_in_bytes").exists() {
                Feature::ok("swap accounting", "memory.memsw.limit_in_bytes is set to the memory limit: a run never swaps".to_string())
            } else {
                Feature::missing(
                    "swap accounting",
                    "missing memory.memsw.*: swap cannot be capped; only memory.swappiness=0 is set, so a run may still swap instead of hitting --mem".to_string(),
                    "boot with swapaccount=1 (kernel with CONFIG_MEMCG_SWAP), or disable swap on the host",
                )
            });
        }
        out.push(Feature::missing(
            "cgroup.kill",
            "not on cgroup v1: processes are killed one by one in a loop until the cgroup is empty".to_string(),
            "cgroup v2 (Linux >= 5.14) kills a whole tree atomically",
        ));
        out
    }
}

/// Copy `file` from `from` to `to` when `to`'s copy is empty (a fresh cpuset cgroup).
fn copy_if_empty(from: &Path, to: &Path, file: &str) -> Result<(), CgroupError> {
    if !files::read_string(&to.join(file))?.trim().is_empty() {
        return Ok(());
    }
    let value = files::read_string(&from.join(file))?;
    files::write_value(&to.join(file), value.trim())
}

fn apply_memory_limits(dir: &Path, limits: &CgroupLimits) -> Result<(), CgroupError> {
    if let Some(bytes) = limits.memory_max_bytes {
        // Order matters: memsw must never be below the memory limit, so the memory limit
        // goes first; setting memsw to the same value leaves no room for swap.
        files::write_value(&dir.join("memory.limit_in_bytes"), &bytes.to_string())?;
        let memsw = dir.join("memory.memsw.limit_in_bytes");
        if memsw.exists() {
            files::write_value(&memsw, &bytes.to_string())?;
        }
    }
    // Swap is never used (run.md). Without swap accounting this is the only lever.
    files::write_value(&dir.join("memory.swappiness"), "0")?;
    if let Some(bytes) = limits.memory_soft_bytes {
        files::write_value(&dir.join("memory.soft_limit_in_bytes"), &bytes.to_string())?;
    }
    Ok(())
}

fn apply_cpu_limits(dir: &Path, limits: &CgroupLimits) -> Result<(), CgroupError> {
    if let Some((quota_us, period_us)) = limits.cpu_quota {
        // Period first: the kernel checks quota against the current period.
        files::write_value(&dir.join("cpu.cfs_period_us"), &period_us.to_string())?;
        files::write_value(&dir.join("cpu.cfs_quota_us"), &quota_us.to_string())?;
    }
    if let Some(shares) = limits.cpu_shares {
        files::write_value(&dir.join("cpu.shares"), &shares.to_string())?;
    }
    Ok(())
}

/// Kill every process in `dirs` (and in any sub-cgroup), wait until empty, rmdir each.
/// Directories already gone are skipped, so this is idempotent.
fn destroy_dirs(dirs: &[PathBuf], fake_files: &[String]) -> Result<(), CgroupError> {
    // Usually every process is gone already: one rmdir per directory.
    let left: Vec<PathBuf> = dirs.iter().filter(|d| !files::rmdir_if_empty(d, fake_files)).cloned().collect();
    if left.is_empty() {
        return Ok(());
    }
    kill_dirs(&left)?;
    for dir in &left {
        remove_tree(dir, fake_files)?;
    }
    Ok(())
}

fn kill_dirs(dirs: &[PathBuf]) -> Result<(), CgroupError> {
    for dir in dirs {
        // Processes are normally in every joined controller at once; looping over each
        // also catches one that joined only some before a crash.
        files::kill_loop(&dir.join("cgroup.procs"), files::EMPTY_TIMEOUT)?;
        let children: Vec<PathBuf> = files::child_dirs(dir)?.into_iter().map(|c| dir.join(c)).collect();
        kill_dirs(&children)?;
    }
    Ok(())
}

fn remove_tree(dir: &Path, fake_files: &[String]) -> Result<(), CgroupError> {
    if !dir.exists() {
        return Ok(());
    }
    for child in files::child_dirs(dir)? {
        remove_tree(&dir.join(child), fake_files)?;
    }
    files::wait_empty(&dir.join("cgroup.procs"), files::EMPTY_TIMEOUT)?;
    files::remove_fake_files(dir, fake_files);
    files::rmdir_retry(dir, files::RMDIR_BUSY_TIMEOUT)
}

/// One run's cgroup on v1: one directory per joined controller mount.
#[derive(Debug)]
pub struct V1Run {
    /// Every directory created, memory first.
    dirs: Vec<PathBuf>,
    memory_dir: PathBuf,
    cpuacct_dir: PathBuf,
    /// `cpuacct.usage` kept open for [`RunCgroup::cpu_total`]; None only mid-construction.
    cpuacct_usage: Option<CounterFile>,
    has_peak: bool,
    /// Highest `memory.usage_in_bytes` seen, for kernels without a peak counter.
    sampled_peak_bytes: AtomicU64,
    fake_files: Vec<String>,
    /// `pids.max` and the run's limit: raised by one while a spawner thread is
    /// inside ([`RunCgroup::enter_thread`]), since the thread counts too.
    pids_max: Option<(PathBuf, u64)>,
}

/// `cpuacct.usage` is one decimal number of nanoseconds (< 21 digits).
const USAGE_BUF_BYTES: usize = 64;

impl V1Run {
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    fn usage_counter(&self) -> Result<&CounterFile, CgroupError> {
        self.cpuacct_usage.as_ref().ok_or(CgroupError::MissingController { controller: "cpuacct" })
    }

    /// User/system split: `cpuacct.usage_user`/`usage_sys` (ns) where the kernel has them
    /// (4.12+), else `cpuacct.stat` in USER_HZ ticks.
    fn user_system(&self) -> Result<(Duration, Duration), CgroupError> {
        let user = self.cpuacct_dir.join("cpuacct.usage_user");
        let sys = self.cpuacct_dir.join("cpuacct.usage_sys");
        if user.exists() && sys.exists() {
            return Ok((Duration::from_nanos(files::read_u64(&user)?), Duration::from_nanos(files::read_u64(&sys)?)));
        }
        let path = self.cpuacct_dir.join("cpuacct.stat");
        let content = files::read_string(&path)?;
        parse_cpuacct_stat(&path, &content, clock_ticks_per_second())
    }
}

/// USER_HZ, the unit of `cpuacct.stat` (100 on every current architecture).
fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf only reads a constant of the C library; no memory of ours is involved.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok().filter(|&t| t > 0).unwrap_or(100)
}

/// `cpuacct.stat`: `user N` and `system N` in clock ticks.
pub(super) fn parse_cpuacct_stat(path: &Path, content: &str, ticks_per_second: u64) -> Result<(Duration, Duration), CgroupError> {
    let to_duration = |ticks: u64| Duration::from_nanos(ticks.saturating_mul(1_000_000_000 / ticks_per_second));
    let user = files::require_keyed(path, content.as_bytes(), "user")?;
    let system = files::require_keyed(path, content.as_bytes(), "system")?;
    Ok((to_duration(user), to_duration(system)))
}

/// `memory.oom_control`: `oom_kill N` counts OOM kills (4.13+).
pub(super) fn parse_oom_control(path: &Path, content: &str) -> Result<u64, CgroupError> {
    files::require_keyed(path, content.as_bytes(), "oom_kill")
}

impl RunCgroup for V1Run {
    fn add_pid(&self, pid: i32) -> Result<(), CgroupError> {
        let pid = pid.to_string();
        for dir in &self.dirs {
            files::write_value(&dir.join("cgroup.procs"), &pid)?;
        }
        Ok(())
    }

    fn clone_into_fd(&self) -> Option<std::os::fd::RawFd> {
        // CLONE_INTO_CGROUP only exists for the v2 hierarchy.
        None
    }

    fn enter_thread(&self) -> Result<bool, CgroupError> {
        if let Some((path, max)) = &self.pids_max {
            files::write_value(path, &(max + 1).to_string())?;
        }
        // "0" is the writing thread itself; `tasks` moves one thread. Together they
        // are the case cgroup_procs_write_start() lets through without
        // cgroup_threadgroup_rwsem (kernel/cgroup/cgroup.c).
        for (i, dir) in self.dirs.iter().enumerate() {
            if let Err(e) = files::write_value(&dir.join("tasks"), "0") {
                for done in &self.dirs[..i] {
                    if let Some(parent) = done.parent() {
                        let _ = files::write_value(&parent.join("tasks"), "0");
                    }
                }
                return Err(e);
            }
        }
        Ok(true)
    }

    fn leave_thread(&self) -> Result<(), CgroupError> {
        // To dokeru's parent, never back to where the thread came from: that
        // cgroup may belong to someone else (dokeru writes only under its own
        // parent), and the parent holds no limits of any run.
        let mut first = Ok(());
        for dir in &self.dirs {
            if let Some(parent) = dir.parent() {
                if let Err(e) = files::write_value(&parent.join("tasks"), "0") {
                    first = first.and(Err(e));
                }
            }
        }
        if let Some((path, max)) = &self.pids_max {
            first = first.and(files::write_value(path, &max.to_string()));
        }
        first
    }

    fn cpu_usage(&self) -> Result<CpuUsage, CgroupError> {
        let total = self.cpu_total()?;
        let (user, system) = self.user_system()?;
        Ok(CpuUsage { total, user, system })
    }

    fn cpu_total(&self) -> Result<Duration, CgroupError> {
        let counter = self.usage_counter()?;
        let mut buf = [0u8; USAGE_BUF_BYTES];
        let content = counter.read(&mut buf)?;
        let ns = files::parse_u64(content).ok_or_else(|| CgroupError::Parse {
            path: counter.path().to_path_buf(),
            content: String::from_utf8_lossy(content).into_owned(),
        })?;
        Ok(Duration::from_nanos(ns))
    }

    fn memory_peak(&self) -> Result<MemoryPeak, CgroupError> {
        if self.has_peak {
            let bytes = files::read_u64(&self.memory_dir.join("memory.max_usage_in_bytes"))?;
            return Ok(MemoryPeak { bytes, source: "cgroup:memory.max_usage_in_bytes".to_string() });
        }
        let current = self.memory_current()?;
        Ok(MemoryPeak { bytes: current.max(self.sampled_peak_bytes.load(Ordering::Relaxed)), source: "sampled:memory.current".to_string() })
    }

    fn memory_current(&self) -> Result<u64, CgroupError> {
        let bytes = files::read_u64(&self.memory_dir.join("memory.usage_in_bytes"))?;
        self.sampled_peak_bytes.fetch_max(bytes, Ordering::Relaxed);
        Ok(bytes)
    }

    fn memory_events(&self) -> Result<MemoryEvents, CgroupError> {
        let path = self.memory_dir.join("memory.oom_control");
        let oom_kills = parse_oom_control(&path, &files::read_string(&path)?)?;
        // A charge is tried against memsw first and then memory (mem_cgroup try_charge);
        // each failure bumps its own failcnt, so the hits are the sum.
        let mut limit_hits = files::read_u64(&self.memory_dir.join("memory.failcnt"))?;
        let memsw = self.memory_dir.join("memory.memsw.failcnt");
        if memsw.exists() {
            limit_hits += files::read_u64(&memsw)?;
        }
        Ok(MemoryEvents { oom_kills, limit_hits })
    }

    fn pids(&self) -> Result<Vec<i32>, CgroupError> {
        files::read_pids(&self.memory_dir.join("cgroup.procs"))
    }

    fn kill_all(&self) -> Result<(), CgroupError> {
        kill_dirs(&self.dirs)
    }

    fn destroy(&self) -> Result<(), CgroupError> {
        destroy_dirs(&self.dirs, &self.fake_files)
    }

    fn describe(&self) -> String {
        let dirs: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        format!("v1:{}", dirs.join(","))
    }

    fn has_peak_counter(&self) -> bool {
        self.has_peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// Interface files the fake kernel puts in every new directory (union over controllers).
    const FAKE_FILES: &[&str] = &[
        "cgroup.procs",
        "tasks",
        "memory.limit_in_bytes",
        "memory.memsw.limit_in_bytes",
        "memory.soft_limit_in_bytes",
        "memory.swappiness",
        "memory.usage_in_bytes",
        "memory.max_usage_in_bytes",
        "memory.oom_control",
        "memory.failcnt",
        "memory.memsw.failcnt",
        "cpuacct.usage",
        "cpuacct.usage_user",
        "cpuacct.usage_sys",
        "cpuacct.stat",
        "cpu.cfs_period_us",
        "cpu.cfs_quota_us",
        "cpu.shares",
        "cpuset.cpus",
        "cpuset.mems",
        "pids.max",
    ];

    struct Fake {
        _tmp: tempfile::TempDir,
        cg: PathBuf,
        h: V1Hierarchy,
    }

    /// A fake hybrid tree like this development host: each controller on its own mount
    /// (or `cpu,cpuacct` co-mounted when `comounted`).
    fn fake(files: &[&str], comounted: bool) -> Fake {
        let tmp = tempfile::tempdir().unwrap();
        let cg = tmp.path().join("sys/fs/cgroup");
        let (cpu, cpuacct) = if comounted { ("cpu,cpuacct", "cpu,cpuacct") } else { ("cpu", "cpuacct") };
        for mount in ["memory", cpu, cpuacct, "cpuset", "pids"] {
            fs::create_dir_all(cg.join(mount)).unwrap();
            fs::write(cg.join(mount).join("cgroup.procs"), "").unwrap();
        }
        fs::write(cg.join("cpuset/cpuset.cpus"), "0-1\n").unwrap();
        fs::write(cg.join("cpuset/cpuset.mems"), "0\n").unwrap();
        let mounts = V1Mounts {
            memory: Some(cg.join("memory")),
            cpu: Some(cg.join(cpu)),
            cpuacct: Some(cg.join(cpuacct)),
            cpuset: Some(cg.join("cpuset")),
            pids: Some(cg.join("pids")),
        };
        let h = V1Hierarchy::new(mounts, "dokeru").unwrap().with_fake_files(files);
        Fake { _tmp: tmp, cg, h }
    }

    fn read(path: impl AsRef<Path>) -> String {
        fs::read_to_string(path).unwrap()
    }

    #[test]
    fn memory_limit_goes_to_limit_and_memsw_with_no_swap() {
        let f = fake(FAKE_FILES, false);
        let limits = CgroupLimits { memory_max_bytes: Some(64 << 20), memory_soft_bytes: Some(32 << 20), ..Default::default() };
        let run = f.h.create_run("run-1", &limits).unwrap();
        let dir = f.cg.join("memory/dokeru/run-1");
        assert_eq!(read(dir.join("memory.limit_in_bytes")), "67108864");
        assert_eq!(read(dir.join("memory.memsw.limit_in_bytes")), "67108864");
        assert_eq!(read(dir.join("memory.swappiness")), "0");
        assert_eq!(read(dir.join("memory.soft_limit_in_bytes")), "33554432");
        run.destroy().unwrap();
        assert!(!dir.exists());
    }

    #[test]
    fn without_memsw_only_the_memory_limit_is_written() {
        let files: Vec<&str> = FAKE_FILES.iter().copied().filter(|f| !f.contains("memsw")).collect();
        let f = fake(&files, false);
        let run = f.h.create_run("run-1", &CgroupLimits { memory_max_bytes: Some(1 << 20), ..Default::default() }).unwrap();
        let dir = f.cg.join("memory/dokeru/run-1");
        assert_eq!(read(dir.join("memory.limit_in_bytes")), "1048576");
        assert!(!dir.join("memory.memsw.limit_in_bytes").exists());
        run.destroy().unwrap();
    }

    #[test]
    fn cpu_and_cpuset_are_joined_only_when_a_limit_needs_them() {
        let f = fake(FAKE_FILES, false);
        let run = f.h.create_run("plain", &CgroupLimits { pids_max: Some(64), ..Default::default() }).unwrap();
        assert_eq!(run.dirs(), &[f.cg.join("memory/dokeru/plain"), f.cg.join("cpuacct/dokeru/plain"), f.cg.join("pids/dokeru/plain")]);
        assert_eq!(read(f.cg.join("pids/dokeru/plain/pids.max")), "64");
        assert!(!f.cg.join("cpu/dokeru").exists());
        assert!(!f.cg.join("cpuset/dokeru").exists());
        run.destroy().unwrap();
    }

    #[test]
    fn cpu_limits_and_cpuset_with_copied_mems() {
        let f = fake(FAKE_FILES, false);
        let limits = CgroupLimits { cpu_quota: Some((50_000, 100_000)), cpu_shares: Some(512), cpus: Some("1".into()), ..Default::default() };
        let run = f.h.create_run("run-2", &limits).unwrap();
        let cpu = f.cg.join("cpu/dokeru/run-2");
        assert_eq!(read(cpu.join("cpu.cfs_period_us")), "100000");
        assert_eq!(read(cpu.join("cpu.cfs_quota_us")), "50000");
        assert_eq!(read(cpu.join("cpu.shares")), "512");
        // The parent got the root's cpus/mems, the run its own cpus and the parent's mems.
        assert_eq!(read(f.cg.join("cpuset/dokeru/cpuset.cpus")), "0-1");
        assert_eq!(read(f.cg.join("cpuset/dokeru/cpuset.mems")), "0");
        assert_eq!(read(f.cg.join("cpuset/dokeru/run-2/cpuset.cpus")), "1");
        assert_eq!(read(f.cg.join("cpuset/dokeru/run-2/cpuset.mems")), "0");
        run.destroy().unwrap();
        assert!(!cpu.exists());
    }

    #[test]
    fn comounted_cpu_cpuacct_is_one_directory() {
        let f = fake(FAKE_FILES, true);
        let run = f.h.create_run("run-3", &CgroupLimits { cpu_shares: Some(2048), ..Default::default() }).unwrap();
        let both = f.cg.join("cpu,cpuacct/dokeru/run-3");
        assert_eq!(run.dirs().iter().filter(|d| **d == both).count(), 1);
        assert_eq!(read(both.join("cpu.shares")), "2048");
        run.destroy().unwrap();
    }

    #[test]
    fn a_thread_enters_every_controller_and_leaves_to_the_parent_with_room_for_itself() {
        let f = fake(FAKE_FILES, false);
        let run = f.h.create_run("run-5", &CgroupLimits { pids_max: Some(7), ..Default::default() }).unwrap();
        let pids_max = f.cg.join("pids/dokeru/run-5/pids.max");
        assert_eq!(read(&pids_max), "7");
        assert!(run.enter_thread().unwrap(), "v1 moves the thread itself");
        for dir in run.dirs() {
            assert_eq!(read(dir.join("tasks")), "0", "{}", dir.display());
            fs::write(dir.join("tasks"), "").unwrap();
        }
        // The spawner thread counts in pids.current while inside: one more.
        assert_eq!(read(&pids_max), "8");
        run.leave_thread().unwrap();
        for dir in run.dirs() {
            assert_eq!(read(dir.join("tasks")), "", "{}", dir.display());
            assert_eq!(read(dir.parent().unwrap().join("tasks")), "0", "{}", dir.display());
        }
        assert_eq!(read(&pids_max), "7");
        run.destroy().unwrap();
    }

    #[test]
    fn add_pid_writes_every_joined_controller() {
        let f = fake(FAKE_FILES, false);
        let run = f.h.create_run("run-4", &CgroupLimits::default()).unwrap();
        run.add_pid(4242).unwrap();
        for dir in run.dirs() {
            assert_eq!(read(dir.join("cgroup.procs")), "4242");
        }
        // Reset, or destroy would wait for a pid that lives only in a text file.
        for dir in run.dirs() {
            fs::write(dir.join("cgroup.procs"), "").unwrap();
        }
        run.destroy().unwrap();
    }

    #[test]
    fn cpu_usage_in_nanoseconds_and_tick_fallback() {
        let f = fake(FAKE_FILES, false);
        let run = f.h.create_run("run-5", &CgroupLimits::default()).unwrap();
        let acct = f.cg.join("cpuacct/dokeru/run-5");
        fs::write(acct.join("cpuacct.usage"), "1234567890\n").unwrap();
        fs::write(acct.join("cpuacct.usage_user"), "1000000000\n").unwrap();
        fs::write(acct.join("cpuacct.usage_sys"), "234567890\n").unwrap();
        let usage = run.cpu_usage().unwrap();
        assert_eq!(usage.total, Duration::from_nanos(1_234_567_890));
        assert_eq!(usage.user, Duration::from_secs(1));
        assert_eq!(usage.system, Duration::from_nanos(234_567_890));
        assert_eq!(run.cpu_total().unwrap(), Duration::from_nanos(1_234_567_890));
        // Older kernels: only cpuacct.stat, in USER_HZ ticks.
        fs::remove_file(acct.join("cpuacct.usage_user")).unwrap();
        fs::write(acct.join("cpuacct.stat"), "user 120\nsystem 3\n").unwrap();
        let (user, system) = run.user_system().unwrap();
        assert_eq!(user, Duration::from_nanos(120 * 1_000_000_000 / clock_ticks_per_second()));
        assert_eq!(system, Duration::from_nanos(3 * 1_000_000_000 / clock_ticks_per_second()));
        run.destroy().unwrap();
    }

    #[test]
    fn cpuacct_stat_ticks_are_ten_ms_at_user_hz_100() {
        let (user, system) = parse_cpuacct_stat(Path::new("cpuacct.stat"), "user 25\nsystem 4\n", 100).unwrap();
        assert_eq!(user, Duration::from_millis(250));
        assert_eq!(system, Duration::from_millis(40));
        assert!(parse_cpuacct_stat(Path::new("cpuacct.stat"), "user 25\n", 100).is_err());
    }

    #[test]
    fn oom_control_and_failcnt_make_memory_events() {
        let f = fake(FAKE_FILES, false);
        let run = f.h.create_run("run-6", &CgroupLimits::default()).unwrap();
        let mem = f.cg.join("memory/dokeru/run-6");
        fs::write(mem.join("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n").unwrap();
        fs::write(mem.join("memory.failcnt"), "7\n").unwrap();
        fs::write(mem.join("memory.memsw.failcnt"), "1\n").unwrap();
        assert_eq!(run.memory_events().unwrap(), MemoryEvents { oom_kills: 2, limit_hits: 8 });
        run.destroy().unwrap();
    }

    #[test]
    fn memory_peak_source_is_named() {
        let f = fake(FAKE_FILES, false);
        let run = f.h.create_run("run-7", &CgroupLimits::default()).unwrap();
        fs::write(f.cg.join("memory/dokeru/run-7/memory.max_usage_in_bytes"), "1875968\n").unwrap();
        assert!(run.has_peak_counter());
        assert_eq!(run.memory_peak().unwrap(), MemoryPeak { bytes: 1875968, source: "cgroup:memory.max_usage_in_bytes".into() });
        run.destroy().unwrap();

        let files: Vec<&str> = FAKE_FILES.iter().copied().filter(|f| *f != "memory.max_usage_in_bytes").collect();
        let f = fake(&files, false);
        let run = f.h.create_run("run-8", &CgroupLimits::default()).unwrap();
        assert!(!run.has_peak_counter());
        fs::write(f.cg.join("memory/dokeru/run-8/memory.usage_in_bytes"), "4096\n").unwrap();
        assert_eq!(run.memory_peak().unwrap(), MemoryPeak { bytes: 4096, source: "sampled:memory.current".into() });
        run.destroy().unwrap();
    }

    #[test]
    fn a_failed_write_names_path_and_value_and_cleans_up() {
        let files: Vec<&str> = FAKE_FILES.iter().copied().filter(|f| *f != "pids.max").collect();
        let f = fake(&files, false);
        let err = f.h.create_run("run-9", &CgroupLimits { pids_max: Some(10), ..Default::default() }).unwrap_err();
        match &err {
            CgroupError::WriteFile { path, value, .. } => {
                assert_eq!(path, &f.cg.join("pids/dokeru/run-9/pids.max"));
                assert_eq!(value, "10");
            }
            other => panic!("unexpected {other:?}"),
        }
        for mount in ["memory", "cpuacct", "pids"] {
            assert!(!f.cg.join(mount).join("dokeru/run-9").exists(), "{mount} left behind");
        }
    }

    #[test]
    fn missing_controllers_for_requested_limits_are_named() {
        let tmp = tempfile::tempdir().unwrap();
        let mounts = V1Mounts { memory: Some(tmp.path().join("memory")), cpuacct: Some(tmp.path().join("cpuacct")), ..Default::default() };
        let h = V1Hierarchy::new(mounts, "dokeru").unwrap();
        let err = h.create_run("r", &CgroupLimits { cpus: Some("0".into()), ..Default::default() }).unwrap_err();
        assert!(matches!(err, CgroupError::MissingController { controller: "cpuset" }), "{err:?}");
        let err = h.create_run("r", &CgroupLimits { pids_max: Some(1), ..Default::default() }).unwrap_err();
        assert!(matches!(err, CgroupError::MissingController { controller: "pids" }), "{err:?}");
        assert!(matches!(V1Hierarchy::new(V1Mounts::default(), "dokeru"), Err(CgroupError::MissingController { controller: "memory" })));
    }

    #[test]
    fn sweep_removes_dead_runs_in_every_controller() {
        let f = fake(FAKE_FILES, false);
        let _live = f.h.create_run("run-live", &CgroupLimits::default()).unwrap();
        let _dead = f.h.create_run("run-dead", &CgroupLimits { cpus: Some("0".into()), ..Default::default() }).unwrap();
        assert_eq!(f.h.sweep_stale(&|name| name == "run-live").unwrap(), 1);
        for mount in ["memory", "cpuacct", "pids", "cpuset"] {
            assert!(!f.cg.join(mount).join("dokeru/run-dead").exists(), "{mount}");
        }
        assert!(f.cg.join("memory/dokeru/run-live").exists());
    }

    #[test]
    fn features_name_what_is_missing() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("memory")).unwrap();
        fs::write(tmp.path().join("memory/memory.max_usage_in_bytes"), "0\n").unwrap();
        let mounts = V1Mounts { memory: Some(tmp.path().join("memory")), cpuacct: Some(tmp.path().join("cpuacct")), ..Default::default() };
        let features = V1Hierarchy::new(mounts, "dokeru").unwrap().features();
        let get = |name: &str| features.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no {name}")).clone();
        assert!(get("controller memory").ok);
        assert!(!get("controller pids").ok && get("controller pids").hint.is_some());
        assert!(get("memory peak counter").ok);
        let swap = get("swap accounting");
        assert!(!swap.ok && swap.hint.as_deref().unwrap().contains("swapaccount=1"), "{swap:?}");
    }
}
