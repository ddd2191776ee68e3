//! A cache of compiled policies, so a `dokeru run` does not pay for compiling the same
//! policy text again (JSON parse, seccompiler, the decision tree: ≈ 0.3 ms per process).
//!
//! One file per (dokeru build, policy text), under `/run/dokeru/seccomp/` for root,
//! `$XDG_RUNTIME_DIR/dokeru/seccomp/` otherwise; `DOKERU_SECCOMP_CACHE=off` turns it
//! off, `DOKERU_SECCOMP_CACHE=/dir` moves it. The file name is a hash, but nothing is
//! trusted to the hash: the file holds the build's identity and the *whole* policy text,
//! and an entry is used only if both equal the running binary's and the text just read,
//! so an edited policy or a rebuilt dokeru can never be served a stale program.
//!
//! The build's identity is the GNU build ID the linker stamps into the executable (a
//! hash of its contents, so any change to the compiler code changes it) plus the package
//! version. A binary without a build ID does not cache.
//!
//! Layout (native endianness: only the binary that wrote a file can read it back):
//!
//! ```text
//! magic "DKRSECC1" | u32 len, identity | u64 len, policy text | u32 program count
//! | per program: u8 filter (0 errno, 1 deny), u32 instruction count, 8 bytes each
//! | u64 checksum of everything before
//! ```
//!
//! Any problem reading an entry (missing, not ours, not mode 0600, malformed, wrong
//! checksum, another text) is a miss: the caller compiles, and stores the result by
//! writing a temporary file and renaming it over the entry, so readers never see half a
//! file. Store failures are ignored: the cache only ever saves time.

use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use seccompiler::sock_filter;

use super::{bpf, Program, FILTER_DENY, FILTER_ERRNO};

const MAGIC: &[u8; 8] = b"DKRSECC1";
/// Entries kept per directory: a store that finds more removes the oldest. Bounds the
/// directory when many distinct policies (or builds) come and go.
const MAX_ENTRIES: usize = 64;
/// Larger files are not read: no real policy comes near.
const MAX_FILE_BYTES: u64 = 4 << 20;

/// Where compiled policies are kept, and whose they are.
#[derive(Debug, Clone)]
pub(super) struct Cache {
    dir: PathBuf,
    /// Build ID and version of the binary that compiles.
    identity: Vec<u8>,
}

impl Cache {
    /// The cache of this process, per the module docs; `None` when it is off or the
    /// binary has no build ID.
    pub(super) fn for_this_process() -> Option<Cache> {
        let dir = match std::env::var_os("DOKERU_SECCOMP_CACHE") {
            Some(v) if v == "off" || v == "0" || v.is_empty() => return None,
            Some(v) => PathBuf::from(v),
            None if nix::unistd::geteuid().is_root() => PathBuf::from("/run/dokeru/seccomp"),
            None => PathBuf::from(std::env::var_os("XDG_RUNTIME_DIR")?).join("dokeru/seccomp"),
        };
        let mut identity = own_build_id()?;
        identity.extend_from_slice(concat!("/", env!("CARGO_PKG_VERSION")).as_bytes());
        Some(Cache { dir, identity })
    }

    #[cfg(test)]
    pub(super) fn at(dir: &Path, identity: &[u8]) -> Cache {
        Cache { dir: dir.to_path_buf(), identity: identity.to_vec() }
    }

    /// The entry file for `text`.
    fn entry(&self, text: &str) -> PathBuf {
        let mut h = std::hash::DefaultHasher::new();
        self.identity.hash(&mut h);
        text.hash(&mut h);
        self.dir.join(format!("{:016x}.bpf", h.finish()))
    }

    /// The programs compiled earlier from exactly `text` by this build, if any.
    pub(super) fn get(&self, text: &str) -> Option<Vec<Program>> {
        let mut file = std::fs::File::options()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(self.entry(text))
            .ok()?;
        // Only a file this user wrote and nobody else can write: the programs in it are
        // installed as they are.
        let meta = file.metadata().ok()?;
        if !meta.is_file()
            || meta.uid() != nix::unistd::geteuid().as_raw()
            || meta.mode() & 0o077 != 0
            || meta.len() > MAX_FILE_BYTES
        {
            return None;
        }
        // Entries are replaced by rename, never written in place: the size holds.
        let mut bytes = vec![0; meta.len() as usize];
        file.read_exact(&mut bytes).ok()?;
        decode(&bytes, &self.identity, text)
    }

