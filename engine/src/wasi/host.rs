//! The preview1 host functions. Each reads its raw arguments (i32 as u32,
//! i64 as u64), records decoded arguments for the trace, and returns an
//! errno (and how many bytes it moved).

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::abi::*;
use super::fs::{self, Resolved};
use super::mem::{GuestMem, iovec_total};
use super::sys::{self, TimeSpec};
use super::{FdEntry, FdKind, Output, Stdin, WasiCtx};

pub(crate) enum Outcome {
    /// Success, with the bytes moved when the call moves data.
    Ok(Option<u64>),
    Err(Errno),
    Exit(i32),
}

type R = Result<Option<u64>, Errno>;
type Args = Vec<(&'static str, String)>;

fn io<T>(r: std::io::Result<T>) -> Result<T, Errno> {
    r.map_err(|e| errno_from_io(&e))
}

fn u32a(a: &[u64], i: usize) -> u32 {
    a.get(i).copied().unwrap_or(0) as u32
}

fn u64a(a: &[u64], i: usize) -> u64 {
    a.get(i).copied().unwrap_or(0)
}

impl WasiCtx {
    pub(crate) fn dispatch(
        &mut self,
        name: &str,
        m: &mut GuestMem<'_>,
        a: &[u64],
        t: &mut Args,
    ) -> Outcome {
        let r: R = match name {
            "args_get" | "args_sizes_get" | "environ_get" | "environ_sizes_get" => {
                let names = match name {
                    "args_get" => ["argv", "argv_buf"],
                    "environ_get" => ["environ", "environ_buf"],
                    "args_sizes_get" => ["argc_out", "argv_buf_size_out"],
                    _ => ["environc_out", "environ_buf_size_out"],
                };
                t.push((names[0], format!("{:#x}", u32a(a, 0))));
                t.push((names[1], format!("{:#x}", u32a(a, 1))));
                match name {
                    "args_get" => self.args_get(m, a),
                    "args_sizes_get" => self.args_sizes_get(m, a),
                    "environ_get" => self.environ_get(m, a),
                    _ => self.environ_sizes_get(m, a),
                }
            }
            "clock_res_get" => clock_res_get(m, a, t),
            "clock_time_get" => clock_time_get(m, a, t),
            "fd_advise" => self.fd_advise(a, t),
            "fd_allocate" => self.fd_allocate(a, t),
            "fd_close" => self.fd_close(a, t),
            "fd_datasync" => self.fd_sync(a, t, true),
            "fd_fdstat_get" => self.fd_fdstat_get(m, a, t),
            "fd_fdstat_set_flags" => self.fd_fdstat_set_flags(a, t),
            "fd_fdstat_set_rights" => self.fd_fdstat_set_rights(a, t),
            "fd_filestat_get" => self.fd_filestat_get(m, a, t),
            "fd_filestat_set_size" => self.fd_filestat_set_size(a, t),
            "fd_filestat_set_times" => self.fd_filestat_set_times(a, t),
            "fd_pread" => self.fd_pread(m, a, t),
            "fd_prestat_get" => self.fd_prestat_get(m, a, t),
            "fd_prestat_dir_name" => self.fd_prestat_dir_name(m, a, t),
            "fd_pwrite" => self.fd_pwrite(m, a, t),
            "fd_read" => self.fd_read(m, a, t),
            "fd_readdir" => self.fd_readdir(m, a, t),
            "fd_renumber" => self.fd_renumber(a, t),
            "fd_seek" => self.fd_seek(m, a, t),
            "fd_sync" => self.fd_sync(a, t, false),
            "fd_tell" => self.fd_tell(m, a, t),
            "fd_write" => self.fd_write(m, a, t),
            "path_create_directory" => self.path_create_directory(m, a, t),
            "path_filestat_get" => self.path_filestat_get(m, a, t),
            "path_filestat_set_times" => self.path_filestat_set_times(m, a, t),
            "path_link" => self.path_link(m, a, t),
            "path_open" => self.path_open(m, a, t),
            "path_readlink" => self.path_readlink(m, a, t),
            "path_remove_directory" => self.path_remove_directory(m, a, t),
            "path_rename" => self.path_rename(m, a, t),
            "path_symlink" => self.path_symlink(m, a, t),
            "path_unlink_file" => self.path_unlink_file(m, a, t),
            "poll_oneoff" => self.poll_oneoff(m, a, t),
            "proc_exit" => {
                let code = u32a(a, 0) as i32;
                t.push(("code", code.to_string()));
                return Outcome::Exit(code);
            }
            "proc_raise" => {
                t.push(("sig", u32a(a, 0).to_string()));
                Err(ENOSYS)
            }
            "sched_yield" => {
                std::thread::yield_now();
                Ok(None)
            }
            "random_get" => random_get(m, a, t),
            "sock_accept" => self.sock(a, t),
            "sock_recv" => self.sock(a, t),
            "sock_send" => self.sock(a, t),
            "sock_shutdown" => self.sock(a, t),
            _ => Err(ENOSYS),
        };
        match r {
            Ok(b) => Outcome::Ok(b),
            Err(e) => Outcome::Err(e),
        }
    }

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

    fn args_get(&mut self, m: &mut GuestMem<'_>, a: &[u64]) -> R {
        m.write_string_list(u32a(a, 0), u32a(a, 1), &self.arg_bytes())?;
        Ok(None)
    }

    fn args_sizes_get(&mut self, m: &mut GuestMem<'_>, a: &[u64]) -> R {
        let items = self.arg_bytes();
        sizes(m, a, &items)
    }

    fn environ_get(&mut self, m: &mut GuestMem<'_>, a: &[u64]) -> R {
        m.write_string_list(u32a(a, 0), u32a(a, 1), &self.env_bytes())?;
        Ok(None)
    }

    fn environ_sizes_get(&mut self, m: &mut GuestMem<'_>, a: &[u64]) -> R {
        let items = self.env_bytes();
        sizes(m, a, &items)
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

    fn path_arg(
        &self,
        m: &GuestMem<'_>,
        ptr: u32,
        len: u32,
        t: &mut Args,
        key: &'static str,
    ) -> Result<String, Errno> {
        match m.read_str(ptr, len) {
            Ok(s) => {
                t.push((key, format!("{s:?}")));
                Ok(s)
            }
            Err(e) => {
                t.push((key, format!("<{ptr:#x}+{len}>")));
                Err(e)
            }
        }
    }

    // ---- fd operations ----------------------------------------------------

    fn fd_advise(&mut self, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        let advice = u32a(a, 3);
        t.push(("fd", fd.to_string()));
        t.push(("offset", u64a(a, 1).to_string()));
        t.push(("len", u64a(a, 2).to_string()));
        t.push(("advice", advice.to_string()));
        let e = self.entry_with(fd, RIGHT_FD_ADVISE)?;
        if advice > 5 {
            return Err(EINVAL);
        }
        match e.kind {
            FdKind::File { .. } => Ok(None),
            FdKind::Dir { .. } => Err(EBADF),
            _ => Err(EBADF),
        }
    }

    fn fd_allocate(&mut self, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        let (off, len) = (u64a(a, 1), u64a(a, 2));
        t.push(("fd", fd.to_string()));
        t.push(("offset", off.to_string()));
        t.push(("len", len.to_string()));
        let f = self.file(fd, RIGHT_FD_ALLOCATE)?;
        let end = off.checked_add(len).ok_or(EFBIG)?;
        if end > i64::MAX as u64 {
            return Err(EFBIG);
        }
        let size = io(f.metadata())?.len();
        if end > size {
            io(f.set_len(end))?;
        }
        Ok(None)
    }

    fn fd_close(&mut self, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        t.push(("fd", fd.to_string()));
        self.fds.remove(&fd).ok_or(EBADF)?;
        Ok(None)
    }

    fn fd_sync(&mut self, a: &[u64], t: &mut Args, data_only: bool) -> R {
        let fd = u32a(a, 0);
        t.push(("fd", fd.to_string()));
        let need = if data_only {
            RIGHT_FD_DATASYNC
        } else {
            RIGHT_FD_SYNC
        };
        let e = self.entry(fd)?;
        match &mut e.kind {
            FdKind::File { file } => {
                if e.rights_base & need == 0 {
                    return Err(ENOTCAPABLE);
                }
                io(if data_only {
                    file.sync_data()
                } else {
                    file.sync_all()
                })?;
                Ok(None)
            }
            FdKind::Dir { host, .. } => {
                let d = io(std::fs::File::open(&*host))?;
                io(d.sync_all())?;
                Ok(None)
            }
            _ => Err(EINVAL),
        }
    }

    fn fd_fdstat_get(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        t.push(("fd", fd.to_string()));
        let inherited = [
            matches!(self.stdin, Stdin::Inherit),
            matches!(self.stdout, Output::Inherit),
            matches!(self.stderr, Output::Inherit),
        ];
        let e = self.entry(fd)?;
        let filetype = match &e.kind {
            FdKind::Stdin => stdio_filetype(inherited[0], 0),
            FdKind::Stdout => stdio_filetype(inherited[1], 1),
            FdKind::Stderr => stdio_filetype(inherited[2], 2),
            FdKind::File { file } => fs::filetype_of(io(file.metadata())?.file_type()),
            FdKind::Dir { .. } => FILETYPE_DIRECTORY,
        };
        let b = encode_fdstat(filetype, e.flags, e.rights_base, e.rights_inheriting);
        m.write(u32a(a, 1), &b)?;
        Ok(None)
    }

    fn fd_fdstat_set_flags(&mut self, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        let flags = u32a(a, 1) as u16;
        t.push(("fd", fd.to_string()));
        t.push(("flags", flag_names(flags as u64, FDFLAGS_NAMES)));
        let e = self.entry_with(fd, RIGHT_FD_FDSTAT_SET_FLAGS)?;
        if flags & !(FDFLAGS_APPEND | FDFLAGS_NONBLOCK) != 0 {
            return Err(ENOTSUP);
        }
        match e.kind {
            FdKind::File { .. } => {
                e.flags = flags;
                Ok(None)
            }
            FdKind::Dir { .. } => Err(EBADF),
            _ => {
                e.flags = flags & FDFLAGS_NONBLOCK;
                Ok(None)
            }
        }
    }

    fn fd_fdstat_set_rights(&mut self, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        let (base, inh) = (u64a(a, 1), u64a(a, 2));
        t.push(("fd", fd.to_string()));
        t.push(("rights_base", format!("{base:#x}")));
        t.push(("rights_inheriting", format!("{inh:#x}")));
        let e = self.entry(fd)?;
        if base & !e.rights_base != 0 || inh & !e.rights_inheriting != 0 {
            return Err(ENOTCAPABLE);
        }
        e.rights_base = base;
        e.rights_inheriting = inh;
        Ok(None)
    }

    fn fd_filestat_get(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        t.push(("fd", fd.to_string()));
        let inherited = [
            matches!(self.stdin, Stdin::Inherit),
            matches!(self.stdout, Output::Inherit),
            matches!(self.stderr, Output::Inherit),
        ];
        let e = self.entry(fd)?;
        let st = match &e.kind {
            FdKind::File { file } => fs::filestat_of(&io(file.metadata())?),
            FdKind::Dir { host, .. } => fs::filestat_of(&io(std::fs::metadata(host))?),
            k => {
                let i = match k {
                    FdKind::Stdin => 0,
                    FdKind::Stdout => 1,
                    _ => 2,
                };
                Filestat {
                    filetype: stdio_filetype(inherited[i], i as u8),
                    nlink: 1,
                    ..Filestat::default()
                }
            }
        };
        m.write(u32a(a, 1), &st.encode())?;
        Ok(None)
    }

    fn fd_filestat_set_size(&mut self, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        let size = u64a(a, 1);
        t.push(("fd", fd.to_string()));
        t.push(("size", size.to_string()));
        let f = self.file(fd, RIGHT_FD_FILESTAT_SET_SIZE)?;
        if size > i64::MAX as u64 {
            return Err(EFBIG);
        }
        io(f.set_len(size))?;
        Ok(None)
    }

    fn fd_filestat_set_times(&mut self, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        let (atim, mtim, fst) = (u64a(a, 1), u64a(a, 2), u32a(a, 3) as u16);
        t.push(("fd", fd.to_string()));
        t.push(("atim", atim.to_string()));
        t.push(("mtim", mtim.to_string()));
        t.push(("fst_flags", flag_names(fst as u64, FSTFLAGS_NAMES)));
        let (at, mt) = times(atim, mtim, fst)?;
        let e = self.entry_with(fd, RIGHT_FD_FILESTAT_SET_TIMES)?;
        match &e.kind {
            FdKind::File { file } => {
                let mut ft = std::fs::FileTimes::new();
                let now = SystemTime::now();
                match at {
                    TimeSpec::Set(ns) => {
                        ft = ft.set_accessed(UNIX_EPOCH + Duration::from_nanos(ns))
                    }
                    TimeSpec::Now => ft = ft.set_accessed(now),
                    TimeSpec::Omit => {}
                }
                match mt {
                    TimeSpec::Set(ns) => {
                        ft = ft.set_modified(UNIX_EPOCH + Duration::from_nanos(ns))
                    }
                    TimeSpec::Now => ft = ft.set_modified(now),
                    TimeSpec::Omit => {}
                }
                io(file.set_times(ft))?;
                Ok(None)
            }
            FdKind::Dir { host, .. } => {
                sys::utimensat(host, at, mt, false).map_err(errno_from_host)?;
                Ok(None)
            }
            _ => Err(EBADF),
        }
    }

    fn fd_pread(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        let off = u64a(a, 3);
        t.push(("fd", fd.to_string()));
        let iovs = m.iovecs(u32a(a, 1), u32a(a, 2));
        t.push(("iovs", iov_desc(&iovs)));
        t.push(("offset", off.to_string()));
        let iovs = iovs?;
        let f = self.file(fd, RIGHT_FD_READ | RIGHT_FD_SEEK)?;
        let want = iovec_total(&iovs).min(64 << 20) as usize;
        let mut buf = vec![0u8; want];
        let n = io(f.read_at(&mut buf, off))?;
        let n = m.scatter(&iovs, &buf[..n])?;
        m.write_u32(u32a(a, 4), n as u32)?;
        Ok(Some(n as u64))
    }

    fn fd_pwrite(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        let off = u64a(a, 3);
        t.push(("fd", fd.to_string()));
        let iovs = m.iovecs(u32a(a, 1), u32a(a, 2));
        t.push(("iovs", iov_desc(&iovs)));
        t.push(("offset", off.to_string()));
        let data = m.gather(&iovs?)?;
        let f = self.file(fd, RIGHT_FD_WRITE | RIGHT_FD_SEEK)?;
        io(f.write_all_at(&data, off))?;
        m.write_u32(u32a(a, 4), data.len() as u32)?;
        Ok(Some(data.len() as u64))
    }

    fn fd_prestat_get(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        t.push(("fd", fd.to_string()));
        match &self.entry(fd)?.kind {
            FdKind::Dir {
                preopen: Some(name),
                ..
            } => {
                let mut b = [0u8; PRESTAT_SIZE];
                b[4..8].copy_from_slice(&(name.len() as u32).to_le_bytes());
                m.write(u32a(a, 1), &b)?;
                Ok(None)
            }
            _ => Err(EBADF),
        }
    }

    fn fd_prestat_dir_name(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        let (ptr, len) = (u32a(a, 1), u32a(a, 2));
        t.push(("fd", fd.to_string()));
        t.push(("path_len", len.to_string()));
        match &self.entry(fd)?.kind {
            FdKind::Dir {
                preopen: Some(name),
                ..
            } => {
                if (len as usize) < name.len() {
                    return Err(ENAMETOOLONG);
                }
                m.write(ptr, name.as_bytes())?;
                Ok(None)
            }
            _ => Err(EBADF),
        }
    }

    fn fd_read(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        t.push(("fd", fd.to_string()));
        let iovs = m.iovecs(u32a(a, 1), u32a(a, 2));
        t.push(("iovs", iov_desc(&iovs)));
        let iovs = iovs?;
        let want = iovec_total(&iovs).min(64 << 20) as usize;
        let nread_ptr = u32a(a, 3);
        m.slice(nread_ptr, 4)?;
        let mut buf = vec![0u8; want];
        let n = {
            let e = self.entry(fd)?;
            if e.rights_base & RIGHT_FD_READ == 0 {
                return Err(EBADF);
            }
            match &mut e.kind {
                FdKind::Stdin => match &self.stdin {
                    Stdin::Null => 0,
                    Stdin::Bytes(b) => {
                        let rest = &b[self.stdin_pos.min(b.len())..];
                        let n = rest.len().min(want);
                        buf[..n].copy_from_slice(&rest[..n]);
                        self.stdin_pos += n;
                        n
                    }
                    Stdin::Shared(q) => {
                        let mut q = q.lock().map_err(|_| EIO)?;
                        let n = q.len().min(want);
                        for (dst, src) in buf.iter_mut().zip(q.drain(..n)) {
                            *dst = src;
                        }
                        n
                    }
                    Stdin::Inherit => {
                        if want == 0 {
                            0
                        } else {
                            io(std::io::stdin().lock().read(&mut buf))?
                        }
                    }
                },
                FdKind::File { file } => read_full(file, &mut buf)?,
                FdKind::Dir { .. } => return Err(EISDIR),
                _ => return Err(EBADF),
            }
        };
        let n = m.scatter(&iovs, &buf[..n])?;
        m.write_u32(nread_ptr, n as u32)?;
        Ok(Some(n as u64))
    }

    fn fd_write(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        t.push(("fd", fd.to_string()));
        let iovs = m.iovecs(u32a(a, 1), u32a(a, 2));
        t.push(("iovs", iov_desc(&iovs)));
        let data = m.gather(&iovs?)?;
        let nw_ptr = u32a(a, 3);
        m.slice(nw_ptr, 4)?;
        let e = self.entry(fd)?;
        if e.rights_base & RIGHT_FD_WRITE == 0 {
            return Err(EBADF);
        }
        let append = e.flags & FDFLAGS_APPEND != 0;
        match &mut e.kind {
            FdKind::Stdout => write_out(&self.stdout, false, &data)?,
            FdKind::Stderr => write_out(&self.stderr, true, &data)?,
            FdKind::File { file } => {
                if append {
                    io(file.seek(SeekFrom::End(0)))?;
                }
                io(file.write_all(&data))?;
            }
            FdKind::Dir { .. } => return Err(EISDIR),
            FdKind::Stdin => return Err(EBADF),
        }
        m.write_u32(nw_ptr, data.len() as u32)?;
        Ok(Some(data.len() as u64))
    }

    fn fd_readdir(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        let (buf, len, cookie, used_ptr) = (u32a(a, 1), u32a(a, 2), u64a(a, 3), u32a(a, 4));
        t.push(("fd", fd.to_string()));
        t.push(("buf_len", len.to_string()));
        t.push(("cookie", cookie.to_string()));
        m.slice(buf, len)?;
        m.slice(used_ptr, 4)?;
        let e = self.entry(fd)?;
        let rights = e.rights_base;
        let FdKind::Dir {
            host,
            preopen,
            listing,
            ..
        } = &mut e.kind
        else {
            // wasmtime's answer; Go's runtime relies on it to report ENOTDIR.
            return Err(EBADF);
        };
        if rights & RIGHT_FD_READDIR == 0 {
            return Err(ENOTCAPABLE);
        }
        if cookie == 0 || listing.is_none() {
            *listing = Some(fs::list_dir(host, preopen.is_some())?);
        }
        let entries = listing.as_ref().expect("listing was just filled");
        let bytes = fs::encode_dirents(entries, cookie, len as usize);
        m.write(buf, &bytes)?;
        m.write_u32(used_ptr, bytes.len() as u32)?;
        Ok(Some(bytes.len() as u64))
    }

    fn fd_renumber(&mut self, a: &[u64], t: &mut Args) -> R {
        let (from, to) = (u32a(a, 0), u32a(a, 1));
        t.push(("fd", from.to_string()));
        t.push(("to", to.to_string()));
        if !self.fds.contains_key(&from) || !self.fds.contains_key(&to) {
            return Err(EBADF);
        }
        if from != to {
            let e = self.fds.remove(&from).expect("checked above");
            self.fds.insert(to, e);
        }
        Ok(None)
    }

    fn fd_seek(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        let off = u64a(a, 1) as i64;
        let whence = u32a(a, 2);
        t.push(("fd", fd.to_string()));
        t.push(("offset", off.to_string()));
        t.push(("whence", whence_name(whence)));
        let out = u32a(a, 3);
        let need = if off == 0 && whence == WHENCE_CUR as u32 {
            RIGHT_FD_TELL
        } else {
            RIGHT_FD_SEEK
        };
        let e = self.entry(fd)?;
        let FdKind::File { file } = &mut e.kind else {
            return Err(match e.kind {
                FdKind::Dir { .. } => EBADF,
                _ => ESPIPE,
            });
        };
        if e.rights_base & (need | RIGHT_FD_SEEK) == 0 {
            return Err(ENOTCAPABLE);
        }
        let pos = match whence as u8 {
            _ if whence > 2 => return Err(EINVAL),
            WHENCE_SET => {
                if off < 0 {
                    return Err(EINVAL);
                }
                SeekFrom::Start(off as u64)
            }
            WHENCE_CUR => SeekFrom::Current(off),
            _ => SeekFrom::End(off),
        };
        let n = io(file.seek(pos))?;
        m.write_u64(out, n)?;
        Ok(None)
    }

    fn fd_tell(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        t.push(("fd", fd.to_string()));
        let e = self.entry(fd)?;
        let FdKind::File { file } = &mut e.kind else {
            return Err(match e.kind {
                FdKind::Dir { .. } => EBADF,
                _ => ESPIPE,
            });
        };
        if e.rights_base & (RIGHT_FD_TELL | RIGHT_FD_SEEK) == 0 {
            return Err(ENOTCAPABLE);
        }
        let n = io(file.stream_position())?;
        m.write_u64(u32a(a, 1), n)?;
        Ok(None)
    }

    // ---- paths ------------------------------------------------------------

    /// Resolve a guest path below directory fd `fd` (needing rights `need`).
    #[allow(clippy::too_many_arguments)]
    fn resolve_at(
        &mut self,
        m: &GuestMem<'_>,
        fd: u32,
        need: u64,
        ptr: u32,
        len: u32,
        follow: bool,
        t: &mut Args,
        key: &'static str,
    ) -> Result<(Resolved, usize), Errno> {
        let path = self.path_arg(m, ptr, len, t, key)?;
        let (base, root) = self.dir(fd, need)?;
        Ok((fs::resolve(&base, &path, follow)?, root))
    }

    /// Like `resolve_at`, for calls that act on the entry itself (never
    /// following a final symlink, even with a trailing slash).
    fn resolve_entry_at(
        &mut self,
        m: &GuestMem<'_>,
        fd: u32,
        need: u64,
        (ptr, len): (u32, u32),
        t: &mut Args,
        key: &'static str,
    ) -> Result<(Resolved, usize), Errno> {
        let path = self.path_arg(m, ptr, len, t, key)?;
        let (base, root) = self.dir(fd, need)?;
        Ok((fs::resolve_entry(&base, &path)?, root))
    }

    fn path_create_directory(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        t.push(("fd", fd.to_string()));
        let (r, _) = self.resolve_at(
            m,
            fd,
            RIGHT_PATH_CREATE_DIRECTORY,
            u32a(a, 1),
            u32a(a, 2),
            false,
            t,
            "path",
        )?;
        if r.is_base() {
            return Err(EEXIST);
        }
        io(std::fs::create_dir(&r.host))?;
        Ok(None)
    }

    fn path_filestat_get(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        let flags = u32a(a, 1);
        t.push(("fd", fd.to_string()));
        t.push(("flags", flag_names(flags as u64, LOOKUP_NAMES)));
        let follow = flags & LOOKUP_SYMLINK_FOLLOW != 0;
        let (r, _) = self.resolve_at(
            m,
            fd,
            RIGHT_PATH_FILESTAT_GET,
            u32a(a, 2),
            u32a(a, 3),
            follow,
            t,
            "path",
        )?;
        let md = io(std::fs::symlink_metadata(r.host_with_slash()))?;
        m.write(u32a(a, 4), &fs::filestat_of(&md).encode())?;
        Ok(None)
    }

    fn path_filestat_set_times(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        let flags = u32a(a, 1);
        t.push(("fd", fd.to_string()));
        t.push(("flags", flag_names(flags as u64, LOOKUP_NAMES)));
        let follow = flags & LOOKUP_SYMLINK_FOLLOW != 0;
        let (r, _) = self.resolve_at(
            m,
            fd,
            RIGHT_PATH_FILESTAT_SET_TIMES,
            u32a(a, 2),
            u32a(a, 3),
            follow,
            t,
            "path",
        )?;
        let (atim, mtim, fst) = (u64a(a, 4), u64a(a, 5), u32a(a, 6) as u16);
        t.push(("atim", atim.to_string()));
        t.push(("mtim", mtim.to_string()));
        t.push(("fst_flags", flag_names(fst as u64, FSTFLAGS_NAMES)));
        let (at, mt) = times(atim, mtim, fst)?;
        sys::utimensat(&r.host_with_slash(), at, mt, true).map_err(errno_from_host)?;
        Ok(None)
    }

    fn path_link(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let (ofd, oflags, nfd) = (u32a(a, 0), u32a(a, 1), u32a(a, 4));
        t.push(("old_fd", ofd.to_string()));
        t.push(("old_flags", flag_names(oflags as u64, LOOKUP_NAMES)));
        let follow = oflags & LOOKUP_SYMLINK_FOLLOW != 0;
        let (old, oroot) = self.resolve_at(
            m,
            ofd,
            RIGHT_PATH_LINK_SOURCE,
            u32a(a, 2),
            u32a(a, 3),
            follow,
            t,
            "old_path",
        )?;
        t.push(("new_fd", nfd.to_string()));
        let (new, nroot) = self.resolve_entry_at(
            m,
            nfd,
            RIGHT_PATH_LINK_TARGET,
            (u32a(a, 5), u32a(a, 6)),
            t,
            "new_path",
        )?;
        if oroot != nroot {
            return Err(EXDEV);
        }
        if old.is_base() {
            return Err(EPERM);
        }
        if new.is_base() {
            return Err(EEXIST);
        }
        io(std::fs::hard_link(
            old.host_with_slash(),
            new.host_with_slash(),
        ))?;
        Ok(None)
    }

    fn path_open(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        let dirflags = u32a(a, 1);
        let oflags = u32a(a, 4) as u16;
        let (base, inheriting) = (u64a(a, 5), u64a(a, 6));
        let fdflags = u32a(a, 7) as u16;
        let out = u32a(a, 8);
        t.push(("fd", fd.to_string()));
        t.push(("dirflags", flag_names(dirflags as u64, LOOKUP_NAMES)));
        let follow = dirflags & LOOKUP_SYMLINK_FOLLOW != 0;
        let path = self.path_arg(m, u32a(a, 2), u32a(a, 3), t, "path");
        t.push(("oflags", flag_names(oflags as u64, OFLAGS_NAMES)));
        t.push(("fs_rights_base", format!("{base:#x}")));
        t.push(("fdflags", flag_names(fdflags as u64, FDFLAGS_NAMES)));
        let path = path?;
        m.slice(out, 4)?;
        let dir_entry = self.entry(fd)?;
        let (dir_host, root, dir_inh) = match &dir_entry.kind {
            FdKind::Dir { host, root, .. } => (host.clone(), *root, dir_entry.rights_inheriting),
            _ => return Err(ENOTDIR),
        };
        if dir_entry.rights_base & RIGHT_PATH_OPEN == 0 {
            return Err(ENOTCAPABLE);
        }
        if oflags & OFLAGS_CREAT != 0 && dir_entry.rights_base & RIGHT_PATH_CREATE_FILE == 0 {
            return Err(ENOTCAPABLE);
        }
        if oflags & OFLAGS_TRUNC != 0 && dir_entry.rights_base & RIGHT_PATH_FILESTAT_SET_SIZE == 0 {
            return Err(ENOTCAPABLE);
        }
        if oflags & (OFLAGS_DIRECTORY | OFLAGS_CREAT) == (OFLAGS_DIRECTORY | OFLAGS_CREAT)
            || oflags & (OFLAGS_DIRECTORY | OFLAGS_TRUNC) == (OFLAGS_DIRECTORY | OFLAGS_TRUNC)
        {
            return Err(EINVAL);
        }
        let r = fs::resolve(&dir_host, &path, follow)?;
        let existing = std::fs::symlink_metadata(&r.host).ok();
        if let Some(md) = &existing {
            if md.file_type().is_symlink() {
                // Not followed (no SYMLINK_FOLLOW): POSIX's O_NOFOLLOW answer.
                if oflags & (OFLAGS_CREAT | OFLAGS_EXCL) == (OFLAGS_CREAT | OFLAGS_EXCL) {
                    return Err(EEXIST);
                }
                return Err(if oflags & OFLAGS_DIRECTORY != 0 {
                    ENOTDIR
                } else {
                    ELOOP
                });
            }
            if oflags & (OFLAGS_CREAT | OFLAGS_EXCL) == (OFLAGS_CREAT | OFLAGS_EXCL) {
                return Err(EEXIST);
            }
            if md.is_dir() {
                // A directory cannot be opened for writing (POSIX's EISDIR).
                if oflags & OFLAGS_TRUNC != 0 || base & RIGHT_FD_WRITE != 0 {
                    return Err(EISDIR);
                }
                let rights = base & dir_inh & RIGHTS_DIR;
                let inh = inheriting & dir_inh;
                let n = self.alloc_fd(FdEntry {
                    kind: FdKind::Dir {
                        host: r.host.clone(),
                        root,
                        preopen: None,
                        listing: None,
                    },
                    rights_base: rights,
                    rights_inheriting: inh,
                    flags: fdflags,
                })?;
                m.write_u32(out, n)?;
                return Ok(None);
            }
            if oflags & OFLAGS_DIRECTORY != 0 || r.trailing_slash {
                return Err(ENOTDIR);
            }
        } else {
            if oflags & OFLAGS_CREAT == 0 {
                return Err(ENOENT);
            }
            if r.trailing_slash || oflags & OFLAGS_DIRECTORY != 0 {
                return Err(EISDIR);
            }
            if r.is_base() {
                return Err(EISDIR);
            }
        }
        let rights = base & dir_inh & RIGHTS_FILE;
        let mut read = rights & (RIGHT_FD_READ | RIGHT_FD_READDIR) != 0;
        let write = rights
            & (RIGHT_FD_DATASYNC | RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_SET_SIZE)
            != 0
            || oflags & OFLAGS_TRUNC != 0;
        if !read && !write {
            read = true;
        }
        let mut custom = libc::O_NOFOLLOW;
        if fdflags & FDFLAGS_NONBLOCK != 0 {
            custom |= libc::O_NONBLOCK;
        }
        if fdflags & FDFLAGS_SYNC != 0 {
            custom |= libc::O_SYNC;
        }
        if fdflags & FDFLAGS_DSYNC != 0 {
            custom |= libc::O_DSYNC;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.read(read).write(write).custom_flags(custom);
        if oflags & OFLAGS_CREAT != 0 {
            if !write {
                opts.write(true);
            }
            if oflags & OFLAGS_EXCL != 0 {
                opts.create_new(true);
            } else {
                opts.create(true);
            }
        }
        if oflags & OFLAGS_TRUNC != 0 {
            opts.truncate(true);
        }
        let file = io(opts.open(&r.host))?;
        let mut rights_base = rights;
        if !write {
            rights_base &= !(RIGHT_FD_WRITE
                | RIGHT_FD_ALLOCATE
                | RIGHT_FD_FILESTAT_SET_SIZE
                | RIGHT_FD_DATASYNC);
        }
        if !read && oflags & OFLAGS_CREAT == 0 {
            rights_base &= !RIGHT_FD_READ;
        }
        let n = self.alloc_fd(FdEntry {
            kind: FdKind::File { file },
            rights_base,
            rights_inheriting: inheriting & dir_inh,
            flags: fdflags
                & (FDFLAGS_APPEND
                    | FDFLAGS_NONBLOCK
                    | FDFLAGS_SYNC
                    | FDFLAGS_DSYNC
                    | FDFLAGS_RSYNC),
        })?;
        m.write_u32(out, n)?;
        Ok(None)
    }

    fn path_readlink(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        t.push(("fd", fd.to_string()));
        let (r, _) = self.resolve_at(
            m,
            fd,
            RIGHT_PATH_READLINK,
            u32a(a, 1),
            u32a(a, 2),
            false,
            t,
            "path",
        )?;
        let (buf, len, used) = (u32a(a, 3), u32a(a, 4), u32a(a, 5));
        let target = io(std::fs::read_link(r.host_with_slash()))?;
        use std::os::unix::ffi::OsStrExt;
        let bytes = target.as_os_str().as_bytes();
        let n = bytes.len().min(len as usize);
        m.write(buf, &bytes[..n])?;
        m.write_u32(used, n as u32)?;
        Ok(Some(n as u64))
    }

    fn path_remove_directory(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        t.push(("fd", fd.to_string()));
        let (r, _) = self.resolve_entry_at(
            m,
            fd,
            RIGHT_PATH_REMOVE_DIRECTORY,
            (u32a(a, 1), u32a(a, 2)),
            t,
            "path",
        )?;
        if r.is_base() {
            return Err(EBUSY);
        }
        let md = io(std::fs::symlink_metadata(&r.host))?;
        if !md.is_dir() {
            return Err(ENOTDIR);
        }
        io(std::fs::remove_dir(&r.host))?;
        Ok(None)
    }

    fn path_rename(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let (ofd, nfd) = (u32a(a, 0), u32a(a, 3));
        t.push(("fd", ofd.to_string()));
        let (old, oroot) = self.resolve_entry_at(
            m,
            ofd,
            RIGHT_PATH_RENAME_SOURCE,
            (u32a(a, 1), u32a(a, 2)),
            t,
            "old_path",
        )?;
        t.push(("new_fd", nfd.to_string()));
        let (new, nroot) = self.resolve_entry_at(
            m,
            nfd,
            RIGHT_PATH_RENAME_TARGET,
            (u32a(a, 4), u32a(a, 5)),
            t,
            "new_path",
        )?;
        if oroot != nroot {
            return Err(EXDEV);
        }
        if old.is_base() || new.is_base() {
            return Err(EBUSY);
        }
        let omd = io(std::fs::symlink_metadata(&old.host))?;
        if old.trailing_slash && !omd.is_dir() {
            return Err(ENOTDIR);
        }
        if new.trailing_slash && !omd.is_dir() {
            return Err(ENOTDIR);
        }
        io(std::fs::rename(&old.host, &new.host))?;
        Ok(None)
    }

    fn path_symlink(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let target = self.path_arg(m, u32a(a, 0), u32a(a, 1), t, "old_path")?;
        let fd = u32a(a, 2);
        t.push(("fd", fd.to_string()));
        let (r, _) = self.resolve_entry_at(
            m,
            fd,
            RIGHT_PATH_SYMLINK,
            (u32a(a, 3), u32a(a, 4)),
            t,
            "new_path",
        )?;
        if target.starts_with('/') {
            return Err(ENOTCAPABLE);
        }
        if r.is_base() {
            return Err(EEXIST);
        }
        if std::fs::symlink_metadata(&r.host).is_ok() {
            return Err(EEXIST);
        }
        if r.trailing_slash {
            return Err(ENOENT);
        }
        io(std::os::unix::fs::symlink(&target, &r.host))?;
        Ok(None)
    }

    fn path_unlink_file(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        t.push(("fd", fd.to_string()));
        let (r, _) = self.resolve_entry_at(
            m,
            fd,
            RIGHT_PATH_UNLINK_FILE,
            (u32a(a, 1), u32a(a, 2)),
            t,
            "path",
        )?;
        if r.is_base() {
            return Err(EISDIR);
        }
        let md = io(std::fs::symlink_metadata(&r.host))?;
        if md.is_dir() {
            return Err(EISDIR);
        }
        if r.trailing_slash {
            return Err(ENOTDIR);
        }
        io(std::fs::remove_file(&r.host))?;
        Ok(None)
    }

    // ---- poll ---------------------------------------------------------------

    fn poll_oneoff(&mut self, m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
        let (inp, out, n, nev_ptr) = (u32a(a, 0), u32a(a, 1), u32a(a, 2), u32a(a, 3));
        t.push(("nsubscriptions", n.to_string()));
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
        m.write_u32(nev_ptr, events.len() as u32)?;
        Ok(None)
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

    // ---- sockets ------------------------------------------------------------

    /// No sockets are ever handed to the guest: a valid fd is `ENOTSOCK`.
    fn sock(&mut self, a: &[u64], t: &mut Args) -> R {
        let fd = u32a(a, 0);
        t.push(("fd", fd.to_string()));
        self.entry(fd)?;
        Err(ENOTSOCK)
    }
}

/// A character device (a tty to `isatty`) only when the stream is the
/// host's own and that is a terminal; pipes, files, buffers and sinks are
/// `UNKNOWN`, as wasmtime reports them.
fn stdio_filetype(inherited: bool, fd: u8) -> u8 {
    use std::io::IsTerminal;
    let tty = inherited
        && match fd {
            0 => std::io::stdin().is_terminal(),
            1 => std::io::stdout().is_terminal(),
            _ => std::io::stderr().is_terminal(),
        };
    if tty {
        FILETYPE_CHARACTER_DEVICE
    } else {
        FILETYPE_UNKNOWN
    }
}

fn sizes(m: &mut GuestMem<'_>, a: &[u64], items: &[Vec<u8>]) -> R {
    let total: usize = items.iter().map(|s| s.len() + 1).sum();
    m.write_u32(u32a(a, 0), items.len() as u32)?;
    m.write_u32(u32a(a, 1), total as u32)?;
    Ok(None)
}

fn iov_desc(iovs: &Result<Vec<(u32, u32)>, Errno>) -> String {
    match iovs {
        Ok(v) => {
            let lens: Vec<String> = v.iter().map(|(_, l)| l.to_string()).collect();
            format!("[{}]", lens.join(", "))
        }
        Err(_) => "<fault>".into(),
    }
}

/// Read until `buf` is full or end of file (a short read from a regular
/// file only at EOF, as guests expect).
fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut done = 0;
    while done < buf.len() {
        match f.read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                if done > 0 {
                    break;
                }
                return Err(errno_from_io(&e));
            }
        }
    }
    Ok(done)
}

fn write_out(out: &Output, stderr: bool, data: &[u8]) -> Result<(), Errno> {
    match out {
        Output::Sink(s) => {
            s(data);
            Ok(())
        }
        Output::Inherit => {
            let r = if stderr {
                let mut e = std::io::stderr().lock();
                e.write_all(data).and_then(|_| e.flush())
            } else {
                let mut o = std::io::stdout().lock();
                o.write_all(data).and_then(|_| o.flush())
            };
            io(r)
        }
    }
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

fn clock_res_get(m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
    let id = u32a(a, 0);
    t.push(("id", clock_name(id)));
    let res = sys::clock_getres_ns(libc_clock(id)?).map_err(errno_from_host)?;
    m.write_u64(u32a(a, 1), res.max(1))?;
    Ok(None)
}

fn clock_time_get(m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
    let id = u32a(a, 0);
    t.push(("id", clock_name(id)));
    t.push(("precision", u64a(a, 1).to_string()));
    let now = clock_now(id)?;
    m.write_u64(u32a(a, 2), now)?;
    Ok(None)
}

fn random_get(m: &mut GuestMem<'_>, a: &[u64], t: &mut Args) -> R {
    let (ptr, len) = (u32a(a, 0), u32a(a, 1));
    t.push(("buf_len", len.to_string()));
    let buf = m.slice_mut(ptr, len)?;
    let mut f = io(std::fs::File::open("/dev/urandom"))?;
    io(f.read_exact(buf))?;
    Ok(Some(len as u64))
}
