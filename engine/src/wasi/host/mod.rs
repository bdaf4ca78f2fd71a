//! The implementations of the preview1 functions, one `WasiCtx` method per
//! function of `super::table`, named as the function. Each takes the guest
//! memory and its parameters already decoded (the table also records them
//! for the trace), and returns an errno, the bytes it moved, or an exit.
//! `fd.rs` has the `fd_*` functions, `path.rs` the `path_*` ones; here are
//! the fd table helpers, args and environment, clocks, random, `poll_oneoff`,
//! process and socket calls.

mod fd;
mod path;

use std::io::{Read, Seek};
use std::time::Duration;

use super::abi::*;
use super::mem::GuestMem;
use super::sys::{self, TimeSpec};
use super::table::{Done, Exit, Iovs, Kind, Moved};
use super::{FdEntry, FdKind, Output, Stdin, WasiCtx};

fn io<T>(r: std::io::Result<T>) -> Result<T, Errno> {
    r.map_err(|e| errno_from_io(&e))
}

/// What the [`Iovs`] kind decodes to.
type IovsArg = <Iovs as Kind>::Value;

impl WasiCtx {
    // ---- args and environment -------------------------------------------

    fn arg_bytes(&self) -> Vec<Vec<u8>> {
        self.args.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    fn env_bytes(&self) -> Vec<Vec<u8>> {
        self.env
            .iter()
            .map(|(k, v)| format!("{k}={v}").into_bytes())
            .collect()
    }

    pub(in crate::wasi) fn args_get(&mut self, m: &mut GuestMem<'_>, argv: u32, buf: u32) -> Done {
        m.write_string_list(argv, buf, &self.arg_bytes())
    }

    pub(in crate::wasi) fn args_sizes_get(
        &mut self,
        m: &mut GuestMem<'_>,
        argc_out: u32,
        size_out: u32,
    ) -> Done {
        sizes(m, argc_out, size_out, &self.arg_bytes())
    }

    pub(in crate::wasi) fn environ_get(
        &mut self,
        m: &mut GuestMem<'_>,
        env: u32,
        buf: u32,
    ) -> Done {
        m.write_string_list(env, buf, &self.env_bytes())
    }

    pub(in crate::wasi) fn environ_sizes_get(
        &mut self,
        m: &mut GuestMem<'_>,
        count_out: u32,
        size_out: u32,
    ) -> Done {
        sizes(m, count_out, size_out, &self.env_bytes())
    }

    // ---- fd table helpers -------------------------------------------------

    fn entry(&mut self, fd: u32) -> Result<&mut FdEntry, Errno> {
        self.fds.get_mut(&fd).ok_or(EBADF)
    }

    /// The entry, if it has every right in `need` (`ENOTCAPABLE` otherwise).
    fn entry_with(&mut self, fd: u32, need: u64) -> Result<&mut FdEntry, Errno> {
        let e = self.entry(fd)?;
        if e.rights_base & need != need {
            return Err(ENOTCAPABLE);
        }
        Ok(e)
    }

    fn file(&mut self, fd: u32, need: u64) -> Result<&mut std::fs::File, Errno> {
        let e = self.entry(fd)?;
        let missing = need & !e.rights_base;
        match &mut e.kind {
            FdKind::File { file } => {
                if missing & (RIGHT_FD_READ | RIGHT_FD_WRITE) != 0 {
                    return Err(EBADF);
                }
                if missing != 0 {
                    return Err(ENOTCAPABLE);
                }
                Ok(file)
            }
            FdKind::Dir { .. } => Err(EISDIR),
            _ => Err(EBADF),
        }
    }

    /// A directory fd's host path and preopen index.
    fn dir(&mut self, fd: u32, need: u64) -> Result<(std::path::PathBuf, usize), Errno> {
        let e = self.entry(fd)?;
        match &e.kind {
            FdKind::Dir { host, root, .. } => {
                if e.rights_base & need != need {
                    return Err(ENOTCAPABLE);
                }
                Ok((host.clone(), *root))
            }
            _ => Err(ENOTDIR),
        }
    }

    /// The filetype of stdin, stdout or stderr: a character device (a tty
    /// to `isatty`) only when the stream is the host's own and that is a
    /// terminal; pipes, files, buffers and sinks are `UNKNOWN`, as wasmtime
    /// reports them.
    fn stdio_filetype(&self, stdio: &FdKind) -> u8 {
        use std::io::IsTerminal;
        let tty = match stdio {
            FdKind::Stdin => matches!(self.stdin, Stdin::Inherit) && std::io::stdin().is_terminal(),
            FdKind::Stdout => {
                matches!(self.stdout, Output::Inherit) && std::io::stdout().is_terminal()
            }
            _ => matches!(self.stderr, Output::Inherit) && std::io::stderr().is_terminal(),
        };
        if tty {
            FILETYPE_CHARACTER_DEVICE
        } else {
            FILETYPE_UNKNOWN
        }
    }

    fn alloc_fd(&mut self, entry: FdEntry) -> Result<u32, Errno> {
        let mut n = 0u32;
        for &k in self.fds.keys() {
            if k != n {
                break;
            }
            n = n.checked_add(1).ok_or(EMFILE)?;
        }
        self.fds.insert(n, entry);
        Ok(n)
    }

    // ---- poll ---------------------------------------------------------------

    pub(in crate::wasi) fn poll_oneoff(
        &mut self,
        m: &mut GuestMem<'_>,
        inp: u32,
        out: u32,
        n: u32,
        nev_ptr: u32,
    ) -> Done {
        if n == 0 {
            return Err(EINVAL);
        }
        let raw = m
            .slice(inp, n.checked_mul(SUBSCRIPTION_SIZE as u32).ok_or(EFAULT)?)?
            .to_vec();
        m.slice(out, n.checked_mul(EVENT_SIZE as u32).ok_or(EFAULT)?)?;
        m.slice(nev_ptr, 4)?;
        let subs: Vec<Result<Subscription, Errno>> = raw
            .chunks_exact(SUBSCRIPTION_SIZE)
            .map(Subscription::decode)
            .collect();
        let mut events: Vec<[u8; EVENT_SIZE]> = Vec::new();
        let mut deadline: Option<(u64, Vec<u64>)> = None; // (ns from now, userdatas)
        for (i, s) in subs.iter().enumerate() {
            match s {
                Err(e) => {
                    let ud =
                        u64::from_le_bytes(raw[i * 48..i * 48 + 8].try_into().expect("8 bytes"));
                    events.push(encode_event(ud, *e, raw[i * 48 + 8], 0, 0));
                }
                Ok(Subscription::Clock {
                    userdata,
                    id,
                    timeout,
                    flags,
                    ..
                }) => {
                    let now = match clock_now(*id) {
                        Ok(v) => v,
                        Err(e) => {
                            events.push(encode_event(*userdata, e, EVENTTYPE_CLOCK, 0, 0));
                            continue;
                        }
                    };
                    let wait = if flags & SUBCLOCKFLAGS_ABSTIME != 0 {
                        timeout.saturating_sub(now)
                    } else {
                        *timeout
                    };
                    match &mut deadline {
                        Some((d, uds)) if *d == wait => uds.push(*userdata),
                        Some((d, _)) if *d < wait => {}
                        _ => deadline = Some((wait, vec![*userdata])),
                    }
                }
                Ok(Subscription::Fd {
                    userdata,
                    write,
                    fd,
                }) => {
                    let ty = if *write {
                        EVENTTYPE_FD_WRITE
                    } else {
                        EVENTTYPE_FD_READ
                    };
                    let ev = match self.fds.get_mut(fd) {
                        None => encode_event(*userdata, EBADF, ty, 0, 0),
                        Some(e) if e.rights_base & RIGHT_POLL_FD_READWRITE == 0 => {
                            encode_event(*userdata, ENOTCAPABLE, ty, 0, 0)
                        }
                        Some(e) => match (&mut e.kind, *write) {
                            (FdKind::File { file }, false) => {
                                let size = file.metadata().map_or(0, |m| m.len());
                                let pos = file.stream_position().unwrap_or(0);
                                encode_event(*userdata, 0, ty, size.saturating_sub(pos), 0)
                            }
                            (FdKind::File { .. }, true) => encode_event(*userdata, 0, ty, 0, 0),
                            (FdKind::Stdin, false) => {
                                let avail = match &self.stdin {
                                    Stdin::Bytes(b) => {
                                        b.len().saturating_sub(self.stdin_pos) as u64
                                    }
                                    Stdin::Shared(q) => q.lock().map_or(0, |q| q.len() as u64),
                                    _ => 0,
                                };
                                encode_event(*userdata, 0, ty, avail, 0)
                            }
                            (FdKind::Stdout | FdKind::Stderr, true) => {
                                encode_event(*userdata, 0, ty, 0, 0)
                            }
                            (FdKind::Dir { .. }, _) => encode_event(*userdata, EBADF, ty, 0, 0),
                            _ => encode_event(*userdata, EBADF, ty, 0, 0),
                        },
                    };
                    events.push(ev);
                }
            }
        }
        if events.is_empty()
            && let Some((wait, uds)) = deadline
        {
            self.sleep(Duration::from_nanos(wait));
            for ud in uds {
                events.push(encode_event(ud, 0, EVENTTYPE_CLOCK, 0, 0));
            }
        }
        for (i, ev) in events.iter().enumerate() {
            m.write(out + (i * EVENT_SIZE) as u32, ev)?;
        }
        m.write_u32(nev_ptr, events.len() as u32)
    }

    /// Sleep, waking early if the store's interrupt flag is raised.
    fn sleep(&self, d: Duration) {
        let end = std::time::Instant::now() + d;
        loop {
            let now = std::time::Instant::now();
            if now >= end {
                return;
            }
            if self
                .interrupt
                .as_ref()
                .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
            {
                return;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(10)));
        }
    }

