//! The `fd_*` functions.

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::super::abi::*;
use super::super::fs;
use super::super::mem::{GuestMem, iovec_total};
use super::super::sys::{self, TimeSpec};
use super::super::table::{Done, Moved};
use super::super::{FdKind, Output, Stdin, WasiCtx};
use super::{IovsArg, io, times};

impl WasiCtx {
    pub(in crate::wasi) fn fd_advise(
        &mut self,
        _: &mut GuestMem<'_>,
        fd: u32,
        _offset: u64,
        _len: u64,
        advice: u32,
    ) -> Done {
        let e = self.entry_with(fd, RIGHT_FD_ADVISE)?;
        if advice > 5 {
            return Err(EINVAL);
        }
        match e.kind {
            FdKind::File { .. } => Ok(()),
            FdKind::Dir { .. } => Err(EBADF),
            _ => Err(EBADF),
        }
    }

    pub(in crate::wasi) fn fd_allocate(
        &mut self,
        _: &mut GuestMem<'_>,
        fd: u32,
        off: u64,
        len: u64,
    ) -> Done {
        let f = self.file(fd, RIGHT_FD_ALLOCATE)?;
        let end = off.checked_add(len).ok_or(EFBIG)?;
        if end > i64::MAX as u64 {
            return Err(EFBIG);
        }
        let size = io(f.metadata())?.len();
        if end > size {
            io(f.set_len(end))?;
        }
        Ok(())
    }

    pub(in crate::wasi) fn fd_close(&mut self, _: &mut GuestMem<'_>, fd: u32) -> Done {
        self.fds.remove(&fd).ok_or(EBADF)?;
        Ok(())
    }

    pub(in crate::wasi) fn fd_datasync(&mut self, _: &mut GuestMem<'_>, fd: u32) -> Done {
        self.sync(fd, true)
    }

    pub(in crate::wasi) fn fd_sync(&mut self, _: &mut GuestMem<'_>, fd: u32) -> Done {
        self.sync(fd, false)
    }

    fn sync(&mut self, fd: u32, data_only: bool) -> Done {
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
                Ok(())
            }
            FdKind::Dir { host, .. } => {
                let d = io(std::fs::File::open(&*host))?;
                io(d.sync_all())?;
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }

    pub(in crate::wasi) fn fd_fdstat_get(
        &mut self,
        m: &mut GuestMem<'_>,
        fd: u32,
        out: u32,
    ) -> Done {
        let e = self.fds.get(&fd).ok_or(EBADF)?;
        let filetype = match &e.kind {
            FdKind::File { file } => fs::filetype_of(io(file.metadata())?.file_type()),
            FdKind::Dir { .. } => FILETYPE_DIRECTORY,
            stdio => self.stdio_filetype(stdio),
        };
        let b = encode_fdstat(filetype, e.flags, e.rights_base, e.rights_inheriting);
        m.write(out, &b)
    }

    pub(in crate::wasi) fn fd_fdstat_set_flags(
        &mut self,
        _: &mut GuestMem<'_>,
        fd: u32,
        flags: u16,
    ) -> Done {
        let e = self.entry_with(fd, RIGHT_FD_FDSTAT_SET_FLAGS)?;
        if flags & !(FDFLAGS_APPEND | FDFLAGS_NONBLOCK) != 0 {
            return Err(ENOTSUP);
        }
        match e.kind {
            FdKind::File { .. } => {
                e.flags = flags;
                Ok(())
            }
            FdKind::Dir { .. } => Err(EBADF),
            _ => {
                e.flags = flags & FDFLAGS_NONBLOCK;
                Ok(())
            }
        }
    }

    pub(in crate::wasi) fn fd_fdstat_set_rights(
        &mut self,
        _: &mut GuestMem<'_>,
        fd: u32,
        base: u64,
        inh: u64,
    ) -> Done {
        let e = self.entry(fd)?;
        if base & !e.rights_base != 0 || inh & !e.rights_inheriting != 0 {
            return Err(ENOTCAPABLE);
        }
        e.rights_base = base;
        e.rights_inheriting = inh;
        Ok(())
    }

    pub(in crate::wasi) fn fd_filestat_get(
        &mut self,
        m: &mut GuestMem<'_>,
        fd: u32,
        out: u32,
    ) -> Done {
        let e = self.fds.get(&fd).ok_or(EBADF)?;
        let st = match &e.kind {
            FdKind::File { file } => fs::filestat_of(&io(file.metadata())?),
            FdKind::Dir { host, .. } => fs::filestat_of(&io(std::fs::metadata(host))?),
            stdio => Filestat {
                filetype: self.stdio_filetype(stdio),
                nlink: 1,
                ..Filestat::default()
            },
        };
        m.write(out, &st.encode())
    }

