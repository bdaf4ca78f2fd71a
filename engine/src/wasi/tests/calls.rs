//! The WASI host's calls one by one: I/O, args and environment, directory
//! listing, clocks and polling, the call trace and its table, flags.

use super::*;

#[test]
fn read_write_seek_and_stdout() {
    let mut e = env();
    assert_eq!(e.write_fd(1, b"hi there"), 0);
    assert_eq!(e.u32_at(200), 8);
    assert_eq!(&*e.out.lock().unwrap(), b"hi there");
    let fd = e.open(3, "new.txt", true, CREAT, RW).unwrap();
    assert_eq!(e.write_fd(fd, b"0123456789"), 0);
    assert_eq!(
        e.call("fd_seek", &[fd as u64, 2, WHENCE_SET as u64, 300]),
        0
    );
    assert_eq!(e.read_fd(fd, 3).unwrap(), b"234");
    assert_eq!(e.call("fd_tell", &[fd as u64, 300]), 0);
    assert_eq!(u64::from_le_bytes(e.mem[300..308].try_into().unwrap()), 5);
    assert_eq!(
        e.call(
            "fd_seek",
            &[fd as u64, (-1i64) as u64, WHENCE_SET as u64, 300]
        ),
        EINVAL
    );
    assert_eq!(
        std::fs::read(e.root.join("new.txt")).unwrap(),
        b"0123456789"
    );
    // A read-only fd cannot write.
    let ro = e
        .open(3, "inside.txt", true, 0, RIGHT_FD_READ | RIGHT_FD_SEEK)
        .unwrap();
    assert_eq!(e.write_fd(ro, b"x"), EBADF);
    assert_eq!(e.read_fd(ro, 100).unwrap(), b"hello");
    // fdstat layout
    assert_eq!(e.call("fd_fdstat_get", &[ro as u64, 400]), 0);
    assert_eq!(e.mem[400], FILETYPE_REGULAR_FILE);
    let base = u64::from_le_bytes(e.mem[408..416].try_into().unwrap());
    assert_eq!(base, RIGHT_FD_READ | RIGHT_FD_SEEK);
    // filestat layout
    assert_eq!(e.call("fd_filestat_get", &[fd as u64, 500]), 0);
    assert_eq!(e.mem[516], FILETYPE_REGULAR_FILE);
    assert_eq!(u64::from_le_bytes(e.mem[532..540].try_into().unwrap()), 10);
}

#[test]
fn args_env_prestat() {
    let mut e = env();
    assert_eq!(e.call("args_sizes_get", &[0, 4]), 0);
    assert_eq!((e.u32_at(0), e.u32_at(4)), (2, 9));
    assert_eq!(e.call("args_get", &[100, 200]), 0);
    assert_eq!(e.u32_at(100), 200);
    assert_eq!(e.u32_at(104), 205);
    assert_eq!(&e.mem[200..209], b"prog\0a b\0");
    assert_eq!(e.call("environ_sizes_get", &[0, 4]), 0);
    assert_eq!((e.u32_at(0), e.u32_at(4)), (1, 4));
    assert_eq!(e.call("environ_get", &[100, 200]), 0);
    assert_eq!(&e.mem[200..204], b"K=V\0");
    assert_eq!(e.call("fd_prestat_get", &[4, 300]), 0);
    assert_eq!(e.mem[300], 0);
    assert_eq!(e.u32_at(304), 6);
    assert_eq!(e.call("fd_prestat_dir_name", &[4, 400, 6]), 0);
    assert_eq!(&e.mem[400..406], b"/other");
    assert_eq!(e.call("fd_prestat_dir_name", &[4, 400, 2]), ENAMETOOLONG);
    assert_eq!(e.call("fd_prestat_get", &[1, 300]), EBADF);
}

#[test]
fn readdir_lists_dot_dotdot_and_entries() {
    let mut e = env();
    std::fs::create_dir(e.root.join("d")).unwrap();
    assert_eq!(e.call("fd_readdir", &[3, 5000, 4096, 0, 200]), 0);
    let used = e.u32_at(200) as usize;
    let mut names = Vec::new();
    let mut at = 5000;
    while at < 5000 + used {
        let namlen = e.u32_at(at + 16) as usize;
        let ty = e.mem[at + 20];
        names.push((
            String::from_utf8(e.mem[at + 24..at + 24 + namlen].to_vec()).unwrap(),
            ty,
        ));
        at += 24 + namlen;
    }
    assert_eq!(
        names,
        vec![
            (".".to_string(), FILETYPE_DIRECTORY),
            ("..".to_string(), FILETYPE_DIRECTORY),
            ("d".to_string(), FILETYPE_DIRECTORY),
            ("inside.txt".to_string(), FILETYPE_REGULAR_FILE),
        ]
    );
    // A small buffer is filled completely (bufused == buf_len means "more").
    assert_eq!(e.call("fd_readdir", &[3, 5000, 30, 0, 200]), 0);
    assert_eq!(e.u32_at(200), 30);
    // Cookie 3 resumes at the 4th entry.
    assert_eq!(e.call("fd_readdir", &[3, 5000, 4096, 3, 200]), 0);
    assert_eq!(e.u32_at(200), 24 + 10);
}