    // ---- clocks and random ----------------------------------------------------

    pub(in crate::wasi) fn clock_res_get(
        &mut self,
        m: &mut GuestMem<'_>,
        id: u32,
        out: u32,
    ) -> Done {
        let res = sys::clock_getres_ns(libc_clock(id)?).map_err(errno_from_host)?;
        m.write_u64(out, res.max(1))
    }

    pub(in crate::wasi) fn clock_time_get(
        &mut self,
        m: &mut GuestMem<'_>,
        id: u32,
        _precision: u64,
        out: u32,
    ) -> Done {
        let now = clock_now(id)?;
        m.write_u64(out, now)
    }

    pub(in crate::wasi) fn random_get(
        &mut self,
        m: &mut GuestMem<'_>,
        ptr: u32,
        len: u32,
    ) -> Moved {
        let buf = m.slice_mut(ptr, len)?;
        let mut f = io(std::fs::File::open("/dev/urandom"))?;
        io(f.read_exact(buf))?;
        Ok(len as u64)
    }

    // ---- process --------------------------------------------------------------

    pub(in crate::wasi) fn proc_exit(&mut self, _: &mut GuestMem<'_>, code: i32) -> Exit {
        Exit(code)
    }

    pub(in crate::wasi) fn proc_raise(&mut self, _: &mut GuestMem<'_>, _sig: u32) -> Done {
        Err(ENOSYS)
    }