    pub(in crate::wasi) fn fd_filestat_set_size(
        &mut self,
        _: &mut GuestMem<'_>,
        fd: u32,
        size: u64,
    ) -> Done {
        let f = self.file(fd, RIGHT_FD_FILESTAT_SET_SIZE)?;
        if size > i64::MAX as u64 {
            return Err(EFBIG);
        }
        io(f.set_len(size))?;
        Ok(())
    }

    pub(in crate::wasi) fn fd_filestat_set_times(
        &mut self,
        _: &mut GuestMem<'_>,
        fd: u32,
        atim: u64,
        mtim: u64,
        fst: u16,
    ) -> Done {
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
                Ok(())
            }
            FdKind::Dir { host, .. } => {
                sys::utimensat(host, at, mt, false).map_err(errno_from_host)?;
                Ok(())
            }
            _ => Err(EBADF),
        }
    }

    pub(in crate::wasi) fn fd_pread(
        &mut self,
        m: &mut GuestMem<'_>,
        fd: u32,
        iovs: IovsArg,
        off: u64,
        nread_ptr: u32,
    ) -> Moved {
        let iovs = iovs?;
        let f = self.file(fd, RIGHT_FD_READ | RIGHT_FD_SEEK)?;
        let want = iovec_total(&iovs).min(64 << 20) as usize;
        let mut buf = vec![0u8; want];
        let n = io(f.read_at(&mut buf, off))?;
        let n = m.scatter(&iovs, &buf[..n])?;
        m.write_u32(nread_ptr, n as u32)?;
        Ok(n as u64)
    }

    pub(in crate::wasi) fn fd_pwrite(
        &mut self,
        m: &mut GuestMem<'_>,
        fd: u32,
        iovs: IovsArg,
        off: u64,
        nwritten_ptr: u32,
    ) -> Moved {
        let data = m.gather(&iovs?)?;
        let f = self.file(fd, RIGHT_FD_WRITE | RIGHT_FD_SEEK)?;
        io(f.write_all_at(&data, off))?;
        m.write_u32(nwritten_ptr, data.len() as u32)?;
        Ok(data.len() as u64)
    }

    pub(in crate::wasi) fn fd_prestat_get(
        &mut self,
        m: &mut GuestMem<'_>,
        fd: u32,
        out: u32,
    ) -> Done {
        match &self.entry(fd)?.kind {
            FdKind::Dir {
                preopen: Some(name),
                ..
            } => {
                let mut b = [0u8; PRESTAT_SIZE];
                b[4..8].copy_from_slice(&(name.len() as u32).to_le_bytes());
                m.write(out, &b)
            }
            _ => Err(EBADF),
        }
    }

    pub(in crate::wasi) fn fd_prestat_dir_name(
        &mut self,
        m: &mut GuestMem<'_>,
        fd: u32,
        ptr: u32,
        len: u32,
    ) -> Done {
        match &self.entry(fd)?.kind {
            FdKind::Dir {
                preopen: Some(name),
                ..
            } => {
                if (len as usize) < name.len() {
                    return Err(ENAMETOOLONG);
                }
                m.write(ptr, name.as_bytes())
            }
            _ => Err(EBADF),
        }
    }

    pub(in crate::wasi) fn fd_read(
        &mut self,
        m: &mut GuestMem<'_>,
        fd: u32,
        iovs: IovsArg,
        nread_ptr: u32,
    ) -> Moved {
        let iovs = iovs?;
        let want = iovec_total(&iovs).min(64 << 20) as usize;
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
        Ok(n as u64)
    }

    pub(in crate::wasi) fn fd_write(
        &mut self,
        m: &mut GuestMem<'_>,
        fd: u32,
        iovs: IovsArg,
        nw_ptr: u32,
    ) -> Moved {
        let data = m.gather(&iovs?)?;
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
        Ok(data.len() as u64)
    }

    pub(in crate::wasi) fn fd_readdir(
        &mut self,
        m: &mut GuestMem<'_>,
        fd: u32,
        buf: u32,
        len: u32,
        cookie: u64,
        used_ptr: u32,
    ) -> Moved {
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
        Ok(bytes.len() as u64)
    }

    pub(in crate::wasi) fn fd_renumber(
        &mut self,
        _: &mut GuestMem<'_>,
        from: u32,
        to: u32,
    ) -> Done {
        if !self.fds.contains_key(&from) || !self.fds.contains_key(&to) {
            return Err(EBADF);
        }
        if from != to {
            let e = self.fds.remove(&from).expect("checked above");
            self.fds.insert(to, e);
        }
        Ok(())
    }

    pub(in crate::wasi) fn fd_seek(
        &mut self,
        m: &mut GuestMem<'_>,
        fd: u32,
        off: i64,
        whence: u32,
        out: u32,
    ) -> Done {
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
        m.write_u64(out, n)
    }

    pub(in crate::wasi) fn fd_tell(&mut self, m: &mut GuestMem<'_>, fd: u32, out: u32) -> Done {
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
        m.write_u64(out, n)
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