#[test]
fn poll_clock_sleeps_and_reports() {
    let mut e = env();
    // one relative clock subscription of 5ms, userdata 77
    let mut sub = [0u8; 48];
    sub[0..8].copy_from_slice(&77u64.to_le_bytes());
    sub[8] = EVENTTYPE_CLOCK;
    sub[16..20].copy_from_slice(&CLOCK_MONOTONIC.to_le_bytes());
    sub[24..32].copy_from_slice(&5_000_000u64.to_le_bytes());
    e.mem[1000..1048].copy_from_slice(&sub);
    let t0 = std::time::Instant::now();
    assert_eq!(e.call("poll_oneoff", &[1000, 2000, 1, 3000]), 0);
    assert!(t0.elapsed() >= std::time::Duration::from_millis(5));
    assert_eq!(e.u32_at(3000), 1);
    assert_eq!(
        u64::from_le_bytes(e.mem[2000..2008].try_into().unwrap()),
        77
    );
    assert_eq!(e.mem[2010], EVENTTYPE_CLOCK);
    assert_eq!(e.call("poll_oneoff", &[1000, 2000, 0, 3000]), EINVAL);
}

#[test]
fn strace_line_and_log() {
    let ctx = Arc::new(Mutex::new(env().ctx));
    let mut c = ctx.lock().unwrap();
    c.record(WasiCall {
        seq: 0,
        func: "fd_write",
        args: vec![("fd", "1".into()), ("iovs", "[14]".into())],
        errno: 0,
        errno_name: "ESUCCESS",
        bytes: Some(14),
        start: std::time::Duration::ZERO,
        duration: std::time::Duration::from_micros(12),
    });
    assert_eq!(
        c.log[0].strace_line(),
        "fd_write(fd=1, iovs=[14]) = 14 bytes (ESUCCESS) <0.000012s>"
    );
    let mut err = c.log[0].clone();
    err.func = "path_open";
    err.errno = ENOENT;
    err.errno_name = errno_name(ENOENT);
    err.bytes = None;
    err.args = vec![("path", "\"x\"".into())];
    assert_eq!(
        err.strace_line(),
        "path_open(path=\"x\") = -1 ENOENT (44) <0.000012s>"
    );
}

#[test]
fn log_is_capped() {
    let mut e = env();
    for _ in 0..LOG_CAP + 5 {
        let mut m = GuestMem::new(&mut e.mem);
        let mut t = Vec::new();
        let _ = (lookup("sched_yield").unwrap().call)(&mut e.ctx, &mut m, &[], &mut t);
        e.ctx.record(WasiCall {
            seq: 0,
            func: "sched_yield",
            args: t,
            errno: 0,
            errno_name: "ESUCCESS",
            bytes: None,
            start: Default::default(),
            duration: Default::default(),
        });
    }
    assert_eq!(e.ctx.log.len(), LOG_CAP);
    assert_eq!(e.ctx.log_dropped, 5);
    assert_eq!(e.ctx.log.back().unwrap().seq, LOG_CAP as u64 + 4);
}

#[test]
fn errno_names_and_types() {
    assert_eq!(errno_name(ENOTCAPABLE), "ENOTCAPABLE");
    assert_eq!(errno_name(EFAULT), "EFAULT");
    assert_eq!(errno_name(ENOENT), "ENOENT");
    assert_eq!(EFAULT, 21);
    let t = func_type("fd_write").unwrap();
    assert_eq!(t.params().len(), 4);
    assert_eq!(t.results().len(), 1);
    assert!(func_type("proc_exit").unwrap().results().is_empty());
    assert_eq!(func_type("path_open").unwrap().params().len(), 9);
    assert_eq!(FUNCS.len(), 46);
}