    pub(in crate::wasi) fn sched_yield(&mut self, _: &mut GuestMem<'_>) -> Done {
        std::thread::yield_now();
        Ok(())
    }

    // ---- sockets ------------------------------------------------------------
    // No sockets are ever handed to the guest: a valid fd is `ENOTSOCK`.

    fn sock(&mut self, fd: u32) -> Done {
        self.entry(fd)?;
        Err(ENOTSOCK)
    }

    pub(in crate::wasi) fn sock_accept(
        &mut self,
        _: &mut GuestMem<'_>,
        fd: u32,
        _: u16,
        _: u32,
    ) -> Done {
        self.sock(fd)
    }

    pub(in crate::wasi) fn sock_recv(
        &mut self,
        _: &mut GuestMem<'_>,
        fd: u32,
        _: IovsArg,
        _: u32,
        _: u32,
        _: u32,
    ) -> Done {
        self.sock(fd)
    }

    pub(in crate::wasi) fn sock_send(
        &mut self,
        _: &mut GuestMem<'_>,
        fd: u32,
        _: IovsArg,
        _: u32,
        _: u32,
    ) -> Done {
        self.sock(fd)
    }

    pub(in crate::wasi) fn sock_shutdown(&mut self, _: &mut GuestMem<'_>, fd: u32, _: u32) -> Done {
        self.sock(fd)
    }
}

/// `args_sizes_get`, `environ_sizes_get`: the count and the bytes the
/// NUL-terminated strings need.
fn sizes(m: &mut GuestMem<'_>, count_out: u32, size_out: u32, items: &[Vec<u8>]) -> Done {
    let total: usize = items.iter().map(|s| s.len() + 1).sum();
    m.write_u32(count_out, items.len() as u32)?;
    m.write_u32(size_out, total as u32)
}

fn times(atim: u64, mtim: u64, fst: u16) -> Result<(TimeSpec, TimeSpec), Errno> {
    if fst & !(FSTFLAGS_ATIM | FSTFLAGS_ATIM_NOW | FSTFLAGS_MTIM | FSTFLAGS_MTIM_NOW) != 0 {
        return Err(EINVAL);
    }
    if fst & FSTFLAGS_ATIM != 0 && fst & FSTFLAGS_ATIM_NOW != 0 {
        return Err(EINVAL);
    }
    if fst & FSTFLAGS_MTIM != 0 && fst & FSTFLAGS_MTIM_NOW != 0 {
        return Err(EINVAL);
    }
    let at = if fst & FSTFLAGS_ATIM_NOW != 0 {
        TimeSpec::Now
    } else if fst & FSTFLAGS_ATIM != 0 {
        TimeSpec::Set(atim)
    } else {
        TimeSpec::Omit
    };
    let mt = if fst & FSTFLAGS_MTIM_NOW != 0 {
        TimeSpec::Now
    } else if fst & FSTFLAGS_MTIM != 0 {
        TimeSpec::Set(mtim)
    } else {
        TimeSpec::Omit
    };
    Ok((at, mt))
}

fn libc_clock(id: u32) -> Result<libc::clockid_t, Errno> {
    Ok(match id {
        CLOCK_REALTIME => libc::CLOCK_REALTIME,
        CLOCK_MONOTONIC => libc::CLOCK_MONOTONIC,
        CLOCK_PROCESS_CPUTIME => libc::CLOCK_PROCESS_CPUTIME_ID,
        CLOCK_THREAD_CPUTIME => libc::CLOCK_THREAD_CPUTIME_ID,
        _ => return Err(EINVAL),
    })
}

fn clock_now(id: u32) -> Result<u64, Errno> {
    sys::clock_gettime_ns(libc_clock(id)?).map_err(errno_from_host)
}
