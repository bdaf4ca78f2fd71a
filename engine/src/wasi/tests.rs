//! The WASI host driven directly (no interpreter): a byte vector stands in
//! for guest memory. Sandbox tests put a file OUTSIDE the preopen and prove
//! it is never read, written or removed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::abi::*;
use super::mem::GuestMem;
use super::table::Outcome;
use super::*;
use crate::value::ValType;

const SECRET: &[u8] = b"top secret\n";

struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
    ctx: WasiCtx,
    mem: Vec<u8>,
    out: Arc<Mutex<Vec<u8>>>,
}

fn env() -> Env {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("sandbox");
    let other = tmp.path().join("other");
    std::fs::create_dir(&root).unwrap();
    std::fs::create_dir(&other).unwrap();
    let outside = tmp.path().join("outside.txt");
    std::fs::write(&outside, SECRET).unwrap();
    std::fs::create_dir(tmp.path().join("outside_dir")).unwrap();
    std::fs::write(tmp.path().join("outside_dir/secret"), SECRET).unwrap();
    std::fs::write(root.join("inside.txt"), b"hello").unwrap();
    let out = Arc::new(Mutex::new(Vec::new()));
    let o2 = out.clone();
    let ctx = WasiCtx::new(WasiConfig {
        args: vec!["prog".into(), "a b".into()],
        env: vec![("K".into(), "V".into())],
        preopens: vec![
            Preopen {
                host: root.clone(),
                guest: "/".into(),
            },
            Preopen {
                host: other,
                guest: "/other".into(),
            },
        ],
        stdout: Output::Sink(Arc::new(move |b: &[u8]| {
            o2.lock().unwrap().extend_from_slice(b)
        })),
        ..WasiConfig::default()
    })
    .expect("ctx");
    Env {
        root,
        outside,
        ctx,
        mem: vec![0; 65536],
        out,
        _tmp: tmp,
    }
}

impl Env {
    fn call(&mut self, name: &'static str, args: &[u64]) -> u16 {
        self.call_traced(name, args).0
    }

    /// The errno and the arguments as the trace shows them.
    fn call_traced(&mut self, name: &'static str, args: &[u64]) -> (u16, Vec<(&str, String)>) {
        let mut m = GuestMem::new(&mut self.mem);
        let mut t = Vec::new();
        let func = lookup(name).expect("a preview1 function");
        let errno = match (func.call)(&mut self.ctx, &mut m, args, &mut t) {
            Outcome::Ok(_) => 0,
            Outcome::Err(e) => e,
            Outcome::Exit(_) => panic!("unexpected exit"),
        };
        (errno, t)
    }

    /// Put a string at `at`; returns (ptr, len).
    fn str_at(&mut self, at: u32, s: &str) -> (u64, u64) {
        self.mem[at as usize..at as usize + s.len()].copy_from_slice(s.as_bytes());
        (at as u64, s.len() as u64)
    }

    fn open(
        &mut self,
        dirfd: u32,
        path: &str,
        follow: bool,
        oflags: u16,
        rights: u64,
    ) -> Result<u32, u16> {
        let (p, l) = self.str_at(1000, path);
        let e = self.call(
            "path_open",
            &[
                dirfd as u64,
                follow as u64,
                p,
                l,
                oflags as u64,
                rights,
                rights,
                0,
                2000,
            ],
        );
        if e == 0 {
            Ok(u32::from_le_bytes(self.mem[2000..2004].try_into().unwrap()))
        } else {
            Err(e)
        }
    }

    fn u32_at(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.mem[at..at + 4].try_into().unwrap())
    }

    fn assert_outside_untouched(&self) {
        assert_eq!(std::fs::read(&self.outside).unwrap(), SECRET);
        let d = self.outside.parent().unwrap().join("outside_dir/secret");
        assert_eq!(std::fs::read(d).unwrap(), SECRET);
    }

    /// Write `data` through fd with one iovec; returns errno.
    fn write_fd(&mut self, fd: u32, data: &[u8]) -> u16 {
        self.mem[3000..3000 + data.len()].copy_from_slice(data);
        self.mem[100..104].copy_from_slice(&3000u32.to_le_bytes());
        self.mem[104..108].copy_from_slice(&(data.len() as u32).to_le_bytes());
        self.call("fd_write", &[fd as u64, 100, 1, 200])
    }

    fn read_fd(&mut self, fd: u32, len: u32) -> Result<Vec<u8>, u16> {
        self.mem[100..104].copy_from_slice(&3000u32.to_le_bytes());
        self.mem[104..108].copy_from_slice(&len.to_le_bytes());
        match self.call("fd_read", &[fd as u64, 100, 1, 200]) {
            0 => {
                let n = self.u32_at(200) as usize;
                Ok(self.mem[3000..3000 + n].to_vec())
            }
            e => Err(e),
        }
    }
}