/// The wasm signatures of `wasi_snapshot_preview1` as its witx gives them
/// (`i` = i32, `I` = i64); every function but `proc_exit` returns an errno.
const SNAPSHOT: &[(&str, &str)] = &[
    ("args_get", "ii"),
    ("args_sizes_get", "ii"),
    ("environ_get", "ii"),
    ("environ_sizes_get", "ii"),
    ("clock_res_get", "ii"),
    ("clock_time_get", "iIi"),
    ("fd_advise", "iIIi"),
    ("fd_allocate", "iII"),
    ("fd_close", "i"),
    ("fd_datasync", "i"),
    ("fd_fdstat_get", "ii"),
    ("fd_fdstat_set_flags", "ii"),
    ("fd_fdstat_set_rights", "iII"),
    ("fd_filestat_get", "ii"),
    ("fd_filestat_set_size", "iI"),
    ("fd_filestat_set_times", "iIIi"),
    ("fd_pread", "iiiIi"),
    ("fd_prestat_get", "ii"),
    ("fd_prestat_dir_name", "iii"),
    ("fd_pwrite", "iiiIi"),
    ("fd_read", "iiii"),
    ("fd_readdir", "iiiIi"),
    ("fd_renumber", "ii"),
    ("fd_seek", "iIii"),
    ("fd_sync", "i"),
    ("fd_tell", "ii"),
    ("fd_write", "iiii"),
    ("path_create_directory", "iii"),
    ("path_filestat_get", "iiiii"),
    ("path_filestat_set_times", "iiiiIIi"),
    ("path_link", "iiiiiii"),
    ("path_open", "iiiiiIIii"),
    ("path_readlink", "iiiiii"),
    ("path_remove_directory", "iii"),
    ("path_rename", "iiiiii"),
    ("path_symlink", "iiiii"),
    ("path_unlink_file", "iii"),
    ("poll_oneoff", "iiii"),
    ("proc_exit", "i"),
    ("proc_raise", "i"),
    ("sched_yield", ""),
    ("random_get", "ii"),
    ("sock_accept", "iii"),
    ("sock_recv", "iiiiii"),
    ("sock_send", "iiiii"),
    ("sock_shutdown", "ii"),
];

#[test]
fn table_matches_the_snapshot() {
    let names: Vec<&str> = FUNCS.iter().map(|f| f.name).collect();
    let want: Vec<&str> = SNAPSHOT.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, want);
    for (name, sig) in SNAPSHOT {
        let ty = func_type(name).unwrap();
        let params: String = ty
            .params()
            .iter()
            .map(|t| if *t == ValType::I64 { 'I' } else { 'i' })
            .collect();
        assert_eq!(&params, sig, "{name}");
        assert!(
            ty.params()
                .iter()
                .all(|t| matches!(t, ValType::I32 | ValType::I64))
        );
        assert!(ty.params().len() <= MAX_PARAMS, "{name}");
        let results = if *name == "proc_exit" { 0 } else { 1 };
        assert_eq!(ty.results(), &[ValType::I32][..results], "{name}");
    }
    assert!(func_type("fd_writ").is_none());
}

#[test]
fn trace_shows_the_table_params_decoded() {
    let mut e = env();
    let (p, l) = e.str_at(1000, "inside.txt");
    let (errno, t) = e.call_traced(
        "path_open",
        &[3, 1, p, l, 1, RIGHT_FD_READ, u64::MAX, 1, 2000],
    );
    assert_eq!(errno, 0);
    let shown: Vec<String> = t.iter().map(|(k, v)| format!("{k}={v}")).collect();
    // fs_rights_inheriting and the result pointer are left out.
    assert_eq!(
        shown,
        [
            "fd=3",
            "dirflags=SYMLINK_FOLLOW",
            "path=\"inside.txt\"",
            "oflags=CREAT",
            "fs_rights_base=0x2",
            "fdflags=APPEND",
        ]
    );
    // An iovec array shows its buffer lengths; a failed call still shows
    // every traced argument, and an unreadable path where it points.
    e.mem[3000..3008].copy_from_slice(&[0xb8, 0x0b, 0, 0, 5, 0, 0, 0]);
    let (errno, t) = e.call_traced("fd_write", &[1, 3000, 1, 3100]);
    assert_eq!((errno, t[1].1.as_str()), (0, "[5]"));
    let (errno, t) = e.call_traced("path_rename", &[99, 1000, 3, 3, 0xffff_fff0, 4]);
    assert_eq!(errno, EBADF);
    assert_eq!(
        t,
        [
            ("fd", "99".to_string()),
            ("old_path", "\"ins\"".to_string()),
            ("new_fd", "3".to_string()),
            ("new_path", "<0xfffffff0+4>".to_string()),
        ]
    );
    let (_, t) = e.call_traced("fd_seek", &[3, (-5i64) as u64, 1, 4000]);
    assert_eq!(t[1..], [("offset", "-5".into()), ("whence", "CUR".into())]);
}