    /// Keep `programs`, compiled from `text`, for later processes. Best effort.
    pub(super) fn put(&self, text: &str, programs: &[Program]) {
        let _ = self.try_put(text, programs);
    }

    fn try_put(&self, text: &str, programs: &[Program]) -> std::io::Result<()> {
        create_private_dir(&self.dir)?;
        let bytes = encode(&self.identity, text, programs);
        let entry = self.entry(text);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let tmp = self.dir.join(format!(".tmp-{}-{nanos}", std::process::id()));
        let written = std::fs::File::options()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)
            .and_then(|mut f| f.write_all(&bytes))
            .and_then(|()| std::fs::rename(&tmp, &entry));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written?;
        self.prune(&entry)
    }

    /// Remove the oldest entries (and leftover temporary files) beyond [`MAX_ENTRIES`].
    fn prune(&self, keep: &Path) -> std::io::Result<()> {
        let mut entries: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&self.dir)?
            .filter_map(|e| {
                let e = e.ok()?;
                let meta = e.metadata().ok()?;
                let path = e.path();
                (meta.is_file() && path != keep).then_some((meta.modified().ok()?, path))
            })
            .collect();
        if entries.len() < MAX_ENTRIES {
            return Ok(());
        }
        entries.sort();
        for (_, path) in &entries[..entries.len() + 1 - MAX_ENTRIES] {
            let _ = std::fs::remove_file(path);
        }
        Ok(())
    }
}

/// Create `dir` (mode 0700) and its parents, and check that it is a directory of this
/// user that nobody else can write to.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let not_private = || std::io::Error::other(format!("{} is not a private directory", dir.display()));
    if let Some(parent) = dir.parent() {
        std::fs::DirBuilder::new().recursive(true).mode(0o755).create(parent)?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() || meta.uid() != nix::unistd::geteuid().as_raw() || meta.mode() & 0o022 != 0 {
        return Err(not_private());
    }
    Ok(())
}

fn checksum(bytes: &[u8]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

fn encode(identity: &[u8], text: &str, programs: &[Program]) -> Vec<u8> {
    let insns: usize = programs.iter().map(|p| p.insns.len()).sum();
    let mut out = Vec::with_capacity(64 + identity.len() + text.len() + 8 * insns);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(identity.len() as u32).to_ne_bytes());
    out.extend_from_slice(identity);
    out.extend_from_slice(&(text.len() as u64).to_ne_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&(programs.len() as u32).to_ne_bytes());
    for p in programs {
        out.push(u8::from(p.filter == FILTER_DENY));
        out.extend_from_slice(&(p.insns.len() as u32).to_ne_bytes());
        for i in &p.insns {
            out.extend_from_slice(&i.code.to_ne_bytes());
            out.push(i.jt);
            out.push(i.jf);
            out.extend_from_slice(&i.k.to_ne_bytes());
        }
    }
    let sum = checksum(&out);
    out.extend_from_slice(&sum.to_ne_bytes());
    out
}

/// Reads a cache file front to back; every step fails on a short file.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_ne_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_ne_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_ne_bytes(self.take(8)?.try_into().ok()?))
    }
}

