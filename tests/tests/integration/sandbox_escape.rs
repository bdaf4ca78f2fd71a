//! End-to-end sandbox tests: a real guest module (WAT, run by the
//! interpreter) calls WASI's `path_open`, `path_symlink`, `path_link`,
//! `path_rename`, `fd_read`... and tries to escape its preopens with `..`,
//! absolute paths, symlinks (direct, relative, chained, looping), hard links,
//! renames across two preopens and forged fd numbers. Every attempt must be
//! refused with the right errno, and a canary file beside the preopens must
//! never be read, written, linked or removed (content, atime, mtime and link
//! count are checked after every call).
//!
//! The fixture tree and the guest are shared with the `wasi_paths` fuzz
//! target (`fuzz/src/lib.rs`).

use std::sync::{Arc, Mutex};

use wdb_engine::interp::{Execution, RunControl, RunOutcome};
use wdb_engine::runtime::{Extern, InstanceId, Linker, Store, StoreConfig};
use wdb_engine::wasi::{self, Output, Preopen, WasiConfig, WasiCtx};
use wdb_engine::{Module, Value};

use crate::fuzz;

// WASI errno values (preview1).
const EBADF: i32 = 8;
const EEXIST: i32 = 20;
const ELOOP: i32 = 32;
const ENOENT: i32 = 44;
const ENOTDIR: i32 = 54;
const EXDEV: i32 = 75;
const ENOTCAPABLE: i32 = 76;

const ROOT: i32 = 3;
const OTHER: i32 = 4;
const FOLLOW: i32 = 1;
const O_CREAT: i32 = 1;
const O_DIRECTORY: i32 = 2;
const O_TRUNC: i32 = 8;

const RESULT: i32 = 16;
const IOV: i32 = 32;
const PATH_A: i32 = 1024;
const PATH_B: i32 = 4096;
const BUF: i32 = 8192;

struct Guest {
    fx: fuzz::Fixture,
    store: Store,
    inst: InstanceId,
    mem: u32,
}

fn guest() -> Guest {
    let fx = fuzz::Fixture::new();
    fx.reset();
    let ctx = WasiCtx::new(WasiConfig {
        args: vec!["guest".into()],
        preopens: vec![
            Preopen {
                host: fx.root.clone(),
                guest: "/".into(),
            },
            Preopen {
                host: fx.root2.clone(),
                guest: "/other".into(),
            },
        ],
        stdout: Output::Sink(Arc::new(|_: &[u8]| {})),
        ..WasiConfig::default()
    })
    .expect("WASI context");
    let wasm = wat::parse_str(fuzz::wasi_guest_wat()).expect("guest WAT");
    let module = Arc::new(Module::new(wasm).expect("guest module"));
    let mut store = Store::new(StoreConfig::default());
    let mut linker = Linker::new();
    wasi::add_to_linker(&mut linker, &mut store, Arc::new(Mutex::new(ctx))).expect("linker");
    let imports = linker.resolve(&store, &module).expect("guest links");
    let (inst, _) = store.instantiate(module, &imports).expect("instantiate");
    let mem = store.instance_memory(inst).expect("memory");
    Guest {
        fx,
        store,
        inst,
        mem,
    }
}

impl Guest {
    fn put(&mut self, at: i32, bytes: &[u8]) -> (Value, Value) {
        self.store.memory_mut(self.mem)[at as usize..at as usize + bytes.len()]
            .copy_from_slice(bytes);
        (Value::I32(at), Value::I32(bytes.len() as i32))
    }

    fn u32_at(&self, at: i32) -> u32 {
        let m = self.store.memory(self.mem);
        u32::from_le_bytes(m[at as usize..at as usize + 4].try_into().expect("4 bytes"))
    }

    /// Call the guest's wrapper for a WASI function; returns the errno, and
    /// checks the outside of the sandbox afterwards.
    fn call(&mut self, name: &str, args: &[Value]) -> i32 {
        let Some(Extern::Func(f)) = self.store.instance_export(self.inst, name) else {
            panic!("guest exports {name}");
        };
        let mut exec = Execution::new(&mut self.store, f, args).expect("signature");
        let errno = match exec.run(&mut self.store, &mut RunControl::default()) {
            RunOutcome::Returned(v) => match v[..] {
                [Value::I32(e)] => e,
                _ => panic!("{name} returned {v:?}"),
            },
            other => panic!("{name}: {other:?}"),
        };
        self.fx.check_outside();
        errno
    }