fn symlink(target: &str, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

const RW: u64 = RIGHTS_FILE;
const CREAT: u16 = OFLAGS_CREAT;

#[test]
fn dotdot_escape_is_refused() {
    let mut e = env();
    assert_eq!(e.open(3, "../outside.txt", true, 0, RW), Err(ENOTCAPABLE));
    assert_eq!(
        e.open(3, "a/../../outside.txt", true, CREAT, RW),
        Err(ENOENT)
    );
    std::fs::create_dir(e.root.join("a")).unwrap();
    assert_eq!(
        e.open(3, "a/../../outside.txt", true, CREAT | OFLAGS_TRUNC, RW),
        Err(ENOTCAPABLE)
    );
    let (p, l) = e.str_at(1000, "../newdir");
    assert_eq!(e.call("path_create_directory", &[3, p, l]), ENOTCAPABLE);
    assert!(!e.outside.parent().unwrap().join("newdir").exists());
    let (p, l) = e.str_at(1000, "../outside.txt");
    assert_eq!(e.call("path_unlink_file", &[3, p, l]), ENOTCAPABLE);
    e.assert_outside_untouched();
    // `..` that stays inside is fine.
    assert!(e.open(3, "a/../inside.txt", true, 0, RW).is_ok());
}

#[test]
fn absolute_paths_are_refused() {
    let mut e = env();
    let abs = e.outside.to_str().unwrap().to_string();
    assert_eq!(e.open(3, &abs, true, 0, RW), Err(ENOTCAPABLE));
    assert_eq!(
        e.open(3, &abs, false, CREAT | OFLAGS_TRUNC, RW),
        Err(ENOTCAPABLE)
    );
    e.assert_outside_untouched();
}

#[test]
fn symlinks_leading_outside_are_refused() {
    let mut e = env();
    let abs = e.outside.to_str().unwrap().to_string();
    symlink("../outside.txt", &e.root.join("rel"));
    symlink(&abs, &e.root.join("abs"));
    symlink("../outside_dir", &e.root.join("dirlink"));
    // Chained: c1 -> c2 -> ../outside.txt
    symlink("c2", &e.root.join("c1"));
    symlink("sub/../rel", &e.root.join("c2"));
    std::fs::create_dir(e.root.join("sub")).unwrap();
    for path in [
        "rel",
        "abs",
        "c1",
        "dirlink/secret",
        "sub/../dirlink/secret",
    ] {
        assert_eq!(e.open(3, path, true, 0, RW), Err(ENOTCAPABLE), "{path}");
        assert_eq!(
            e.open(3, path, true, CREAT | OFLAGS_TRUNC, RW),
            Err(ENOTCAPABLE),
            "{path}"
        );
    }
    // Not following the final link: the link itself is refused for open.
    assert_eq!(e.open(3, "rel", false, 0, RW), Err(ELOOP));
    assert_eq!(
        e.open(3, "rel", false, CREAT | OFLAGS_TRUNC, RW),
        Err(ELOOP)
    );
    // Removing and renaming through a directory symlink.
    let (p, l) = e.str_at(1000, "dirlink/secret");
    assert_eq!(e.call("path_unlink_file", &[3, p, l]), ENOTCAPABLE);
    let (p, l) = e.str_at(1000, "dirlink/secret");
    let (q, m) = e.str_at(1100, "stolen");
    assert_eq!(e.call("path_rename", &[3, p, l, 3, q, m]), ENOTCAPABLE);
    let (p, l) = e.str_at(1000, "inside.txt");
    let (q, m) = e.str_at(1100, "dirlink/planted");
    assert_eq!(e.call("path_rename", &[3, p, l, 3, q, m]), ENOTCAPABLE);
    // Stat through a link is refused; stat of the link itself is fine.
    let (p, l) = e.str_at(1000, "rel");
    assert_eq!(
        e.call("path_filestat_get", &[3, 1, p, l, 4000]),
        ENOTCAPABLE
    );
    assert_eq!(e.call("path_filestat_get", &[3, 0, p, l, 4000]), 0);
    assert_eq!(e.mem[4016], FILETYPE_SYMBOLIC_LINK);
    // Unlinking the link removes the link only.
    assert_eq!(e.call("path_unlink_file", &[3, p, l]), 0);
    assert!(!e.root.join("rel").exists());
    e.assert_outside_untouched();
    assert!(
        !e.outside
            .parent()
            .unwrap()
            .join("outside_dir/planted")
            .exists()
    );
}

#[test]
fn symlink_loop_is_eloop() {
    let mut e = env();
    symlink("l2", &e.root.join("l1"));
    symlink("l1", &e.root.join("l2"));
    assert_eq!(e.open(3, "l1", true, 0, RW), Err(ELOOP));
    assert_eq!(e.open(3, "l1/x", false, 0, RW), Err(ELOOP));
}

#[test]
fn creating_absolute_symlinks_is_refused() {
    let mut e = env();
    let abs = e.outside.to_str().unwrap().to_string();
    let (p, l) = e.str_at(1000, &abs);
    let (q, m) = e.str_at(1500, "mylink");
    assert_eq!(e.call("path_symlink", &[p, l, 3, q, m]), ENOTCAPABLE);
    assert!(std::fs::symlink_metadata(e.root.join("mylink")).is_err());
    // A relative one is created, but cannot be used to escape.
    let (p, l) = e.str_at(1000, "../outside.txt");
    assert_eq!(e.call("path_symlink", &[p, l, 3, q, m]), 0);
    assert_eq!(
        e.open(3, "mylink", true, OFLAGS_TRUNC, RW),
        Err(ENOTCAPABLE)
    );
    e.assert_outside_untouched();
}

#[test]
fn links_and_renames_across_preopens_are_refused() {
    let mut e = env();
    let (p, l) = e.str_at(1000, "inside.txt");
    let (q, m) = e.str_at(1100, "moved.txt");
    assert_eq!(e.call("path_rename", &[3, p, l, 4, q, m]), EXDEV);
    assert_eq!(e.call("path_link", &[3, 0, p, l, 4, q, m]), EXDEV);
    assert!(e.root.join("inside.txt").exists());
    // Hard-linking something outside is impossible: its path cannot be named.
    let (p, l) = e.str_at(1000, "../outside.txt");
    let (q, m) = e.str_at(1100, "grab");
    assert_eq!(e.call("path_link", &[3, 0, p, l, 3, q, m]), ENOTCAPABLE);
    assert!(!e.root.join("grab").exists());
    // Inside one preopen both work.
    let (p, l) = e.str_at(1000, "inside.txt");
    assert_eq!(e.call("path_link", &[3, 0, p, l, 3, q, m]), 0);
    let (q, m) = e.str_at(1100, "renamed");
    assert_eq!(e.call("path_rename", &[3, p, l, 3, q, m]), 0);
    assert_eq!(std::fs::read(e.root.join("renamed")).unwrap(), b"hello");
    e.assert_outside_untouched();
}

#[test]
fn fds_never_given_are_ebadf() {
    let mut e = env();
    assert_eq!(e.write_fd(9, b"x"), EBADF);
    assert_eq!(e.read_fd(9, 4), Err(EBADF));
    assert_eq!(e.call("fd_close", &[9]), EBADF);
    assert_eq!(e.open(9, "inside.txt", true, 0, RW), Err(EBADF));
    assert_eq!(e.call("fd_prestat_get", &[9, 500]), EBADF);
    // A file fd is not a directory.
    let fd = e.open(3, "inside.txt", true, 0, RW).unwrap();
    assert_eq!(e.open(fd, "x", true, 0, RW), Err(ENOTDIR));
    assert_eq!(e.call("sock_shutdown", &[99, 1]), EBADF);
    assert_eq!(e.call("sock_shutdown", &[fd as u64, 1]), ENOTSOCK);
    // fd_close then use is EBADF.
    assert_eq!(e.call("fd_close", &[fd as u64]), 0);
    assert_eq!(e.read_fd(fd, 4), Err(EBADF));
}

#[test]
fn bad_pointers_are_efault() {
    let mut e = env();
    // iovec array out of bounds
    assert_eq!(e.call("fd_write", &[1, 65530, 1, 200]), EFAULT);
    // iovec buffer out of bounds
    e.mem[100..104].copy_from_slice(&65000u32.to_le_bytes());
    e.mem[104..108].copy_from_slice(&1000u32.to_le_bytes());
    assert_eq!(e.call("fd_write", &[1, 100, 1, 200]), EFAULT);
    assert_eq!(e.call("args_sizes_get", &[65535, 0]), EFAULT);
    assert_eq!(e.call("clock_time_get", &[0, 0, u32::MAX as u64]), EFAULT);
    assert_eq!(e.call("random_get", &[65000, 1000]), EFAULT);
    assert_eq!(
        e.call("path_open", &[3, 0, 65530, 100, 0, 0, 0, 0, 2000]),
        EFAULT
    );
    assert!(e.out.lock().unwrap().is_empty());
}

/// The calls one by one (I/O, args, readdir, clocks, trace, flags).
mod calls;