#[test]
fn flags_decode_by_name() {
    assert_eq!(flag_names(5, OFLAGS_NAMES), "CREAT|EXCL");
    assert_eq!(flag_names(0, OFLAGS_NAMES), "0");
    assert_eq!(flag_names(0x41, FDFLAGS_NAMES), "APPEND|0x40");
}

#[test]
fn path_open_flags() {
    let mut e = env();
    assert_eq!(
        e.open(3, "inside.txt", true, CREAT | OFLAGS_EXCL, RW),
        Err(EEXIST)
    );
    assert_eq!(
        e.open(3, "inside.txt", true, OFLAGS_DIRECTORY, RW),
        Err(ENOTDIR)
    );
    assert_eq!(
        e.open(3, "new", true, CREAT | OFLAGS_DIRECTORY, RW),
        Err(EINVAL)
    );
    assert_eq!(e.open(3, "missing", true, 0, RW), Err(ENOENT));
    assert_eq!(e.open(3, "missing/x", true, CREAT, RW), Err(ENOENT));
    assert_eq!(e.open(3, "inside.txt/x", true, CREAT, RW), Err(ENOTDIR));
    assert_eq!(e.open(3, ".", true, 0, RIGHT_FD_WRITE), Err(EISDIR));
    let d = e.open(3, ".", true, OFLAGS_DIRECTORY, RIGHTS_DIR).unwrap();
    assert_eq!(e.call("fd_fdstat_get", &[d as u64, 400]), 0);
    assert_eq!(e.mem[400], FILETYPE_DIRECTORY);
    // TRUNC empties the file; EXCL creates a new one.
    let f = e.open(3, "inside.txt", true, OFLAGS_TRUNC, RW).unwrap();
    assert_eq!(std::fs::read(e.root.join("inside.txt")).unwrap(), b"");
    assert_eq!(e.write_fd(f, b"abc"), 0);
    let g = e.open(3, "fresh", true, CREAT | OFLAGS_EXCL, RW).unwrap();
    assert!(e.root.join("fresh").exists());
    // APPEND set later makes writes go to the end.
    assert_eq!(e.call("fd_seek", &[f as u64, 0, WHENCE_SET as u64, 300]), 0);
    assert_eq!(
        e.call("fd_fdstat_set_flags", &[f as u64, FDFLAGS_APPEND as u64]),
        0
    );
    assert_eq!(e.write_fd(f, b"def"), 0);
    assert_eq!(std::fs::read(e.root.join("inside.txt")).unwrap(), b"abcdef");
    // Rights can only shrink.
    assert_eq!(
        e.call("fd_fdstat_set_rights", &[g as u64, RIGHT_FD_READ, 0]),
        0
    );
    assert_eq!(
        e.call(
            "fd_fdstat_set_rights",
            &[g as u64, RIGHT_FD_READ | RIGHT_FD_WRITE, 0]
        ),
        ENOTCAPABLE
    );
    assert_eq!(e.write_fd(g, b"x"), EBADF);
    assert_eq!(
        e.call("fd_seek", &[g as u64, 0, WHENCE_END as u64, 300]),
        ENOTCAPABLE
    );
    // Renumber moves the entry and closes the target.
    assert_eq!(e.call("fd_renumber", &[f as u64, g as u64]), 0);
    assert_eq!(e.call("fd_close", &[f as u64]), EBADF);
    assert_eq!(e.write_fd(g, b"!"), 0);
    assert_eq!(
        std::fs::read(e.root.join("inside.txt")).unwrap(),
        b"abcdef!"
    );
}

