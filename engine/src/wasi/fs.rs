//! The sandbox: guest paths are resolved component by component against a
//! directory fd's host path, following symlinks ourselves, so nothing the
//! guest names can reach outside the directory it was given. `..` above the
//! directory, absolute paths and symlinks whose target leaves the directory
//! are refused with `ENOTCAPABLE`. After resolution the host path contains no
//! symlink except possibly its final component (when the caller asked not to
//! follow it), and files are opened with `O_NOFOLLOW`.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::Metadata;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::abi::*;

/// Symlinks followed in one resolution before `ELOOP` (Linux's limit).
pub const MAX_SYMLINKS: u32 = 40;

/// A guest path resolved inside a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Host path of the entry (symlink-free except possibly the last component).
    pub host: PathBuf,
    /// Components below the directory; empty = the directory itself.
    pub components: Vec<String>,
    /// The guest path ended in `/`: the entry must be (or become) a directory.
    pub trailing_slash: bool,
}

impl Resolved {
    /// True when the path names the directory fd itself (`.`, `a/..`).
    pub fn is_base(&self) -> bool {
        self.components.is_empty()
    }

    /// The host path with the guest's trailing slash kept, so the kernel
    /// applies POSIX's "must be a directory" rules.
    pub fn host_with_slash(&self) -> PathBuf {
        if self.trailing_slash && !self.is_base() {
            let mut s: OsString = self.host.clone().into_os_string();
            s.push("/");
            PathBuf::from(s)
        } else {
            self.host.clone()
        }
    }
}

/// Resolve `path` below the directory `base` (a host path).
///
/// `follow_final`: follow a symlink in the last component (a trailing slash
/// always follows it). A missing last component is fine (the caller may
/// create it); a missing intermediate one is `ENOENT`.
pub fn resolve(base: &Path, path: &str, follow_final: bool) -> Result<Resolved, Errno> {
    if path.is_empty() {
        return Err(ENOENT);
    }
    if path.starts_with('/') {
        return Err(ENOTCAPABLE);
    }
    if path.as_bytes().contains(&0) {
        return Err(EILSEQ);
    }
    let trailing_slash = path.ends_with('/');
    let mut pending: VecDeque<String> = split(path);
    // The trailing slash belongs to the last component of the *original*
    // path; a symlink target spliced in keeps it.
    let mut stack: Vec<String> = Vec::new();
    let mut links = 0u32;
    let follow_last = follow_final || trailing_slash;
    while let Some(comp) = pending.pop_front() {
        if comp == ".." {
            if stack.pop().is_none() {
                return Err(ENOTCAPABLE);
            }
            continue;
        }
        let is_last = pending.is_empty();
        let mut candidate = base.to_path_buf();
        candidate.extend(stack.iter());
        candidate.push(&comp);
        match std::fs::symlink_metadata(&candidate) {
            Err(e) => {
                let errno = errno_from_io(&e);
                if errno == ENOENT && is_last {
                    stack.push(comp);
                    break;
                }
                return Err(errno);
            }
            Ok(md) => {
                let ft = md.file_type();
                if ft.is_symlink() && (!is_last || follow_last) {
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(ELOOP);
                    }
                    let target = std::fs::read_link(&candidate).map_err(|e| errno_from_io(&e))?;
                    let target = target.into_os_string().into_vec();
                    let target = String::from_utf8(target).map_err(|_| EILSEQ)?;
                    if target.starts_with('/') {
                        return Err(ENOTCAPABLE);
                    }
                    if target.is_empty() {
                        return Err(ENOENT);
                    }
                    for c in split(&target).into_iter().rev() {
                        pending.push_front(c);
                    }
                    continue;
                }
                if !is_last && !ft.is_dir() && !ft.is_symlink() {
                    return Err(ENOTDIR);
                }
                stack.push(comp);
            }
        }
    }
    let mut host = base.to_path_buf();
    host.extend(stack.iter());
    Ok(Resolved {
        host,
        components: stack,
        trailing_slash,
    })
}

