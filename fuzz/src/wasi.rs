//! `wasi_paths`: a guest calls WASI path and fd functions with fuzzed
//! arguments inside a fixture tree of two preopens; nothing outside them
//! (the canary) may be read, written, linked or removed.

use std::sync::{Arc, Mutex, OnceLock};

use wdb_engine::interp::{Execution, RunControl, RunOutcome};
use wdb_engine::runtime::{Extern, InstanceId, Store, StoreConfig};
use wdb_engine::{Module, Value};

/// The WASI functions the guest below wraps (their types come from the
/// engine's preview1 table).
const WASI_FUNCS: &[&str] = &[
    "path_open",
    "path_symlink",
    "path_link",
    "path_rename",
    "path_unlink_file",
    "path_remove_directory",
    "path_create_directory",
    "path_readlink",
    "path_filestat_get",
    "path_filestat_set_times",
    "fd_read",
    "fd_write",
    "fd_close",
    "fd_readdir",
    "fd_renumber",
    "fd_filestat_set_size",
];

/// A guest that re-exports each WASI function above through a wasm wrapper
/// (so the host sees a real calling instance and its memory).
pub fn wasi_guest_wat() -> String {
    let sigs: Vec<(&str, String)> = WASI_FUNCS
        .iter()
        .map(|name| {
            let ty = wdb_engine::wasi::func_type(name).expect("a preview1 function");
            let params: Vec<String> = ty.params().iter().map(|t| t.to_string()).collect();
            (*name, params.join(" "))
        })
        .collect();
    let mut s = String::from("(module\n");
    for (name, params) in &sigs {
        s.push_str(&format!(
            "  (import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} (param {params}) (result i32)))\n"
        ));
    }
    s.push_str("  (memory (export \"memory\") 1)\n");
    for (name, params) in &sigs {
        let gets: String = (0..params.split(' ').count())
            .map(|i| format!("local.get {i} "))
            .collect();
        s.push_str(&format!(
            "  (func (export \"{name}\") (param {params}) (result i32) {gets}call ${name})\n"
        ));
    }
    s.push_str(")\n");
    s
}

pub const CANARY: &[u8] = b"CANARY-SECRET outside the sandbox\n";

/// The directory tree a sandbox test runs in, created once per process.
pub struct Fixture {
    _tmp: tempfile::TempDir,
    pub base: std::path::PathBuf,
    pub root: std::path::PathBuf,
    pub root2: std::path::PathBuf,
    pub canary: std::path::PathBuf,
    canary_meta: (std::time::SystemTime, std::time::SystemTime),
    module: Arc<Module>,
}

impl Fixture {
    pub fn new() -> Fixture {
        let tmp = tempfile::tempdir().expect("temp dir");
        let base = tmp.path().canonicalize().expect("canonical temp dir");
        let canary = base.join("canary.txt");
        std::fs::write(&canary, CANARY).expect("canary");
        std::fs::create_dir(base.join("outside_dir")).expect("outside dir");
        std::fs::write(base.join("outside_dir/secret"), CANARY).expect("outside secret");
        // atime older than mtime: with relatime, any read of the canary
        // moves atime, so a read is detected too.
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        let f = std::fs::File::options()
            .write(true)
            .open(&canary)
            .expect("canary open");
        f.set_times(std::fs::FileTimes::new().set_accessed(old))
            .expect("canary times");
        drop(f);
        let md = std::fs::metadata(&canary).expect("canary metadata");
        let canary_meta = (md.accessed().expect("atime"), md.modified().expect("mtime"));
        let wasm = wat::parse_str(wasi_guest_wat()).expect("guest parses");
        let module = Arc::new(Module::new(wasm).expect("guest validates"));
        Fixture {
            root: base.join("sandbox"),
            root2: base.join("sandbox2"),
            base,
            canary,
            canary_meta,
            module,
            _tmp: tmp,
        }
    }

