//! A cache of JIT-compiled code, as `wasmtime run` has by default: running a
//! module that was compiled before loads its native code instead of
//! compiling it again.
//!
//! An entry is one file, named by a hash of the module bytes, the compiler's
//! fingerprint (wdb and Cranelift versions, target, CPU features, opt level)
//! and the identity of the running wdb executable (so a rebuilt wdb never
//! loads code made by another build). Layout: magic `WDBCACHE1\0`, the module
//! length (u64 LE), the module bytes, then a `wdb.aot` section payload. The
//! module bytes are compared in full on load, so a hash collision or a file
//! overwritten by something else is a miss, never wrong code; a damaged
//! payload is an error from the AOT loader, which the caller turns into a
//! recompile. Entries are written to a temporary name and renamed, so
//! concurrent runs never see half an entry. When the directory grows past
//! [`MAX_BYTES`] the oldest entries are removed.

//! Built without the `jit` feature, only [`CacheUse`], [`default_dir`] and
//! [`evict`] are here: nothing compiles code to cache.

#[cfg(feature = "jit")]
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
#[cfg(feature = "jit")]
use std::sync::Arc;
use std::time::SystemTime;

#[cfg(feature = "jit")]
use wdb_engine::jit::{CompileOptions, CompiledModule, OptLevel};
#[cfg(feature = "jit")]
use wdb_engine::module::Module;

#[cfg(feature = "jit")]
const MAGIC: &[u8; 10] = b"WDBCACHE1\0";

/// Modules with more defined functions than this are not cached: the lazy
/// JIT (compiling what runs) serves them better than compiling everything.
pub const MAX_FUNCS: u32 = 5_000;

/// Entries are evicted, oldest first, above this many bytes.
pub const MAX_BYTES: u64 = 512 << 20;

/// What the cache did for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheUse {
    /// No cache (interpreter, AOT, `--no-cache`, or no cache directory).
    #[default]
    Off,
    /// The code was loaded from the cache.
    Hit,
    /// Compiled, and the code was stored for next time.
    Stored,
    /// Compiled; storing failed (read-only or full disk): silently uncached.
    NotStored,
}

/// The cache directory: `$WDB_CACHE_DIR`, else `$XDG_CACHE_HOME/wdb/code`,
/// else `~/.cache/wdb/code`; `None` when none of these is set.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("WDB_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("wdb").join("code"));
    }
    std::env::var_os("HOME")
        .filter(|d| !d.is_empty())
        .map(|h| PathBuf::from(h).join(".cache").join("wdb").join("code"))
}

/// The entry file for `module` compiled at `opt` with `options` by this
/// executable.
#[cfg(feature = "jit")]
pub fn entry_path(dir: &Path, module: &Module, opt: OptLevel, options: CompileOptions) -> PathBuf {
    let mut h = std::hash::DefaultHasher::new();
    module.bytes.hash(&mut h);
    wdb_engine::jit::fingerprint(opt).hash(&mut h);
    // Plain code keeps the key it always had.
    if options != CompileOptions::default() {
        options.fingerprint_suffix().hash(&mut h);
    }
    exe_identity().hash(&mut h);
    dir.join(format!("{:016x}.wdbcode", h.finish()))
}

/// Size and modification time of the running executable: a rebuilt wdb
/// gets new entries.
#[cfg(feature = "jit")]
fn exe_identity() -> (u64, u128) {
    std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| {
            let t = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            (m.len(), t)
        })
        .unwrap_or((0, 0))
}