/// Resolve the entry a path names without following a final symlink even
/// when the path ends in `/` (for unlink, rmdir, rename, link and symlink,
/// which act on the entry itself); `trailing_slash` records the slash so the
/// caller can apply POSIX's "must be a directory" rule to the entry.
pub fn resolve_entry(base: &Path, path: &str) -> Result<Resolved, Errno> {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return resolve(base, path, false);
    }
    let mut r = resolve(base, trimmed, false)?;
    r.trailing_slash = trimmed.len() != path.len();
    Ok(r)
}

/// Non-empty, non-`.` components of a path.
fn split(path: &str) -> VecDeque<String> {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .map(str::to_string)
        .collect()
}

pub fn filetype_of(ft: std::fs::FileType) -> u8 {
    if ft.is_dir() {
        FILETYPE_DIRECTORY
    } else if ft.is_file() {
        FILETYPE_REGULAR_FILE
    } else if ft.is_symlink() {
        FILETYPE_SYMBOLIC_LINK
    } else if ft.is_block_device() {
        FILETYPE_BLOCK_DEVICE
    } else if ft.is_char_device() {
        FILETYPE_CHARACTER_DEVICE
    } else if ft.is_socket() {
        FILETYPE_SOCKET_STREAM
    } else {
        FILETYPE_UNKNOWN
    }
}

fn ns(sec: i64, nsec: i64) -> u64 {
    (sec.max(0) as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nsec.max(0) as u64)
}

pub fn filestat_of(md: &Metadata) -> Filestat {
    Filestat {
        dev: md.dev(),
        ino: md.ino(),
        filetype: filetype_of(md.file_type()),
        nlink: md.nlink(),
        size: md.size(),
        atim: ns(md.atime(), md.atime_nsec()),
        mtim: ns(md.mtime(), md.mtime_nsec()),
        ctim: ns(md.ctime(), md.ctime_nsec()),
    }
}

/// One directory entry for `fd_readdir`.
#[derive(Debug, Clone)]
pub struct DirEntry {
    pub name: Vec<u8>,
    pub ino: u64,
    pub filetype: u8,
}

/// `.`, `..`, then the directory's entries sorted by name (stable cookies).
pub fn list_dir(dir: &Path, is_root: bool) -> Result<Vec<DirEntry>, Errno> {
    let md = std::fs::metadata(dir).map_err(|e| errno_from_io(&e))?;
    let parent_ino = if is_root {
        md.ino()
    } else {
        dir.parent()
            .and_then(|p| std::fs::metadata(p).ok())
            .map_or(md.ino(), |m| m.ino())
    };
    let mut out = vec![
        DirEntry {
            name: b".".to_vec(),
            ino: md.ino(),
            filetype: FILETYPE_DIRECTORY,
        },
        DirEntry {
            name: b"..".to_vec(),
            ino: parent_ino,
            filetype: FILETYPE_DIRECTORY,
        },
    ];
    let mut rest = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| errno_from_io(&e))? {
        let e = e.map_err(|e| errno_from_io(&e))?;
        use std::os::unix::fs::DirEntryExt;
        let filetype = e.file_type().map_or(FILETYPE_UNKNOWN, filetype_of);
        rest.push(DirEntry {
            name: e.file_name().into_vec(),
            ino: e.ino(),
            filetype,
        });
    }
    rest.sort_by(|a, b| a.name.cmp(&b.name));
    out.extend(rest);
    Ok(out)
}

/// Serialise entries from `cookie` into a buffer of `cap` bytes; the last
/// entry may be cut short (the guest then retries with a larger buffer).
pub fn encode_dirents(entries: &[DirEntry], cookie: u64, cap: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, e) in entries
        .iter()
        .enumerate()
        .skip(cookie.min(usize::MAX as u64) as usize)
    {
        if out.len() >= cap {
            break;
        }
        let head = encode_dirent(i as u64 + 1, e.ino, e.name.len() as u32, e.filetype);
        out.extend_from_slice(&head);
        out.extend_from_slice(&e.name);
    }
    out.truncate(cap);
    out
}