    /// Recreate both preopens' contents: a few files, and symlinks that
    /// point out of the sandbox directly, relatively and through chains.
    pub fn reset(&self) {
        for d in [&self.root, &self.root2] {
            if d.symlink_metadata().is_ok() {
                // Make everything writable again first: a guest may have
                // changed permissions through set_times? (It cannot; but be
                // robust to read-only leftovers.)
                std::fs::remove_dir_all(d).expect("clean sandbox");
            }
            std::fs::create_dir(d).expect("sandbox dir");
        }
        let r = &self.root;
        std::fs::write(r.join("file.txt"), b"inside\n").expect("file");
        std::fs::create_dir(r.join("dir")).expect("dir");
        std::fs::write(r.join("dir/inner.txt"), b"inner\n").expect("inner");
        let links: &[(&str, String)] = &[
            ("up", "..".into()),
            ("abs", self.canary.display().to_string()),
            (
                "absdir",
                self.base.join("outside_dir").display().to_string(),
            ),
            ("rel_out", "../canary.txt".into()),
            ("chain1", "chain2".into()),
            ("chain2", "dir/../up/canary.txt".into()),
            ("loop", "loop".into()),
            ("dirlink", "dir".into()),
            ("filelink", "file.txt".into()),
            ("to_other", "../sandbox2/file2.txt".into()),
        ];
        for (name, target) in links {
            std::os::unix::fs::symlink(target, r.join(name)).expect("symlink");
        }
        std::fs::write(self.root2.join("file2.txt"), b"other preopen\n").expect("file2");
    }

    /// Everything outside the two preopens is as it was.
    pub fn check_outside(&self) {
        // Times first: reading the content below moves atime, which is then
        // put back (opening for write and setting times leaves both alone).
        let md = std::fs::symlink_metadata(&self.canary).expect("the canary was removed");
        assert!(md.file_type().is_file(), "the canary was replaced");
        use std::os::unix::fs::MetadataExt;
        assert_eq!(md.nlink(), 1, "a hard link to the canary was created");
        assert_eq!(
            (md.accessed().expect("atime"), md.modified().expect("mtime")),
            self.canary_meta,
            "the canary was read or written (atime/mtime moved)"
        );
        let content = std::fs::read(&self.canary).expect("the canary was removed");
        assert_eq!(content, CANARY, "the canary was modified");
        std::fs::File::options()
            .write(true)
            .open(&self.canary)
            .and_then(|f| f.set_times(std::fs::FileTimes::new().set_accessed(self.canary_meta.0)))
            .expect("restore the canary's atime");
        let mut names: Vec<String> = std::fs::read_dir(&self.base)
            .expect("base dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["canary.txt", "outside_dir", "sandbox", "sandbox2"],
            "something was created or removed outside the preopens"
        );
        let inner: Vec<_> = std::fs::read_dir(self.base.join("outside_dir"))
            .expect("outside dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(inner, ["secret"], "outside_dir changed");
        assert_eq!(
            std::fs::read(self.base.join("outside_dir/secret")).expect("secret"),
            CANARY
        );
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture::new()
    }
}

/// Paths that matter for escapes, mixed with arbitrary ones.
const PATH_DICT: &[&str] = &[
    "file.txt",
    "dir",
    "dir/inner.txt",
    "up",
    "up/canary.txt",
    "abs",
    "absdir/secret",
    "rel_out",
    "chain1",
    "loop",
    "dirlink/../..",
    "filelink",
    "to_other",
    "..",
    "../canary.txt",
    "/",
    "/canary.txt",
    "./././..",
    "dir/../../canary.txt",
    "new",
    "new/",
    "dir/new_link",
    "",
    ".",
    "file.txt/",
    "file.txt/..",
];

#[derive(Debug, arbitrary::Arbitrary)]
enum PathChoice {
    Dict(u8),
    Raw(String),
    Join(u8, u8),
}

#[derive(Debug, arbitrary::Arbitrary)]
enum FdChoice {
    Root,
    Root2,
    Opened(u8),
    Raw(u32),
}

#[derive(Debug, arbitrary::Arbitrary)]
enum Op {
    Open {
        fd: FdChoice,
        path: PathChoice,
        dirflags: u8,
        oflags: u8,
        rights: u64,
        fdflags: u8,
    },
    Symlink {
        target: PathChoice,
        fd: FdChoice,
        path: PathChoice,
    },
    Link {
        old_fd: FdChoice,
        follow: bool,
        old: PathChoice,
        new_fd: FdChoice,
        new: PathChoice,
    },
    Rename {
        old_fd: FdChoice,
        old: PathChoice,
        new_fd: FdChoice,
        new: PathChoice,
    },
    Unlink(FdChoice, PathChoice),
    Rmdir(FdChoice, PathChoice),
    Mkdir(FdChoice, PathChoice),
    Readlink(FdChoice, PathChoice),
    Stat(FdChoice, bool, PathChoice),
    SetTimes(FdChoice, bool, PathChoice, u8),
    Read(FdChoice),
    Write(FdChoice, Vec<u8>),
    Readdir(FdChoice),
    Close(FdChoice),
    Renumber(FdChoice, FdChoice),
    Truncate(FdChoice, u16),
}

struct Guest<'f> {
    fx: &'f Fixture,
    store: Store,
    inst: InstanceId,
    mem: u32,
    opened: Vec<u32>,
}

