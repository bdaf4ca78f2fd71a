//! `wasi:filesystem` for the WASI 0.2 host: descriptors are host paths
//! inside a preopen, resolved with preview1's sandbox
//! (`crate::wasi::fs::resolve`), files opened with `O_NOFOLLOW`.

use std::collections::VecDeque;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{InStream, OutStream, P2Ctx, R, Res, flags, rep, string, trap, u64a};
use crate::component::Val;
use crate::runtime::HostError;
use crate::wasi::abi::{self, Errno};
use crate::wasi::fs as sandbox;

pub(crate) struct Desc {
    pub host: PathBuf,
    /// The preopen it lies in (renames stay inside one).
    pub root: usize,
    /// `descriptor-flags` bits.
    pub flags: u32,
    /// `None` for a directory.
    pub file: Option<Arc<std::fs::File>>,
}

// descriptor-flags
const READ: u32 = 1;
const WRITE: u32 = 2;
const MUTATE_DIRECTORY: u32 = 32;
// path-flags
const SYMLINK_FOLLOW: u32 = 1;
// open-flags
const CREATE: u32 = 1;
const DIRECTORY: u32 = 2;
const EXCLUSIVE: u32 = 4;
const TRUNCATE: u32 = 8;

/// `error-code` case index of a preview1 errno (the enum's order in
/// `wasi:filesystem/types`).
fn code(e: Errno) -> u32 {
    match e {
        abi::EACCES => 0,
        abi::EAGAIN => 1,
        abi::EBADF => 3,
        abi::EBUSY => 4,
        abi::EEXIST => 7,
        abi::EFBIG => 8,
        abi::EILSEQ => 9,
        abi::EINTR => 11,
        abi::EINVAL => 12,
        abi::EIO => 13,
        abi::EISDIR => 14,
        abi::ELOOP => 15,
        abi::EMLINK => 16,
        abi::ENAMETOOLONG => 18,
        abi::ENOENT => 20,
        abi::ENOMEM => 22,
        abi::ENOSPC => 23,
        abi::ENOTDIR => 24,
        abi::ENOTEMPTY => 25,
        abi::ENOTSUP | abi::ENOSYS => 27,
        abi::EPERM | abi::ENOTCAPABLE => 31,
        abi::EROFS => 33,
        abi::ESPIPE => 34,
        abi::EXDEV => 36,
        _ => 13,
    }
}

type FsResult<T> = std::result::Result<T, Errno>;

fn io<T>(r: std::io::Result<T>) -> FsResult<T> {
    r.map_err(|e| abi::errno_from_io(&e))
}

/// `result<T, error-code>` from a filesystem operation.
fn done(r: FsResult<Option<Val>>) -> R {
    Ok(Some(match r {
        Ok(v) => Val::ok(v),
        Err(e) => Val::err(Some(Val::Enum(code(e)))),
    }))
}

fn desc(c: &mut P2Ctx, r: u32) -> std::result::Result<&mut Desc, HostError> {
    match c.get(r)? {
        Res::Descriptor(d) => Ok(d),
        _ => trap("not a descriptor"),
    }
}

/// (host path, root) of a directory descriptor.
fn dir_of(
    c: &mut P2Ctx,
    r: u32,
) -> std::result::Result<FsResult<(PathBuf, usize, u32)>, HostError> {
    let d = desc(c, r)?;
    Ok(if d.file.is_some() {
        Err(abi::ENOTDIR)
    } else {
        Ok((d.host.clone(), d.root, d.flags))
    })
}

pub(crate) fn get_directories(c: &mut P2Ctx, _: &[Val]) -> R {
    let pre = c.preopens.clone();
    let mut out = Vec::new();
    for (i, (host, guest)) in pre.into_iter().enumerate() {
        let r = c.add(Res::Descriptor(Desc {
            host,
            root: i,
            flags: READ | WRITE | MUTATE_DIRECTORY,
            file: None,
        }));
        out.push(Val::Tuple(vec![Val::Own(r), Val::String(guest)]));
    }
    Ok(Some(Val::List(out)))
}

fn file_of(
    c: &mut P2Ctx,
    r: u32,
) -> std::result::Result<FsResult<(Arc<std::fs::File>, u32)>, HostError> {
    let d = desc(c, r)?;
    Ok(match &d.file {
        Some(f) => Ok((f.clone(), d.flags)),
        None => Err(abi::EISDIR),
    })
}

pub(crate) fn read_via_stream(c: &mut P2Ctx, a: &[Val]) -> R {
    let off = u64a(a, 1)?;
    let r = file_of(c, rep(a, 0)?)?.and_then(|(file, fl)| {
        if fl & READ == 0 {
            return Err(abi::EBADF);
        }
        Ok(file)
    });
    let r = r.map(|file| {
        Some(Val::Own(
            c.add(Res::Input(InStream::File { file, pos: off })),
        ))
    });
    done(r)
}