/// Load `module`'s code from the cache, or compile it and store it there.
#[cfg(feature = "jit")]
pub fn compile(
    dir: &Path,
    module: Arc<Module>,
    opt: OptLevel,
    options: CompileOptions,
) -> Result<(CompiledModule, CacheUse), wdb_engine::Error> {
    let path = entry_path(dir, &module, opt, options);
    if let Some(payload) = read_entry(&path, &module.bytes) {
        match CompiledModule::load_aot_payload(module.clone(), payload.as_slice(), options) {
            Ok(c) => {
                touch(&path);
                return Ok((c, CacheUse::Hit));
            }
            // Damaged or made for another machine: compile and overwrite.
            Err(_) => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let (compiled, payload) = CompiledModule::compile_with_payload(module.clone(), opt, options)?;
    let used = match write_entry(dir, &path, &module.bytes, &payload) {
        Ok(()) => {
            evict(dir, MAX_BYTES, &path);
            CacheUse::Stored
        }
        Err(_) => CacheUse::NotStored,
    };
    Ok((compiled, used))
}

/// The payload of the entry at `path` if it holds exactly `bytes`.
#[cfg(feature = "jit")]
fn read_entry(path: &Path, bytes: &[u8]) -> Option<Vec<u8>> {
    let data = std::fs::read(path).ok()?;
    let rest = data.strip_prefix(MAGIC.as_slice())?;
    let (len, rest) = rest.split_first_chunk::<8>()?;
    let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
    if len != bytes.len() || rest.len() < len || &rest[..len] != bytes {
        return None;
    }
    Some(rest[len..].to_vec())
}

#[cfg(feature = "jit")]
fn write_entry(dir: &Path, path: &Path, bytes: &[u8], payload: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut data = Vec::with_capacity(MAGIC.len() + 8 + bytes.len() + payload.len());
    data.extend_from_slice(MAGIC);
    data.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    data.extend_from_slice(bytes);
    data.extend_from_slice(payload);
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, &data)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Mark an entry as recently used (eviction removes the oldest first).
#[cfg(feature = "jit")]
fn touch(path: &Path) {
    if let Ok(f) = std::fs::File::options().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

/// Remove the least recently used entries until the directory holds at most
/// `max` bytes of them; `keep` (the entry just written) stays.
pub fn evict(dir: &Path, max: u64, keep: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<(SystemTime, u64, PathBuf)> = rd
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "wdbcode"))
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some((m.modified().ok()?, m.len(), e.path()))
        })
        .collect();
    let mut total: u64 = entries.iter().map(|e| e.1).sum();
    entries.sort();
    for (_, len, path) in entries {
        if total <= max {
            break;
        }
        if path != keep && std::fs::remove_file(&path).is_ok() {
            total -= len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "jit")]
    fn fib() -> Arc<Module> {
        let bytes =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/fib.wasm")).unwrap();
        Arc::new(Module::new(bytes).unwrap())
    }

    #[cfg(feature = "jit")]
    #[test]
    fn miss_then_hit_then_damaged_entry_recompiles() {
        let dir = tempfile::tempdir().unwrap();
        let m = fib();
        let (_, used) = compile(
            dir.path(),
            m.clone(),
            OptLevel::Speed,
            CompileOptions::default(),
        )
        .unwrap();
        assert_eq!(used, CacheUse::Stored);
        let path = entry_path(dir.path(), &m, OptLevel::Speed, CompileOptions::default());
        assert!(path.exists());
        let (c, used) = compile(
            dir.path(),
            m.clone(),
            OptLevel::Speed,
            CompileOptions::default(),
        )
        .unwrap();
        assert_eq!(used, CacheUse::Hit);
        assert_eq!(c.source, wdb_engine::jit::CodeSource::Cache);

        // Another opt level is another entry.
        let (_, used) = compile(
            dir.path(),
            m.clone(),
            OptLevel::None,
            CompileOptions::default(),
        )
        .unwrap();
        assert_eq!(used, CacheUse::Stored);

        // Code with fuel checks too, kept apart from plain code.
        let fuel = CompileOptions {
            fuel: true,
            ..CompileOptions::default()
        };
        let (_, used) = compile(dir.path(), m.clone(), OptLevel::Speed, fuel).unwrap();
        assert_eq!(used, CacheUse::Stored);
        let (c, used) = compile(dir.path(), m.clone(), OptLevel::Speed, fuel).unwrap();
        assert_eq!(used, CacheUse::Hit);
        assert!(c.options.fuel);
        assert_ne!(entry_path(dir.path(), &m, OptLevel::Speed, fuel), path);

        // A damaged payload is a recompile (and a fresh entry), not an error.
        let mut data = std::fs::read(&path).unwrap();
        let n = data.len();
        data.truncate(n - 10);
        std::fs::write(&path, &data).unwrap();
        let (_, used) = compile(
            dir.path(),
            m.clone(),
            OptLevel::Speed,
            CompileOptions::default(),
        )
        .unwrap();
        assert_eq!(used, CacheUse::Stored);
        let (_, used) = compile(dir.path(), m, OptLevel::Speed, CompileOptions::default()).unwrap();
        assert_eq!(used, CacheUse::Hit);
    }

    #[cfg(feature = "jit")]
    #[test]
    fn an_entry_for_other_bytes_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let m = fib();
        let path = entry_path(dir.path(), &m, OptLevel::Speed, CompileOptions::default());
        // Same name, other module bytes (a collision or a foreign file).
        let mut other = m.bytes.to_vec();
        other[20] ^= 1;
        write_entry(dir.path(), &path, &other, b"junk").unwrap();
        assert_eq!(read_entry(&path, &m.bytes), None);
        let (_, used) = compile(dir.path(), m, OptLevel::Speed, CompileOptions::default()).unwrap();
        assert_eq!(used, CacheUse::Stored);
    }

    #[test]
    fn eviction_keeps_the_newest_under_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        for (i, age) in [(0u8, 300u64), (1, 200), (2, 100)] {
            let p = dir.path().join(format!("{i}.wdbcode"));
            std::fs::write(&p, vec![i; 1000]).unwrap();
            let f = std::fs::File::options().append(true).open(&p).unwrap();
            f.set_modified(now - std::time::Duration::from_secs(age))
                .unwrap();
        }
        std::fs::write(dir.path().join("other.txt"), vec![0; 5000]).unwrap();
        evict(dir.path(), 2000, &dir.path().join("0.wdbcode"));
        let left: Vec<bool> = (0..3)
            .map(|i| dir.path().join(format!("{i}.wdbcode")).exists())
            .collect();
        // 0 is the oldest but is kept; 1 goes; 2 (newest) stays.
        assert_eq!(left, [true, false, true]);
        assert!(dir.path().join("other.txt").exists());
    }
}
