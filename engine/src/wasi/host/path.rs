//! The `path_*` functions: every path is resolved below a directory fd by
//! `fs::resolve`, which keeps it inside the fd's preopen.

use std::os::unix::fs::OpenOptionsExt;

use super::super::abi::*;
use super::super::fs::{self, Resolved};
use super::super::mem::GuestMem;
use super::super::sys;
use super::super::table::{Done, Moved, PathArg};
use super::super::{FdEntry, FdKind, WasiCtx};
use super::{io, times};

impl WasiCtx {
    /// Resolve a guest path below directory fd `fd` (needing rights `need`).
    /// The path's own read fails first, as when the host read it here.
    fn resolve_at(
        &mut self,
        fd: u32,
        need: u64,
        path: PathArg,
        follow: bool,
    ) -> Result<(Resolved, usize), Errno> {
        let path = path.read?;
        let (base, root) = self.dir(fd, need)?;
        Ok((fs::resolve(&base, &path, follow)?, root))
    }

    /// Like `resolve_at`, for calls that act on the entry itself (never
    /// following a final symlink, even with a trailing slash).
    fn resolve_entry_at(
        &mut self,
        fd: u32,
        need: u64,
        path: PathArg,
    ) -> Result<(Resolved, usize), Errno> {
        let path = path.read?;
        let (base, root) = self.dir(fd, need)?;
        Ok((fs::resolve_entry(&base, &path)?, root))
    }

    pub(in crate::wasi) fn path_create_directory(
        &mut self,
        _: &mut GuestMem<'_>,
        fd: u32,
        path: PathArg,
    ) -> Done {
        let (r, _) = self.resolve_at(fd, RIGHT_PATH_CREATE_DIRECTORY, path, false)?;
        if r.is_base() {
            return Err(EEXIST);
        }
        io(std::fs::create_dir(&r.host))?;
        Ok(())
    }

    pub(in crate::wasi) fn path_filestat_get(
        &mut self,
        m: &mut GuestMem<'_>,
        fd: u32,
        flags: u32,
        path: PathArg,
        out: u32,
    ) -> Done {
        let follow = flags & LOOKUP_SYMLINK_FOLLOW != 0;
        let (r, _) = self.resolve_at(fd, RIGHT_PATH_FILESTAT_GET, path, follow)?;
        let md = io(std::fs::symlink_metadata(r.host_with_slash()))?;
        m.write(out, &fs::filestat_of(&md).encode())
    }

    #[allow(clippy::too_many_arguments)]
    pub(in crate::wasi) fn path_filestat_set_times(
        &mut self,
        _: &mut GuestMem<'_>,
        fd: u32,
        flags: u32,
        path: PathArg,
        atim: u64,
        mtim: u64,
        fst: u16,
    ) -> Done {
        let follow = flags & LOOKUP_SYMLINK_FOLLOW != 0;
        let (r, _) = self.resolve_at(fd, RIGHT_PATH_FILESTAT_SET_TIMES, path, follow)?;
        let (at, mt) = times(atim, mtim, fst)?;
        sys::utimensat(&r.host_with_slash(), at, mt, true).map_err(errno_from_host)?;
        Ok(())
    }

    pub(in crate::wasi) fn path_link(
        &mut self,
        _: &mut GuestMem<'_>,
        ofd: u32,
        oflags: u32,
        old_path: PathArg,
        nfd: u32,
        new_path: PathArg,
    ) -> Done {
        let follow = oflags & LOOKUP_SYMLINK_FOLLOW != 0;
        let (old, oroot) = self.resolve_at(ofd, RIGHT_PATH_LINK_SOURCE, old_path, follow)?;
        let (new, nroot) = self.resolve_entry_at(nfd, RIGHT_PATH_LINK_TARGET, new_path)?;
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
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(in crate::wasi) fn path_open(
        &mut self,
        m: &mut GuestMem<'_>,
        fd: u32,
        dirflags: u32,
        path: PathArg,
        oflags: u16,
        base: u64,
        inheriting: u64,
        fdflags: u16,
        out: u32,
    ) -> Done {
        let follow = dirflags & LOOKUP_SYMLINK_FOLLOW != 0;
        let path = path.read?;
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
                return Ok(());
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
        Ok(())
    }

    pub(in crate::wasi) fn path_readlink(
        &mut self,
        m: &mut GuestMem<'_>,
        fd: u32,
        path: PathArg,
        buf: u32,
        len: u32,
        used: u32,
    ) -> Moved {
        let (r, _) = self.resolve_at(fd, RIGHT_PATH_READLINK, path, false)?;
        let target = io(std::fs::read_link(r.host_with_slash()))?;
        use std::os::unix::ffi::OsStrExt;
        let bytes = target.as_os_str().as_bytes();
        let n = bytes.len().min(len as usize);
        m.write(buf, &bytes[..n])?;
        m.write_u32(used, n as u32)?;
        Ok(n as u64)
    }

    pub(in crate::wasi) fn path_remove_directory(
        &mut self,
        _: &mut GuestMem<'_>,
        fd: u32,
        path: PathArg,
    ) -> Done {
        let (r, _) = self.resolve_entry_at(fd, RIGHT_PATH_REMOVE_DIRECTORY, path)?;
        if r.is_base() {
            return Err(EBUSY);
        }
        let md = io(std::fs::symlink_metadata(&r.host))?;
        if !md.is_dir() {
            return Err(ENOTDIR);
        }
        io(std::fs::remove_dir(&r.host))?;
        Ok(())
    }

    pub(in crate::wasi) fn path_rename(
        &mut self,
        _: &mut GuestMem<'_>,
        ofd: u32,
        old_path: PathArg,
        nfd: u32,
        new_path: PathArg,
    ) -> Done {
        let (old, oroot) = self.resolve_entry_at(ofd, RIGHT_PATH_RENAME_SOURCE, old_path)?;
        let (new, nroot) = self.resolve_entry_at(nfd, RIGHT_PATH_RENAME_TARGET, new_path)?;
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
        Ok(())
    }

    pub(in crate::wasi) fn path_symlink(
        &mut self,
        _: &mut GuestMem<'_>,
        old_path: PathArg,
        fd: u32,
        new_path: PathArg,
    ) -> Done {
        let target = old_path.read?;
        let (r, _) = self.resolve_entry_at(fd, RIGHT_PATH_SYMLINK, new_path)?;
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
        Ok(())
    }

    pub(in crate::wasi) fn path_unlink_file(
        &mut self,
        _: &mut GuestMem<'_>,
        fd: u32,
        path: PathArg,
    ) -> Done {
        let (r, _) = self.resolve_entry_at(fd, RIGHT_PATH_UNLINK_FILE, path)?;
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
        Ok(())
    }
}