pub(crate) fn write_via_stream(c: &mut P2Ctx, a: &[Val]) -> R {
    let off = u64a(a, 1)?;
    let r = file_of(c, rep(a, 0)?)?.and_then(|(file, fl)| {
        if fl & WRITE == 0 {
            return Err(abi::EBADF);
        }
        Ok(file)
    });
    let r = r.map(|file| {
        Some(Val::Own(
            c.add(Res::Output(OutStream::File { file, pos: off })),
        ))
    });
    done(r)
}

pub(crate) fn append_via_stream(c: &mut P2Ctx, a: &[Val]) -> R {
    let r = file_of(c, rep(a, 0)?)?.and_then(|(file, fl)| {
        if fl & WRITE == 0 {
            return Err(abi::EBADF);
        }
        Ok(file)
    });
    let r = r.map(|file| Some(Val::Own(c.add(Res::Output(OutStream::Append(file))))));
    done(r)
}

pub(crate) fn get_flags(c: &mut P2Ctx, a: &[Val]) -> R {
    let f = desc(c, rep(a, 0)?)?.flags;
    done(Ok(Some(Val::Flags(f))))
}

fn type_of(ft: std::fs::FileType) -> u32 {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        3
    } else if ft.is_file() {
        6
    } else if ft.is_symlink() {
        5
    } else if ft.is_block_device() {
        1
    } else if ft.is_char_device() {
        2
    } else if ft.is_fifo() {
        4
    } else if ft.is_socket() {
        7
    } else {
        0
    }
}

fn desc_md(c: &mut P2Ctx, r: u32) -> std::result::Result<FsResult<std::fs::Metadata>, HostError> {
    let d = desc(c, r)?;
    Ok(match &d.file {
        Some(f) => io(f.metadata()),
        None => io(std::fs::metadata(&d.host)),
    })
}

pub(crate) fn get_type(c: &mut P2Ctx, a: &[Val]) -> R {
    let md = desc_md(c, rep(a, 0)?)?;
    done(md.map(|m| Some(Val::Enum(type_of(m.file_type())))))
}

fn time(sec: i64, nsec: i64) -> Val {
    Val::some(super::datetime(Duration::new(
        sec.max(0) as u64,
        nsec.clamp(0, 999_999_999) as u32,
    )))
}

fn stat_val(md: &std::fs::Metadata) -> Val {
    Val::Record(vec![
        Val::Enum(type_of(md.file_type())),
        Val::U64(md.nlink()),
        Val::U64(md.size()),
        time(md.atime(), md.atime_nsec()),
        time(md.mtime(), md.mtime_nsec()),
        time(md.ctime(), md.ctime_nsec()),
    ])
}

pub(crate) fn stat(c: &mut P2Ctx, a: &[Val]) -> R {
    let md = desc_md(c, rep(a, 0)?)?;
    done(md.map(|m| Some(stat_val(&m))))
}

/// Resolve `path` below directory descriptor `a[0]`.
fn resolve_at(
    c: &mut P2Ctx,
    a: &[Val],
    path: &str,
    follow: bool,
) -> std::result::Result<FsResult<(sandbox::Resolved, usize, u32)>, HostError> {
    let d = dir_of(c, rep(a, 0)?)?;
    Ok(d.and_then(|(host, root, fl)| Ok((sandbox::resolve(&host, path, follow)?, root, fl))))
}

pub(crate) fn stat_at(c: &mut P2Ctx, a: &[Val]) -> R {
    let follow = flags(a, 1)? & SYMLINK_FOLLOW != 0;
    let path = string(a, 2)?.to_string();
    let r = resolve_at(c, a, &path, follow)?.and_then(|(r, _, _)| {
        let md = if follow {
            std::fs::metadata(r.host_with_slash())
        } else {
            std::fs::symlink_metadata(r.host_with_slash())
        };
        io(md).map(|m| Some(stat_val(&m)))
    });
    done(r)
}