const RESULT_PTR: u32 = 16;
const IOVEC_PTR: u32 = 32;
const PATH_A: u32 = 1024;
const PATH_B: u32 = 4096;
const BUF: u32 = 8192;
const BUF_LEN: u32 = 4096;
const MAX_PATH: usize = 2048;

impl Guest<'_> {
    fn path(&self, p: &PathChoice) -> Vec<u8> {
        let s = match p {
            PathChoice::Dict(i) => PATH_DICT[*i as usize % PATH_DICT.len()].to_string(),
            PathChoice::Raw(s) => s.clone(),
            PathChoice::Join(a, b) => format!(
                "{}/{}",
                PATH_DICT[*a as usize % PATH_DICT.len()],
                PATH_DICT[*b as usize % PATH_DICT.len()]
            ),
        };
        let mut b = s.into_bytes();
        b.truncate(MAX_PATH);
        b
    }

    fn fd(&self, f: &FdChoice) -> i32 {
        match f {
            FdChoice::Root => 3,
            FdChoice::Root2 => 4,
            FdChoice::Opened(i) if !self.opened.is_empty() => {
                self.opened[*i as usize % self.opened.len()] as i32
            }
            FdChoice::Opened(i) => *i as i32,
            FdChoice::Raw(x) => *x as i32,
        }
    }

    fn put(&mut self, at: u32, bytes: &[u8]) -> (i32, i32) {
        let m = self.store.memory_mut(self.mem);
        m[at as usize..at as usize + bytes.len()].copy_from_slice(bytes);
        (at as i32, bytes.len() as i32)
    }

    fn call(&mut self, name: &str, args: &[Value]) -> i32 {
        let Some(Extern::Func(f)) = self.store.instance_export(self.inst, name) else {
            panic!("guest exports {name}");
        };
        let mut exec = Execution::new(&mut self.store, f, args).expect("wrapper signature");
        match exec.run(&mut self.store, &mut RunControl::default()) {
            RunOutcome::Returned(v) => match v.first() {
                Some(Value::I32(e)) => *e,
                other => panic!("{name} returned {other:?}"),
            },
            // A bad pointer may trap; that is a clean outcome.
            RunOutcome::Trapped(_) => -1,
            other => panic!("{name}: unexpected outcome {other:?}"),
        }
    }

    fn read_u32(&self, at: u32) -> u32 {
        let m = self.store.memory(self.mem);
        u32::from_le_bytes(m[at as usize..at as usize + 4].try_into().expect("4 bytes"))
    }

    fn apply(&mut self, op: &Op) {
        use Value::{I32, I64};
        match op {
            Op::Open {
                fd,
                path,
                dirflags,
                oflags,
                rights,
                fdflags,
            } => {
                let p = self.path(path);
                let (pp, pl) = self.put(PATH_A, &p);
                let fd = self.fd(fd);
                let errno = self.call(
                    "path_open",
                    &[
                        I32(fd),
                        I32(*dirflags as i32 & 1),
                        I32(pp),
                        I32(pl),
                        I32(*oflags as i32 & 0xf),
                        I64(*rights as i64),
                        I64(*rights as i64),
                        I32(*fdflags as i32 & 0x1f),
                        I32(RESULT_PTR as i32),
                    ],
                );
                if errno == 0 {
                    let new_fd = self.read_u32(RESULT_PTR);
                    self.opened.push(new_fd);
                }
            }
            Op::Symlink { target, fd, path } => {
                let (tp, tl) = {
                    let t = self.path(target);
                    self.put(PATH_A, &t)
                };
                let p = self.path(path);
                let (pp, pl) = self.put(PATH_B, &p);
                let fd = self.fd(fd);
                self.call(
                    "path_symlink",
                    &[I32(tp), I32(tl), I32(fd), I32(pp), I32(pl)],
                );
            }
            Op::Link {
                old_fd,
                follow,
                old,
                new_fd,
                new,
            } => {
                let o = self.path(old);
                let (op_, ol) = self.put(PATH_A, &o);
                let n = self.path(new);
                let (np, nl) = self.put(PATH_B, &n);
                let (ofd, nfd) = (self.fd(old_fd), self.fd(new_fd));
                self.call(
                    "path_link",
                    &[
                        I32(ofd),
                        I32(*follow as i32),
                        I32(op_),
                        I32(ol),
                        I32(nfd),
                        I32(np),
                        I32(nl),
                    ],
                );
            }
            Op::Rename {
                old_fd,
                old,
                new_fd,
                new,
            } => {
                let o = self.path(old);
                let (op_, ol) = self.put(PATH_A, &o);
                let n = self.path(new);
                let (np, nl) = self.put(PATH_B, &n);
                let (ofd, nfd) = (self.fd(old_fd), self.fd(new_fd));
                self.call(
                    "path_rename",
                    &[I32(ofd), I32(op_), I32(ol), I32(nfd), I32(np), I32(nl)],
                );
            }
            Op::Unlink(fd, p) | Op::Rmdir(fd, p) | Op::Mkdir(fd, p) => {
                let name = match op {
                    Op::Unlink(..) => "path_unlink_file",
                    Op::Rmdir(..) => "path_remove_directory",
                    _ => "path_create_directory",
                };
                let b = self.path(p);
                let (pp, pl) = self.put(PATH_A, &b);
                let fd = self.fd(fd);
                self.call(name, &[I32(fd), I32(pp), I32(pl)]);
            }
            Op::Readlink(fd, p) => {
                let b = self.path(p);
                let (pp, pl) = self.put(PATH_A, &b);
                let fd = self.fd(fd);
                self.call(
                    "path_readlink",
                    &[
                        I32(fd),
                        I32(pp),
                        I32(pl),
                        I32(BUF as i32),
                        I32(BUF_LEN as i32),
                        I32(RESULT_PTR as i32),
                    ],
                );
            }
            Op::Stat(fd, follow, p) => {
                let b = self.path(p);
                let (pp, pl) = self.put(PATH_A, &b);
                let fd = self.fd(fd);
                self.call(
                    "path_filestat_get",
                    &[
                        I32(fd),
                        I32(*follow as i32),
                        I32(pp),
                        I32(pl),
                        I32(BUF as i32),
                    ],
                );
            }
            Op::SetTimes(fd, follow, p, flags) => {
                let b = self.path(p);
                let (pp, pl) = self.put(PATH_A, &b);
                let fd = self.fd(fd);
                self.call(
                    "path_filestat_set_times",
                    &[
                        I32(fd),
                        I32(*follow as i32),
                        I32(pp),
                        I32(pl),
                        I64(5_000_000_000),
                        I64(6_000_000_000),
                        I32(*flags as i32 & 0xf),
                    ],
                );
            }
            Op::Read(fd) => {
                let fd = self.fd(fd);
                let iov = [BUF.to_le_bytes(), BUF_LEN.to_le_bytes()].concat();
                self.put(IOVEC_PTR, &iov);
                self.put(BUF, &[0; BUF_LEN as usize]);
                let errno = self.call(
                    "fd_read",
                    &[
                        I32(fd),
                        I32(IOVEC_PTR as i32),
                        I32(1),
                        I32(RESULT_PTR as i32),
                    ],
                );
                if errno == 0 {
                    let m = self.store.memory(self.mem);
                    let got = &m[BUF as usize..(BUF + BUF_LEN) as usize];
                    assert!(
                        !got.windows(13).any(|w| w == &CANARY[..13]),
                        "the guest read the canary's content"
                    );
                }
            }
            Op::Write(fd, data) => {
                let fd = self.fd(fd);
                let n = data.len().min(BUF_LEN as usize);
                self.put(BUF, &data[..n]);
                let iov = [BUF.to_le_bytes(), (n as u32).to_le_bytes()].concat();
                self.put(IOVEC_PTR, &iov);
                self.call(
                    "fd_write",
                    &[
                        I32(fd),
                        I32(IOVEC_PTR as i32),
                        I32(1),
                        I32(RESULT_PTR as i32),
                    ],
                );
            }
            Op::Readdir(fd) => {
                let fd = self.fd(fd);
                self.call(
                    "fd_readdir",
                    &[
                        I32(fd),
                        I32(BUF as i32),
                        I32(BUF_LEN as i32),
                        I64(0),
                        I32(RESULT_PTR as i32),
                    ],
                );
            }
            Op::Close(fd) => {
                let fd = self.fd(fd);
                self.call("fd_close", &[I32(fd)]);
            }
            Op::Renumber(a, b) => {
                let (a, b) = (self.fd(a), self.fd(b));
                self.call("fd_renumber", &[I32(a), I32(b)]);
            }
            Op::Truncate(fd, size) => {
                let fd = self.fd(fd);
                self.call("fd_filestat_set_size", &[I32(fd), I64(*size as i64)]);
            }
        }
    }
}

