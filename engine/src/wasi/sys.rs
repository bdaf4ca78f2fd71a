//! The few host calls std does not offer: clock reads for every WASI clock and
//! `utimensat` with `AT_SYMLINK_NOFOLLOW`. Each unsafe block is one libc call
//! on memory owned by the calling function.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// `clock_gettime` for a libc clock id; nanoseconds, or the host errno.
#[allow(unsafe_code)]
pub fn clock_gettime_ns(clock: libc::clockid_t) -> Result<u64, i32> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec owned by this frame.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL));
    }
    Ok((ts.tv_sec as u64).saturating_mul(1_000_000_000) + ts.tv_nsec as u64)
}

/// `clock_getres` for a libc clock id, in nanoseconds.
#[allow(unsafe_code)]
pub fn clock_getres_ns(clock: libc::clockid_t) -> Result<u64, i32> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec owned by this frame.
    let rc = unsafe { libc::clock_getres(clock, &mut ts) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL));
    }
    Ok((ts.tv_sec as u64).saturating_mul(1_000_000_000) + ts.tv_nsec as u64)
}

/// A timestamp for `utimensat`: set to a value, to now, or leave unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSpec {
    Set(u64),
    Now,
    Omit,
}

fn timespec(t: TimeSpec) -> libc::timespec {
    match t {
        TimeSpec::Set(ns) => libc::timespec {
            tv_sec: (ns / 1_000_000_000) as libc::time_t,
            tv_nsec: (ns % 1_000_000_000) as libc::c_long,
        },
        TimeSpec::Now => libc::timespec {
            tv_sec: 0,
            tv_nsec: libc::UTIME_NOW,
        },
        TimeSpec::Omit => libc::timespec {
            tv_sec: 0,
            tv_nsec: libc::UTIME_OMIT,
        },
    }
}

/// Set access and modification times of `path` (absolute host path), without
/// following a final symlink when `nofollow`.
#[allow(unsafe_code)]
pub fn utimensat(path: &Path, atim: TimeSpec, mtim: TimeSpec, nofollow: bool) -> Result<(), i32> {
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| libc::EINVAL)?;
    let times = [timespec(atim), timespec(mtim)];
    let flags = if nofollow {
        libc::AT_SYMLINK_NOFOLLOW
    } else {
        0
    };
    // SAFETY: `c` is a NUL-terminated string and `times` an array of two
    // timespecs, both alive for the duration of the call.
    let rc = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), times.as_ptr(), flags) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL));
    }
    Ok(())
}