pub(crate) fn open_at(c: &mut P2Ctx, a: &[Val]) -> R {
    let follow = flags(a, 1)? & SYMLINK_FOLLOW != 0;
    let path = string(a, 2)?.to_string();
    let oflags = flags(a, 3)?;
    let dflags = flags(a, 4)?;
    let r = resolve_at(c, a, &path, follow)?.and_then(|(r, root, dir_flags)| {
        if oflags & (CREATE | TRUNCATE) != 0 && dir_flags & MUTATE_DIRECTORY == 0 {
            return Err(abi::EROFS);
        }
        if oflags & DIRECTORY != 0 && oflags & (CREATE | TRUNCATE) != 0 {
            return Err(abi::EINVAL);
        }
        let existing = std::fs::symlink_metadata(&r.host).ok();
        if let Some(md) = &existing {
            if md.file_type().is_symlink() {
                if oflags & (CREATE | EXCLUSIVE) == (CREATE | EXCLUSIVE) {
                    return Err(abi::EEXIST);
                }
                return Err(if oflags & DIRECTORY != 0 {
                    abi::ENOTDIR
                } else {
                    abi::ELOOP
                });
            }
            if oflags & (CREATE | EXCLUSIVE) == (CREATE | EXCLUSIVE) {
                return Err(abi::EEXIST);
            }
            if md.is_dir() {
                if oflags & TRUNCATE != 0 || dflags & WRITE != 0 {
                    return Err(abi::EISDIR);
                }
                return Ok(Desc {
                    host: r.host.clone(),
                    root,
                    flags: dflags & (READ | MUTATE_DIRECTORY) & dir_flags,
                    file: None,
                });
            }
            if oflags & DIRECTORY != 0 || r.trailing_slash {
                return Err(abi::ENOTDIR);
            }
        } else {
            if oflags & CREATE == 0 {
                return Err(abi::ENOENT);
            }
            if r.trailing_slash || oflags & DIRECTORY != 0 || r.is_base() {
                return Err(abi::EISDIR);
            }
        }
        let write = dflags & WRITE != 0;
        let read = dflags & READ != 0 || !write;
        let mut opts = std::fs::OpenOptions::new();
        opts.read(read).write(write).custom_flags(libc::O_NOFOLLOW);
        if oflags & CREATE != 0 {
            opts.write(true);
            if oflags & EXCLUSIVE != 0 {
                opts.create_new(true);
            } else {
                opts.create(true);
            }
        }
        if oflags & TRUNCATE != 0 {
            opts.write(true).truncate(true);
        }
        let file = io(opts.open(&r.host))?;
        let mut fl = dflags & (READ | WRITE);
        if !write {
            fl |= READ;
        }
        Ok(Desc {
            host: r.host.clone(),
            root,
            flags: fl,
            file: Some(Arc::new(file)),
        })
    });
    let r = r.map(|d| Some(Val::Own(c.add(Res::Descriptor(d)))));
    done(r)
}

pub(crate) fn read_directory(c: &mut P2Ctx, a: &[Val]) -> R {
    let r = dir_of(c, rep(a, 0)?)?.and_then(|(host, _, _)| {
        let mut v = VecDeque::new();
        for e in io(std::fs::read_dir(&host))? {
            let e = io(e)?;
            let t = e.file_type().map_or(0, type_of) as u8;
            v.push_back((e.file_name().to_string_lossy().into_owned(), t));
        }
        Ok(v)
    });
    let r = r.map(|v| Some(Val::Own(c.add(Res::DirStream(v)))));
    done(r)
}

pub(crate) fn read_directory_entry(c: &mut P2Ctx, a: &[Val]) -> R {
    match c.get(rep(a, 0)?)? {
        Res::DirStream(v) => {
            let e = v.pop_front();
            done(Ok(Some(Val::Option(e.map(|(name, t)| {
                Box::new(Val::Record(vec![Val::Enum(t as u32), Val::String(name)]))
            })))))
        }
        _ => trap("not a directory-entry-stream"),
    }
}

fn mutate_dir(
    c: &mut P2Ctx,
    a: &[Val],
    path: &str,
) -> std::result::Result<FsResult<sandbox::Resolved>, HostError> {
    let d = dir_of(c, rep(a, 0)?)?;
    Ok(d.and_then(|(host, _, fl)| {
        if fl & MUTATE_DIRECTORY == 0 {
            return Err(abi::EROFS);
        }
        sandbox::resolve_entry(&host, path)
    }))
}

pub(crate) fn create_directory_at(c: &mut P2Ctx, a: &[Val]) -> R {
    let path = string(a, 1)?.to_string();
    let r = mutate_dir(c, a, &path)?.and_then(|r| {
        if r.is_base() {
            return Err(abi::EEXIST);
        }
        io(std::fs::create_dir(&r.host)).map(|_| None)
    });
    done(r)
}

pub(crate) fn remove_directory_at(c: &mut P2Ctx, a: &[Val]) -> R {
    let path = string(a, 1)?.to_string();
    let r = mutate_dir(c, a, &path)?.and_then(|r| {
        if r.is_base() {
            return Err(abi::EBUSY);
        }
        io(std::fs::remove_dir(&r.host)).map(|_| None)
    });
    done(r)
}

pub(crate) fn unlink_file_at(c: &mut P2Ctx, a: &[Val]) -> R {
    let path = string(a, 1)?.to_string();
    let r = mutate_dir(c, a, &path)?.and_then(|r| {
        let md = io(std::fs::symlink_metadata(&r.host))?;
        if md.is_dir() {
            return Err(abi::EISDIR);
        }
        if r.trailing_slash {
            return Err(abi::ENOTDIR);
        }
        io(std::fs::remove_file(&r.host)).map(|_| None)
    });
    done(r)
}