    fn open(&mut self, dirfd: i32, path: &str, lookup: i32, oflags: i32) -> Result<i32, i32> {
        let (p, l) = self.put(PATH_A, path.as_bytes());
        // All rights, except that a directory cannot be opened for writing.
        let all = Value::I64(if oflags & O_DIRECTORY != 0 {
            !(1 << 6)
        } else {
            -1
        });
        let e = self.call(
            "path_open",
            &[
                Value::I32(dirfd),
                Value::I32(lookup),
                p,
                l,
                Value::I32(oflags),
                all,
                all,
                Value::I32(0),
                Value::I32(RESULT),
            ],
        );
        if e == 0 {
            Ok(self.u32_at(RESULT) as i32)
        } else {
            Err(e)
        }
    }

    fn read(&mut self, fd: i32) -> Result<Vec<u8>, i32> {
        let iov = [(BUF as u32).to_le_bytes(), 4096u32.to_le_bytes()].concat();
        self.put(IOV, &iov);
        let e = self.call(
            "fd_read",
            &[
                Value::I32(fd),
                Value::I32(IOV),
                Value::I32(1),
                Value::I32(RESULT),
            ],
        );
        if e != 0 {
            return Err(e);
        }
        let n = self.u32_at(RESULT) as usize;
        Ok(self.store.memory(self.mem)[BUF as usize..BUF as usize + n].to_vec())
    }

    fn write(&mut self, fd: i32, data: &[u8]) -> i32 {
        self.put(BUF, data);
        let iov = [
            (BUF as u32).to_le_bytes(),
            (data.len() as u32).to_le_bytes(),
        ]
        .concat();
        self.put(IOV, &iov);
        self.call(
            "fd_write",
            &[
                Value::I32(fd),
                Value::I32(IOV),
                Value::I32(1),
                Value::I32(RESULT),
            ],
        )
    }

    fn two_paths(&mut self, a: &str, b: &str) -> (Value, Value, Value, Value) {
        let (ap, al) = self.put(PATH_A, a.as_bytes());
        let (bp, bl) = self.put(PATH_B, b.as_bytes());
        (ap, al, bp, bl)
    }

    fn symlink(&mut self, target: &str, dirfd: i32, path: &str) -> i32 {
        let (tp, tl, pp, pl) = self.two_paths(target, path);
        self.call("path_symlink", &[tp, tl, Value::I32(dirfd), pp, pl])
    }

    fn link(&mut self, old_fd: i32, follow: i32, old: &str, new_fd: i32, new: &str) -> i32 {
        let (op, ol, np, nl) = self.two_paths(old, new);
        self.call(
            "path_link",
            &[
                Value::I32(old_fd),
                Value::I32(follow),
                op,
                ol,
                Value::I32(new_fd),
                np,
                nl,
            ],
        )
    }

    fn rename(&mut self, old_fd: i32, old: &str, new_fd: i32, new: &str) -> i32 {
        let (op, ol, np, nl) = self.two_paths(old, new);
        self.call(
            "path_rename",
            &[Value::I32(old_fd), op, ol, Value::I32(new_fd), np, nl],
        )
    }

    fn unlink(&mut self, dirfd: i32, path: &str) -> i32 {
        let (p, l) = self.put(PATH_A, path.as_bytes());
        self.call("path_unlink_file", &[Value::I32(dirfd), p, l])
    }
}

#[test]
fn dotdot_and_absolute_paths_are_not_capable() {
    let mut g = guest();
    for path in [
        "..",
        "../canary.txt",
        "dir/../../canary.txt",
        "./././../canary.txt",
        "/canary.txt",
        "/",
    ] {
        for lookup in [0, FOLLOW] {
            assert_eq!(g.open(ROOT, path, lookup, 0), Err(ENOTCAPABLE), "{path:?}");
        }
        assert_eq!(
            g.open(ROOT, path, 0, O_CREAT),
            Err(ENOTCAPABLE),
            "create {path:?}"
        );
    }
    // Through a file: not a directory, before `..` is even considered.
    assert_eq!(
        g.open(ROOT, "dir/inner.txt/../../../canary.txt", FOLLOW, 0),
        Err(ENOTDIR)
    );
    // The second preopen is no way back up either.
    assert_eq!(
        g.open(OTHER, "../sandbox/file.txt", FOLLOW, 0),
        Err(ENOTCAPABLE)
    );
    assert_eq!(g.open(OTHER, "../canary.txt", FOLLOW, 0), Err(ENOTCAPABLE));
    // `..` that stays inside is fine.
    let fd = g.open(ROOT, "dir/../file.txt", FOLLOW, 0).expect("inside");
    assert_eq!(g.read(fd).expect("read"), b"inside\n");
}