/// The programs of a cache file, if it is well formed, intact, and was written by
/// `identity` for exactly `text`.
fn decode(bytes: &[u8], identity: &[u8], text: &str) -> Option<Vec<Program>> {
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
    if checksum(body) != u64::from_ne_bytes(sum.try_into().ok()?) {
        return None;
    }
    let mut r = Reader(body);
    if r.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let n = r.u32()? as usize;
    if r.take(n)? != identity {
        return None;
    }
    let n = usize::try_from(r.u64()?).ok()?;
    if r.take(n)? != text.as_bytes() {
        return None;
    }
    let count = r.u32()?;
    let mut programs = Vec::with_capacity(2);
    for _ in 0..count {
        let filter = match r.u8()? {
            0 => FILTER_ERRNO,
            1 => FILTER_DENY,
            _ => return None,
        };
        let len = r.u32()? as usize;
        if len == 0 || len > bpf::MAX_INSNS {
            return None;
        }
        let mut insns = Vec::with_capacity(len);
        for _ in 0..len {
            insns.push(sock_filter { code: r.u16()?, jt: r.u8()?, jf: r.u8()?, k: r.u32()? });
        }
        programs.push(Program { filter, insns });
    }
    // The shape compile() produces: an optional errno program, then the deny program.
    let shape_ok = match programs.as_slice() {
        [deny] => deny.filter == FILTER_DENY,
        [errno, deny] => errno.filter == FILTER_ERRNO && deny.filter == FILTER_DENY,
        _ => false,
    };
    (shape_ok && r.0.is_empty()).then_some(programs)
}