pub(crate) fn rename_at(c: &mut P2Ctx, a: &[Val]) -> R {
    let old = string(a, 1)?.to_string();
    let new = string(a, 3)?.to_string();
    let from = mutate_dir(c, a, &old)?;
    let to_dir = dir_of(c, rep(a, 2)?)?;
    let root_a = desc(c, rep(a, 0)?)?.root;
    let r = from.and_then(|f| {
        let (host, root_b, fl) = to_dir?;
        if fl & MUTATE_DIRECTORY == 0 {
            return Err(abi::EROFS);
        }
        if root_a != root_b {
            return Err(abi::EXDEV);
        }
        let t = sandbox::resolve_entry(&host, &new)?;
        if f.is_base() || t.is_base() {
            return Err(abi::EBUSY);
        }
        io(std::fs::rename(&f.host, &t.host)).map(|_| None)
    });
    done(r)
}

fn hash_of(md: &std::fs::Metadata) -> Val {
    Val::Record(vec![Val::U64(md.dev()), Val::U64(md.ino())])
}

pub(crate) fn metadata_hash(c: &mut P2Ctx, a: &[Val]) -> R {
    let md = desc_md(c, rep(a, 0)?)?;
    done(md.map(|m| Some(hash_of(&m))))
}

pub(crate) fn metadata_hash_at(c: &mut P2Ctx, a: &[Val]) -> R {
    let follow = flags(a, 1)? & SYMLINK_FOLLOW != 0;
    let path = string(a, 2)?.to_string();
    let r = resolve_at(c, a, &path, follow)?.and_then(|(r, _, _)| {
        let md = if follow {
            std::fs::metadata(&r.host)
        } else {
            std::fs::symlink_metadata(&r.host)
        };
        io(md).map(|m| Some(hash_of(&m)))
    });
    done(r)
}

pub(crate) fn read(c: &mut P2Ctx, a: &[Val]) -> R {
    use std::os::unix::fs::FileExt;
    let len = u64a(a, 1)?.min(1 << 24) as usize;
    let off = u64a(a, 2)?;
    let r = file_of(c, rep(a, 0)?)?.and_then(|(f, fl)| {
        if fl & READ == 0 {
            return Err(abi::EBADF);
        }
        let mut buf = vec![0; len];
        let n = io(f.read_at(&mut buf, off))?;
        buf.truncate(n);
        let eof = n < len;
        Ok(Some(Val::Tuple(vec![Val::Bytes(buf), Val::Bool(eof)])))
    });
    done(r)
}

pub(crate) fn write(c: &mut P2Ctx, a: &[Val]) -> R {
    use std::os::unix::fs::FileExt;
    let Some(Val::Bytes(data)) = a.get(1) else {
        return trap("write: list<u8> expected");
    };
    let off = u64a(a, 2)?;
    let r = file_of(c, rep(a, 0)?)?.and_then(|(f, fl)| {
        if fl & WRITE == 0 {
            return Err(abi::EBADF);
        }
        io(f.write_all_at(data, off)).map(|_| Some(Val::U64(data.len() as u64)))
    });
    done(r)
}

pub(crate) fn set_size(c: &mut P2Ctx, a: &[Val]) -> R {
    let n = u64a(a, 1)?;
    let r = file_of(c, rep(a, 0)?)?.and_then(|(f, fl)| {
        if fl & WRITE == 0 {
            return Err(abi::EBADF);
        }
        io(f.set_len(n)).map(|_| None)
    });
    done(r)
}

pub(crate) fn sync(c: &mut P2Ctx, a: &[Val]) -> R {
    let r = match file_of(c, rep(a, 0)?)? {
        Ok((f, _)) => io(f.sync_all()).map(|_| None),
        Err(_) => Ok(None),
    };
    done(r)
}

pub(crate) fn readlink_at(c: &mut P2Ctx, a: &[Val]) -> R {
    let path = string(a, 1)?.to_string();
    let r = resolve_at(c, a, &path, false)?.and_then(|(r, _, _)| {
        let t = io(std::fs::read_link(&r.host))?;
        Ok(Some(Val::String(t.to_string_lossy().into_owned())))
    });
    done(r)
}

pub(crate) fn is_same_object(c: &mut P2Ctx, a: &[Val]) -> R {
    let x = desc_md(c, rep(a, 0)?)?;
    let y = desc_md(c, rep(a, 1)?)?;
    Ok(Some(Val::Bool(match (x, y) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    })))
}

pub(crate) fn filesystem_error_code(_: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::Option(None)))
}