/// Run a sequence of WASI calls against a fresh copy of the fixture's
/// preopens; afterwards nothing outside them may have changed.
pub fn wasi_paths_with(fx: &Fixture, data: &[u8]) {
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(ops) = <Vec<Op> as arbitrary::Arbitrary>::arbitrary(&mut u) else {
        return;
    };
    fx.reset();
    let ctx = wdb_engine::wasi::WasiCtx::new(wdb_engine::wasi::WasiConfig {
        args: vec!["guest".into()],
        preopens: vec![
            wdb_engine::wasi::Preopen {
                host: fx.root.clone(),
                guest: "/".into(),
            },
            wdb_engine::wasi::Preopen {
                host: fx.root2.clone(),
                guest: "/other".into(),
            },
        ],
        stdout: wdb_engine::wasi::Output::Sink(Arc::new(|_: &[u8]| {})),
        stderr: wdb_engine::wasi::Output::Sink(Arc::new(|_: &[u8]| {})),
        ..Default::default()
    })
    .expect("WASI context");
    let mut store = Store::new(StoreConfig::default());
    let mut linker = wdb_engine::runtime::Linker::new();
    wdb_engine::wasi::add_to_linker(&mut linker, &mut store, Arc::new(Mutex::new(ctx)))
        .expect("WASI linker");
    let imports = linker.resolve(&store, &fx.module).expect("guest links");
    let (inst, _) = store
        .instantiate(fx.module.clone(), &imports)
        .expect("guest instantiates");
    let mem = store.instance_memory(inst).expect("guest memory");
    let mut g = Guest {
        fx,
        store,
        inst,
        mem,
        opened: Vec::new(),
    };
    for op in ops.iter().take(64) {
        g.apply(op);
        g.fx.check_outside();
    }
}

/// `wasi_paths`: one fixture per process.
pub fn wasi_paths(data: &[u8]) {
    static FX: OnceLock<Fixture> = OnceLock::new();
    wasi_paths_with(FX.get_or_init(Fixture::new), data);
}