/// The GNU build ID of the running executable (`NT_GNU_BUILD_ID` in a `PT_NOTE`
/// segment), read from memory.
fn own_build_id() -> Option<Vec<u8>> {
    const NT_GNU_BUILD_ID: u32 = 3;

    /// dl_iterate_phdr(3) callback: the first object is the main program.
    unsafe extern "C" fn first_object(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut libc::c_void,
    ) -> libc::c_int {
        // SAFETY: `data` is the `&mut Option<Vec<u8>>` passed below, alive for the call.
        let out = unsafe { &mut *data.cast::<Option<Vec<u8>>>() };
        // SAFETY: glibc passes a valid dl_phdr_info for the duration of the callback.
        let info = unsafe { &*info };
        for i in 0..usize::from(info.dlpi_phnum) {
            // SAFETY: dlpi_phdr points to dlpi_phnum program headers.
            let ph = unsafe { &*info.dlpi_phdr.add(i) };
            if ph.p_type != libc::PT_NOTE {
                continue;
            }
            let start = (info.dlpi_addr + ph.p_vaddr) as *const u8;
            // SAFETY: a PT_NOTE segment is loaded (it lies inside a PT_LOAD segment) and
            // stays mapped for the life of the process; p_memsz is its size.
            let notes = unsafe { std::slice::from_raw_parts(start, ph.p_memsz as usize) };
            if let Some(id) = find_build_id(notes) {
                *out = Some(id.to_vec());
                break;
            }
        }
        1 // stop: only the main program
    }

    /// Walk the notes (elf(5), "Notes (Nhdr)"): name and descriptor padded to 4 bytes.
    fn find_build_id(mut notes: &[u8]) -> Option<&[u8]> {
        let pad = |n: usize| n.checked_add(3).map(|n| n & !3);
        while notes.len() >= 12 {
            let word = |i: usize| u32::from_ne_bytes(notes[i..i + 4].try_into().unwrap()) as usize;
            let (namesz, descsz, kind) = (word(0), word(4), word(8));
            let desc_at = 12usize.checked_add(pad(namesz)?)?;
            let end = desc_at.checked_add(pad(descsz)?)?;
            if end > notes.len() {
                return None;
            }
            if kind == NT_GNU_BUILD_ID as usize && &notes[12..12 + namesz] == b"GNU\0" && descsz > 0 {
                return Some(&notes[desc_at..desc_at + descsz]);
            }
            notes = &notes[end..];
        }
        None
    }

    let mut out: Option<Vec<u8>> = None;
    // SAFETY: the callback matches dl_iterate_phdr's signature and only reads the
    // headers it is handed; `out` outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(first_object), (&raw mut out).cast()) };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy_text() -> String {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/seccomp/default.json");
        std::fs::read_to_string(p).unwrap()
    }

    fn insns(programs: &[Program]) -> Vec<(&'static str, Vec<(u16, u8, u8, u32)>)> {
        programs
            .iter()
            .map(|p| (p.filter, p.insns.iter().map(|i| (i.code, i.jt, i.jf, i.k)).collect()))
            .collect()
    }

    #[test]
    fn this_binary_has_a_build_id() {
        let id = own_build_id().expect("the linker stamps a build ID");
        assert!(id.len() >= 8, "{id:?}");
        assert_eq!(own_build_id(), Some(id));
    }

    #[test]
    fn round_trip_equals_a_fresh_compile() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(&dir.path().join("c"), b"build-1");
        let text = policy_text();
        assert!(cache.get(&text).is_none(), "empty cache");
        let fresh = super::super::compile(&text, "p").unwrap();
        cache.put(&text, &fresh);
        let cached = cache.get(&text).expect("stored");
        assert_eq!(insns(&cached), insns(&fresh));
        let meta = std::fs::metadata(cache.entry(&text)).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(dir.path().join("c")).unwrap().mode() & 0o777, 0o700);
    }

    #[test]
    fn other_text_or_build_misses() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path(), b"build-1");
        let text = policy_text();
        cache.put(&text, &super::super::compile(&text, "p").unwrap());
        let edited = text.replacen(r#""syscall": "mount","#, r#""syscall": "chown","#, 1);
        assert_ne!(edited, text);
        assert!(cache.get(&edited).is_none());
        assert!(Cache::at(dir.path(), b"build-2").get(&text).is_none());
        // Even with the other text's hash for a name, the text inside decides.
        std::fs::copy(cache.entry(&text), cache.entry(&edited)).unwrap();
        assert!(cache.get(&edited).is_none());
        let wrong_build = Cache::at(dir.path(), b"build-2");
        std::fs::copy(cache.entry(&text), wrong_build.entry(&text)).unwrap();
        assert!(wrong_build.get(&text).is_none());
    }

    #[test]
    fn corrupt_or_foreign_entries_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path(), b"build-1");
        let text = policy_text();
        let fresh = super::super::compile(&text, "p").unwrap();
        let good = encode(b"build-1", &text, &fresh);
        assert!(decode(&good, b"build-1", &text).is_some());
        // Every truncation and a flipped bit anywhere.
        for len in [0, 7, 8, 20, good.len() / 2, good.len() - 9, good.len() - 1] {
            assert!(decode(&good[..len], b"build-1", &text).is_none(), "cut at {len}");
        }
        for at in [0, 9, 20, good.len() - 100, good.len() - 20, good.len() - 1] {
            let mut bad = good.clone();
            bad[at] ^= 0x10;
            assert!(decode(&bad, b"build-1", &text).is_none(), "bit flipped at {at}");
        }
        // A well-formed file whose shape is wrong (deny first) is refused.
        let swapped: Vec<Program> = fresh.iter().rev().cloned().collect();
        assert!(decode(&encode(b"build-1", &text, &swapped), b"build-1", &text).is_none());

        let path = cache.entry(&text);
        std::fs::write(&path, &good[..good.len() / 2]).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        assert!(cache.get(&text).is_none(), "truncated file");
        cache.put(&text, &fresh);
        assert_eq!(insns(&cache.get(&text).unwrap()), insns(&fresh), "rewritten");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
        assert!(cache.get(&text).is_none(), "readable by others: not ours alone");
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), &path).unwrap();
        std::fs::write(dir.path().join("elsewhere"), &good).unwrap();
        assert!(cache.get(&text).is_none(), "symlinks are not followed");
    }

    #[test]
    fn the_directory_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path(), b"build-1");
        let text = policy_text();
        let fresh = super::super::compile(&text, "p").unwrap();
        for i in 0..MAX_ENTRIES + 5 {
            cache.put(&format!("{text}\n{i}"), &fresh);
        }
        let n = std::fs::read_dir(dir.path()).unwrap().count();
        assert!(n <= MAX_ENTRIES, "{n} entries");
        assert!(cache.get(&format!("{text}\n{}", MAX_ENTRIES + 4)).is_some(), "the newest stays");
    }

    #[test]
    fn a_directory_others_can_write_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        let cache = Cache::at(&shared, b"build-1");
        let text = policy_text();
        cache.put(&text, &super::super::compile(&text, "p").unwrap());
        assert_eq!(std::fs::read_dir(&shared).unwrap().count(), 0);
    }
}