#[test]
fn symlinks_out_of_the_sandbox_are_not_followed() {
    let mut g = guest();
    // Pre-made links: absolute, relative, through a chain, to a directory outside.
    for path in [
        "abs",
        "rel_out",
        "chain1",
        "up/canary.txt",
        "absdir/secret",
        "dirlink/../up/canary.txt",
    ] {
        assert_eq!(g.open(ROOT, path, FOLLOW, 0), Err(ENOTCAPABLE), "{path:?}");
        assert_eq!(
            g.open(ROOT, path, FOLLOW, O_CREAT | O_TRUNC),
            Err(ENOTCAPABLE),
            "{path:?}"
        );
    }
    assert_eq!(g.open(ROOT, "loop", FOLLOW, 0), Err(ELOOP));
    // Not following the last component: the link itself, which cannot be opened as a file.
    assert_eq!(g.open(ROOT, "abs", 0, 0), Err(ELOOP));
    // Links the guest makes itself are no better.
    assert_eq!(g.symlink("../canary.txt", ROOT, "mine"), 0);
    assert_eq!(g.open(ROOT, "mine", FOLLOW, 0), Err(ENOTCAPABLE));
    let e = g.symlink("/canary.txt", ROOT, "mine_abs");
    if e == 0 {
        assert_eq!(g.open(ROOT, "mine_abs", FOLLOW, 0), Err(ENOTCAPABLE));
    } else {
        assert_eq!(e, ENOTCAPABLE, "absolute symlink target");
    }
    assert_eq!(g.symlink("mine", ROOT, "mine2"), 0);
    assert_eq!(g.symlink("dir/../mine2", ROOT, "mine3"), 0);
    assert_eq!(
        g.open(ROOT, "mine3", FOLLOW, 0),
        Err(ENOTCAPABLE),
        "chained"
    );
    // Creating the link outside is refused too.
    assert_eq!(g.symlink("file.txt", ROOT, "../escaped"), ENOTCAPABLE);
    assert_eq!(g.symlink("file.txt", ROOT, "up/escaped"), ENOTCAPABLE);
    // In-sandbox links work.
    let fd = g.open(ROOT, "filelink", FOLLOW, 0).expect("inside link");
    assert_eq!(g.read(fd).expect("read"), b"inside\n");
}

#[test]
fn hard_links_cannot_reach_outside() {
    let mut g = guest();
    assert_eq!(g.link(ROOT, FOLLOW, "abs", ROOT, "hl"), ENOTCAPABLE);
    assert_eq!(g.link(ROOT, FOLLOW, "rel_out", ROOT, "hl"), ENOTCAPABLE);
    assert_eq!(g.link(ROOT, 0, "up/canary.txt", ROOT, "hl"), ENOTCAPABLE);
    assert_eq!(g.link(ROOT, 0, "../canary.txt", ROOT, "hl"), ENOTCAPABLE);
    assert_eq!(g.link(ROOT, 0, "file.txt", ROOT, "../hl"), ENOTCAPABLE);
    assert_eq!(g.link(ROOT, 0, "file.txt", ROOT, "up/hl"), ENOTCAPABLE);
    // Across the two preopens.
    assert_eq!(g.link(ROOT, 0, "file.txt", OTHER, "hl"), EXDEV);
    // Not following `abs` links the symlink itself, inside; following it through that copy still fails.
    let e = g.link(ROOT, 0, "abs", ROOT, "abs_copy");
    assert!(e == 0 || e == ENOTCAPABLE, "errno {e}");
    assert_eq!(
        g.open(ROOT, "abs_copy", FOLLOW, 0).err(),
        Some(if e == 0 { ENOTCAPABLE } else { ENOENT })
    );
    assert_eq!(g.link(ROOT, 0, "file.txt", ROOT, "hl_inside"), 0);
    assert_eq!(g.link(ROOT, 0, "file.txt", ROOT, "hl_inside"), EEXIST);
}