#[test]
fn directories_create_remove_and_readlink() {
    let mut e = env();
    let (p, l) = e.str_at(1000, "d");
    assert_eq!(e.call("path_create_directory", &[3, p, l]), 0);
    assert_eq!(e.call("path_create_directory", &[3, p, l]), EEXIST);
    let (q, m) = e.str_at(1100, "d/f");
    let f = e.open(3, "d/f", true, CREAT, RW).unwrap();
    assert_eq!(e.call("fd_close", &[f as u64]), 0);
    assert_eq!(e.call("path_remove_directory", &[3, p, l]), ENOTEMPTY);
    assert_eq!(e.call("path_unlink_file", &[3, p, l]), EISDIR);
    assert_eq!(e.call("path_remove_directory", &[3, q, m]), ENOTDIR);
    assert_eq!(e.call("path_unlink_file", &[3, q, m]), 0);
    assert_eq!(e.call("path_remove_directory", &[3, p, l]), 0);
    // The preopen itself cannot be removed.
    let (p, l) = e.str_at(1000, ".");
    assert_eq!(e.call("path_remove_directory", &[3, p, l]), EBUSY);
    assert!(e.root.exists());
    // readlink returns the target text, truncated to the buffer.
    let (t, tl) = e.str_at(1200, "inside.txt");
    let (n, nl) = e.str_at(1300, "ln");
    assert_eq!(e.call("path_symlink", &[t, tl, 3, n, nl]), 0);
    assert_eq!(e.call("path_readlink", &[3, n, nl, 4000, 100, 200]), 0);
    assert_eq!(e.u32_at(200), 10);
    assert_eq!(&e.mem[4000..4010], b"inside.txt");
    assert_eq!(e.call("path_readlink", &[3, n, nl, 4000, 4, 200]), 0);
    assert_eq!(e.u32_at(200), 4);
    assert_eq!(e.call("path_readlink", &[3, t, tl, 4000, 100, 200]), EINVAL);
    // Following the in-sandbox link reaches the file.
    assert!(e.open(3, "ln", true, 0, RW).is_ok());
}

#[test]
fn clocks_and_random() {
    let mut e = env();
    for id in [
        CLOCK_REALTIME,
        CLOCK_MONOTONIC,
        CLOCK_PROCESS_CPUTIME,
        CLOCK_THREAD_CPUTIME,
    ] {
        assert_eq!(
            e.call("clock_time_get", &[id as u64, 0, 100]),
            0,
            "clock {id}"
        );
        assert_eq!(e.call("clock_res_get", &[id as u64, 108]), 0, "clock {id}");
        assert!(u64::from_le_bytes(e.mem[108..116].try_into().unwrap()) >= 1);
    }
    assert_eq!(e.call("clock_time_get", &[9, 0, 100]), EINVAL);
    assert_eq!(
        e.call("clock_time_get", &[CLOCK_REALTIME as u64, 0, 100]),
        0
    );
    let now = u64::from_le_bytes(e.mem[100..108].try_into().unwrap());
    assert!(now > 1_600_000_000 * 1_000_000_000, "realtime {now}");
    assert_eq!(e.call("random_get", &[2000, 64]), 0);
    assert!(e.mem[2000..2064].iter().any(|&b| b != 0));
    assert_eq!(e.call("proc_raise", &[6]), ENOSYS);
    assert_eq!(e.call("sched_yield", &[]), 0);
}

#[test]
fn trailing_slash_never_acts_through_a_symlink() {
    let mut e = env();
    std::fs::create_dir(e.root.join("real")).unwrap();
    symlink("real", &e.root.join("dl"));
    let (p, l) = e.str_at(1000, "dl/");
    assert_eq!(e.call("path_remove_directory", &[3, p, l]), ENOTDIR);
    assert!(e.root.join("real").is_dir());
    assert_eq!(e.call("path_unlink_file", &[3, p, l]), ENOTDIR);
    assert!(std::fs::symlink_metadata(e.root.join("dl")).is_ok());
    let (q, m) = e.str_at(1100, "moved");
    assert_eq!(e.call("path_rename", &[3, p, l, 3, q, m]), ENOTDIR);
    assert!(e.root.join("real").is_dir());
    // Without the slash the link itself goes.
    let (p, l) = e.str_at(1000, "dl");
    assert_eq!(e.call("path_unlink_file", &[3, p, l]), 0);
    assert!(e.root.join("real").is_dir());
    // A directory with a trailing slash is fine.
    let (p, l) = e.str_at(1000, "real/");
    assert_eq!(e.call("path_remove_directory", &[3, p, l]), 0);
}

#[test]
fn shared_stdin_reads_what_was_appended_then_eof() {
    let mut e = env();
    let q = super::SharedStdin::default();
    e.ctx.stdin = super::Stdin::Shared(q.clone());
    assert_eq!(e.read_fd(0, 16), Ok(vec![]), "empty reads as end of file");
    q.lock().unwrap().extend(b"abc\nde");
    assert_eq!(e.read_fd(0, 4), Ok(b"abc\n".to_vec()));
    // Appended while the guest holds part of it: the rest follows in order.
    q.lock().unwrap().extend(b"f\n");
    assert_eq!(e.read_fd(0, 16), Ok(b"def\n".to_vec()));
    assert_eq!(e.read_fd(0, 16), Ok(vec![]));
}