#[test]
fn renames_stay_inside_one_preopen() {
    let mut g = guest();
    assert_eq!(g.rename(ROOT, "file.txt", OTHER, "moved.txt"), EXDEV);
    assert_eq!(g.rename(OTHER, "file2.txt", ROOT, "moved.txt"), EXDEV);
    assert_eq!(
        g.rename(ROOT, "file.txt", ROOT, "../moved.txt"),
        ENOTCAPABLE
    );
    assert_eq!(
        g.rename(ROOT, "file.txt", ROOT, "up/moved.txt"),
        ENOTCAPABLE
    );
    assert_eq!(
        g.rename(ROOT, "../canary.txt", ROOT, "stolen.txt"),
        ENOTCAPABLE
    );
    assert_eq!(
        g.rename(ROOT, "up/canary.txt", ROOT, "stolen.txt"),
        ENOTCAPABLE
    );
    // Renaming the link that points outside moves the link, not the canary.
    assert_eq!(g.rename(ROOT, "abs", ROOT, "abs_moved"), 0);
    assert_eq!(g.open(ROOT, "abs_moved", FOLLOW, 0), Err(ENOTCAPABLE));
    // Unlinking through a link to outside is refused; unlinking the link removes the link only.
    assert_eq!(g.unlink(ROOT, "up/canary.txt"), ENOTCAPABLE);
    assert_eq!(g.unlink(ROOT, "rel_out"), 0);
    assert_eq!(g.rename(ROOT, "file.txt", ROOT, "renamed.txt"), 0);
}

#[test]
fn forged_fd_numbers_are_bad_descriptors() {
    let mut g = guest();
    for fd in [5, 99, 1 << 20, -1, i32::MAX] {
        assert_eq!(g.open(fd, "file.txt", FOLLOW, 0), Err(EBADF), "dirfd {fd}");
        assert_eq!(g.read(fd), Err(EBADF), "fd_read {fd}");
        assert_eq!(g.write(fd, b"x"), EBADF, "fd_write {fd}");
        assert_eq!(g.link(fd, 0, "file.txt", ROOT, "x"), EBADF);
        assert_eq!(g.rename(ROOT, "file.txt", fd, "x"), EBADF);
    }
    // stdio is not a directory.
    assert_eq!(g.open(0, "file.txt", FOLLOW, 0), Err(ENOTDIR));
    // A regular file's fd is not a directory either; a closed fd is gone.
    let fd = g.open(ROOT, "file.txt", FOLLOW, 0).expect("open");
    assert_eq!(g.open(fd, "x", FOLLOW, 0), Err(ENOTDIR));
    assert_eq!(g.call("fd_close", &[Value::I32(fd)]), 0);
    assert_eq!(g.read(fd), Err(EBADF));
    assert_eq!(g.call("fd_close", &[Value::I32(fd)]), EBADF);
    // Renumbering onto a preopen, then using the old number, is no way out.
    let fd = g.open(ROOT, "dir", FOLLOW, O_DIRECTORY).expect("open dir");
    assert_eq!(
        g.call("fd_renumber", &[Value::I32(fd), Value::I32(OTHER)]),
        0
    );
    assert_eq!(g.open(OTHER, "../canary.txt", FOLLOW, 0), Err(ENOTCAPABLE));
    assert_eq!(
        g.open(fd, "inner.txt", FOLLOW, 0),
        Err(EBADF),
        "the renumbered-from fd"
    );
    let inner = g
        .open(OTHER, "inner.txt", FOLLOW, 0)
        .expect("renumbered dir");
    assert_eq!(g.read(inner).expect("read"), b"inner\n");
}

#[test]
fn writes_and_creates_stay_inside() {
    let mut g = guest();
    let fd = g
        .open(ROOT, "new.txt", FOLLOW, O_CREAT)
        .expect("create inside");
    assert_eq!(g.write(fd, b"hello"), 0);
    assert_eq!(
        std::fs::read(g.fx.root.join("new.txt")).expect("created"),
        b"hello"
    );
    // O_CREAT through a dangling link to outside must not create the target.
    assert_eq!(g.symlink("../created_outside.txt", ROOT, "dangling"), 0);
    assert_eq!(g.open(ROOT, "dangling", FOLLOW, O_CREAT), Err(ENOTCAPABLE));
    assert!(!g.fx.base.join("created_outside.txt").exists());
    // A file fd can't be used to create beside it.
    assert_eq!(g.open(fd, "../x", FOLLOW, O_CREAT), Err(ENOTDIR));
}
