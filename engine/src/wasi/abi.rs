//! The `wasi_snapshot_preview1` ABI: errno numbering, flag bits, rights and
//! the byte layouts of the structures the host writes into guest memory.
//! Values follow `witx/typenames.witx` of the preview1 snapshot exactly.

/// An errno as the guest sees it (`u16`).
pub type Errno = u16;

pub const ESUCCESS: Errno = 0;
pub const E2BIG: Errno = 1;
pub const EACCES: Errno = 2;
pub const EAGAIN: Errno = 6;
pub const EBADF: Errno = 8;
pub const EBUSY: Errno = 10;
pub const EEXIST: Errno = 20;
pub const EFAULT: Errno = 21;
pub const EFBIG: Errno = 22;
pub const EILSEQ: Errno = 25;
pub const EINTR: Errno = 27;
pub const EINVAL: Errno = 28;
pub const EIO: Errno = 29;
pub const EISDIR: Errno = 31;
pub const ELOOP: Errno = 32;
pub const EMFILE: Errno = 33;
pub const EMLINK: Errno = 34;
pub const ENAMETOOLONG: Errno = 37;
pub const ENOENT: Errno = 44;
pub const ENOMEM: Errno = 48;
pub const ENOSPC: Errno = 51;
pub const ENOSYS: Errno = 52;
pub const ENOTDIR: Errno = 54;
pub const ENOTEMPTY: Errno = 55;
pub const ENOTSOCK: Errno = 57;
pub const ENOTSUP: Errno = 58;
pub const ENOTTY: Errno = 59;
pub const EOVERFLOW: Errno = 61;
pub const EPERM: Errno = 63;
pub const EPIPE: Errno = 64;
pub const ERANGE: Errno = 68;
pub const EROFS: Errno = 69;
pub const ESPIPE: Errno = 70;
pub const EXDEV: Errno = 75;
pub const ENOTCAPABLE: Errno = 76;

const ERRNO_NAMES: [&str; 77] = [
    "ESUCCESS",
    "E2BIG",
    "EACCES",
    "EADDRINUSE",
    "EADDRNOTAVAIL",
    "EAFNOSUPPORT",
    "EAGAIN",
    "EALREADY",
    "EBADF",
    "EBADMSG",
    "EBUSY",
    "ECANCELED",
    "ECHILD",
    "ECONNABORTED",
    "ECONNREFUSED",
    "ECONNRESET",
    "EDEADLK",
    "EDESTADDRREQ",
    "EDOM",
    "EDQUOT",
    "EEXIST",
    "EFAULT",
    "EFBIG",
    "EHOSTUNREACH",
    "EIDRM",
    "EILSEQ",
    "EINPROGRESS",
    "EINTR",
    "EINVAL",
    "EIO",
    "EISCONN",
    "EISDIR",
    "ELOOP",
    "EMFILE",
    "EMLINK",
    "EMSGSIZE",
    "EMULTIHOP",
    "ENAMETOOLONG",
    "ENETDOWN",
    "ENETRESET",
    "ENETUNREACH",
    "ENFILE",
    "ENOBUFS",
    "ENODEV",
    "ENOENT",
    "ENOEXEC",
    "ENOLCK",
    "ENOLINK",
    "ENOMEM",
    "ENOMSG",
    "ENOPROTOOPT",
    "ENOSPC",
    "ENOSYS",
    "ENOTCONN",
    "ENOTDIR",
    "ENOTEMPTY",
    "ENOTRECOVERABLE",
    "ENOTSOCK",
    "ENOTSUP",
    "ENOTTY",
    "ENXIO",
    "EOVERFLOW",
    "EOWNERDEAD",
    "EPERM",
    "EPIPE",
    "EPROTO",
    "EPROTONOSUPPORT",
    "EPROTOTYPE",
    "ERANGE",
    "EROFS",
    "ESPIPE",
    "ESRCH",
    "ESTALE",
    "ETIMEDOUT",
    "ETXTBSY",
    "EXDEV",
    "ENOTCAPABLE",
];

/// `ENOENT` for 44 and so on; `E?` for a number outside the snapshot.
pub fn errno_name(e: Errno) -> &'static str {
    ERRNO_NAMES.get(e as usize).copied().unwrap_or("E?")
}

/// Map a host I/O error to the guest's errno.
pub fn errno_from_io(e: &std::io::Error) -> Errno {
    if let Some(code) = e.raw_os_error() {
        return errno_from_host(code);
    }
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => ENOENT,
        K::PermissionDenied => EACCES,
        K::AlreadyExists => EEXIST,
        K::InvalidInput => EINVAL,
        K::Interrupted => EINTR,
        K::WouldBlock => EAGAIN,
        K::Unsupported => ENOTSUP,
        K::OutOfMemory => ENOMEM,
        K::BrokenPipe => EPIPE,
        _ => EIO,
    }
}

/// Map a host (Linux/Unix) `errno` to the WASI one.
pub fn errno_from_host(code: i32) -> Errno {
    match code {
        libc::E2BIG => E2BIG,
        libc::EACCES => EACCES,
        libc::EAGAIN => EAGAIN,
        libc::EBADF => EBADF,
        libc::EBUSY => EBUSY,
        libc::EEXIST => EEXIST,
        libc::EFAULT => EFAULT,
        libc::EFBIG => EFBIG,
        libc::EILSEQ => EILSEQ,
        libc::EINTR => EINTR,
        libc::EINVAL => EINVAL,
        libc::EIO => EIO,
        libc::EISDIR => EISDIR,
        libc::ELOOP => ELOOP,
        libc::EMFILE => EMFILE,
        libc::EMLINK => EMLINK,
        libc::ENAMETOOLONG => ENAMETOOLONG,
        libc::ENOENT => ENOENT,
        libc::ENOMEM => ENOMEM,
        libc::ENOSPC => ENOSPC,
        libc::ENOSYS => ENOSYS,
        libc::ENOTDIR => ENOTDIR,
        libc::ENOTEMPTY => ENOTEMPTY,
        libc::ENOTSOCK => ENOTSOCK,
        libc::EOPNOTSUPP => ENOTSUP,
        libc::ENOTTY => ENOTTY,
        libc::EOVERFLOW => EOVERFLOW,
        libc::EPERM => EPERM,
        libc::EPIPE => EPIPE,
        libc::ERANGE => ERANGE,
        libc::EROFS => EROFS,
        libc::ESPIPE => ESPIPE,
        libc::EXDEV => EXDEV,
        _ => EIO,
    }
}

// filetype
pub const FILETYPE_UNKNOWN: u8 = 0;
pub const FILETYPE_BLOCK_DEVICE: u8 = 1;
pub const FILETYPE_CHARACTER_DEVICE: u8 = 2;
pub const FILETYPE_DIRECTORY: u8 = 3;
pub const FILETYPE_REGULAR_FILE: u8 = 4;
pub const FILETYPE_SOCKET_DGRAM: u8 = 5;
pub const FILETYPE_SOCKET_STREAM: u8 = 6;
pub const FILETYPE_SYMBOLIC_LINK: u8 = 7;

// fdflags
pub const FDFLAGS_APPEND: u16 = 1;
pub const FDFLAGS_DSYNC: u16 = 2;
pub const FDFLAGS_NONBLOCK: u16 = 4;
pub const FDFLAGS_RSYNC: u16 = 8;
pub const FDFLAGS_SYNC: u16 = 16;

// oflags
pub const OFLAGS_CREAT: u16 = 1;
pub const OFLAGS_DIRECTORY: u16 = 2;
pub const OFLAGS_EXCL: u16 = 4;
pub const OFLAGS_TRUNC: u16 = 8;

// lookupflags
pub const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

// fstflags
pub const FSTFLAGS_ATIM: u16 = 1;
pub const FSTFLAGS_ATIM_NOW: u16 = 2;
pub const FSTFLAGS_MTIM: u16 = 4;
pub const FSTFLAGS_MTIM_NOW: u16 = 8;

// whence
pub const WHENCE_SET: u8 = 0;
pub const WHENCE_CUR: u8 = 1;
pub const WHENCE_END: u8 = 2;

// clockid
pub const CLOCK_REALTIME: u32 = 0;
pub const CLOCK_MONOTONIC: u32 = 1;
pub const CLOCK_PROCESS_CPUTIME: u32 = 2;
pub const CLOCK_THREAD_CPUTIME: u32 = 3;

// eventtype
pub const EVENTTYPE_CLOCK: u8 = 0;
pub const EVENTTYPE_FD_READ: u8 = 1;
pub const EVENTTYPE_FD_WRITE: u8 = 2;
pub const SUBCLOCKFLAGS_ABSTIME: u16 = 1;

// rights (bit numbers from the witx `rights` flags)
pub const RIGHT_FD_DATASYNC: u64 = 1 << 0;
pub const RIGHT_FD_READ: u64 = 1 << 1;
pub const RIGHT_FD_SEEK: u64 = 1 << 2;
pub const RIGHT_FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
pub const RIGHT_FD_SYNC: u64 = 1 << 4;
pub const RIGHT_FD_TELL: u64 = 1 << 5;
pub const RIGHT_FD_WRITE: u64 = 1 << 6;
pub const RIGHT_FD_ADVISE: u64 = 1 << 7;
pub const RIGHT_FD_ALLOCATE: u64 = 1 << 8;
pub const RIGHT_PATH_CREATE_DIRECTORY: u64 = 1 << 9;
pub const RIGHT_PATH_CREATE_FILE: u64 = 1 << 10;
pub const RIGHT_PATH_LINK_SOURCE: u64 = 1 << 11;
pub const RIGHT_PATH_LINK_TARGET: u64 = 1 << 12;
pub const RIGHT_PATH_OPEN: u64 = 1 << 13;
pub const RIGHT_FD_READDIR: u64 = 1 << 14;
pub const RIGHT_PATH_READLINK: u64 = 1 << 15;
pub const RIGHT_PATH_RENAME_SOURCE: u64 = 1 << 16;
pub const RIGHT_PATH_RENAME_TARGET: u64 = 1 << 17;
pub const RIGHT_PATH_FILESTAT_GET: u64 = 1 << 18;
pub const RIGHT_PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
pub const RIGHT_PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
pub const RIGHT_FD_FILESTAT_GET: u64 = 1 << 21;
pub const RIGHT_FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
pub const RIGHT_FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
pub const RIGHT_PATH_SYMLINK: u64 = 1 << 24;
pub const RIGHT_PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
pub const RIGHT_PATH_UNLINK_FILE: u64 = 1 << 26;
pub const RIGHT_POLL_FD_READWRITE: u64 = 1 << 27;
pub const RIGHT_SOCK_SHUTDOWN: u64 = 1 << 28;
pub const RIGHT_SOCK_ACCEPT: u64 = 1 << 29;
pub const RIGHTS_ALL: u64 = (1 << 30) - 1;

/// Rights a regular file may carry.
pub const RIGHTS_FILE: u64 = RIGHT_FD_DATASYNC
    | RIGHT_FD_READ
    | RIGHT_FD_SEEK
    | RIGHT_FD_FDSTAT_SET_FLAGS
    | RIGHT_FD_SYNC
    | RIGHT_FD_TELL
    | RIGHT_FD_WRITE
    | RIGHT_FD_ADVISE
    | RIGHT_FD_ALLOCATE
    | RIGHT_FD_FILESTAT_GET
    | RIGHT_FD_FILESTAT_SET_SIZE
    | RIGHT_FD_FILESTAT_SET_TIMES
    | RIGHT_POLL_FD_READWRITE;

/// Rights a directory may carry.
pub const RIGHTS_DIR: u64 = RIGHT_FD_FDSTAT_SET_FLAGS
    | RIGHT_FD_SYNC
    | RIGHT_FD_ADVISE
    | RIGHT_PATH_CREATE_DIRECTORY
    | RIGHT_PATH_CREATE_FILE
    | RIGHT_PATH_LINK_SOURCE
    | RIGHT_PATH_LINK_TARGET
    | RIGHT_PATH_OPEN
    | RIGHT_FD_READDIR
    | RIGHT_PATH_READLINK
    | RIGHT_PATH_RENAME_SOURCE
    | RIGHT_PATH_RENAME_TARGET
    | RIGHT_PATH_FILESTAT_GET
    | RIGHT_PATH_FILESTAT_SET_SIZE
    | RIGHT_PATH_FILESTAT_SET_TIMES
    | RIGHT_FD_FILESTAT_GET
    | RIGHT_FD_FILESTAT_SET_TIMES
    | RIGHT_PATH_SYMLINK
    | RIGHT_PATH_REMOVE_DIRECTORY
    | RIGHT_PATH_UNLINK_FILE
    | RIGHT_POLL_FD_READWRITE;

/// Rights of the standard streams.
pub const RIGHTS_TTY: u64 = RIGHT_FD_READ
    | RIGHT_FD_FDSTAT_SET_FLAGS
    | RIGHT_FD_WRITE
    | RIGHT_FD_FILESTAT_GET
    | RIGHT_POLL_FD_READWRITE;

// Struct sizes (all little-endian, natural alignment).
pub const FDSTAT_SIZE: usize = 24;
pub const FILESTAT_SIZE: usize = 64;
pub const PRESTAT_SIZE: usize = 8;
pub const DIRENT_SIZE: usize = 24;
pub const IOVEC_SIZE: usize = 8;
pub const SUBSCRIPTION_SIZE: usize = 48;
pub const EVENT_SIZE: usize = 32;

/// `fdstat`: filetype u8 @0, flags u16 @2, rights_base u64 @8, rights_inheriting u64 @16.
pub fn encode_fdstat(filetype: u8, flags: u16, base: u64, inheriting: u64) -> [u8; FDSTAT_SIZE] {
    let mut b = [0u8; FDSTAT_SIZE];
    b[0] = filetype;
    b[2..4].copy_from_slice(&flags.to_le_bytes());
    b[8..16].copy_from_slice(&base.to_le_bytes());
    b[16..24].copy_from_slice(&inheriting.to_le_bytes());
    b
}

/// The fields of a `filestat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Filestat {
    pub dev: u64,
    pub ino: u64,
    pub filetype: u8,
    pub nlink: u64,
    pub size: u64,
    pub atim: u64,
    pub mtim: u64,
    pub ctim: u64,
}

impl Filestat {
    /// dev @0, ino @8, filetype u8 @16, nlink @24, size @32, atim @40, mtim @48, ctim @56.
    pub fn encode(&self) -> [u8; FILESTAT_SIZE] {
        let mut b = [0u8; FILESTAT_SIZE];
        b[0..8].copy_from_slice(&self.dev.to_le_bytes());
        b[8..16].copy_from_slice(&self.ino.to_le_bytes());
        b[16] = self.filetype;
        b[24..32].copy_from_slice(&self.nlink.to_le_bytes());
        b[32..40].copy_from_slice(&self.size.to_le_bytes());
        b[40..48].copy_from_slice(&self.atim.to_le_bytes());
        b[48..56].copy_from_slice(&self.mtim.to_le_bytes());
        b[56..64].copy_from_slice(&self.ctim.to_le_bytes());
        b
    }
}

/// `dirent` header: d_next @0, d_ino @8, d_namlen u32 @16, d_type u8 @20; the name follows.
pub fn encode_dirent(next: u64, ino: u64, namlen: u32, filetype: u8) -> [u8; DIRENT_SIZE] {
    let mut b = [0u8; DIRENT_SIZE];
    b[0..8].copy_from_slice(&next.to_le_bytes());
    b[8..16].copy_from_slice(&ino.to_le_bytes());
    b[16..20].copy_from_slice(&namlen.to_le_bytes());
    b[20] = filetype;
    b
}

/// `event`: userdata @0, error u16 @8, type u8 @10, fd_readwrite.nbytes @16, .flags u16 @24.
pub fn encode_event(
    userdata: u64,
    error: Errno,
    ty: u8,
    nbytes: u64,
    flags: u16,
) -> [u8; EVENT_SIZE] {
    let mut b = [0u8; EVENT_SIZE];
    b[0..8].copy_from_slice(&userdata.to_le_bytes());
    b[8..10].copy_from_slice(&error.to_le_bytes());
    b[10] = ty;
    b[16..24].copy_from_slice(&nbytes.to_le_bytes());
    b[24..26].copy_from_slice(&flags.to_le_bytes());
    b
}

/// A decoded `subscription` (48 bytes): userdata @0, tag u8 @8, union @16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscription {
    /// clock: id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40.
    Clock {
        userdata: u64,
        id: u32,
        timeout: u64,
        precision: u64,
        flags: u16,
    },
    /// fd_read / fd_write: file_descriptor u32 @16.
    Fd { userdata: u64, write: bool, fd: u32 },
}

impl Subscription {
    pub fn decode(b: &[u8]) -> Result<Subscription, Errno> {
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
        let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        if b.len() < SUBSCRIPTION_SIZE {
            return Err(EFAULT);
        }
        let userdata = u64_at(0);
        match b[8] {
            EVENTTYPE_CLOCK => Ok(Subscription::Clock {
                userdata,
                id: u32_at(16),
                timeout: u64_at(24),
                precision: u64_at(32),
                flags: u16::from_le_bytes([b[40], b[41]]),
            }),
            EVENTTYPE_FD_READ | EVENTTYPE_FD_WRITE => Ok(Subscription::Fd {
                userdata,
                write: b[8] == EVENTTYPE_FD_WRITE,
                fd: u32_at(16),
            }),
            _ => Err(EINVAL),
        }
    }
}

/// Names of set bits, joined by `|` (`0` when none), for trace lines.
pub fn flag_names(bits: u64, names: &[(u64, &str)]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut rest = bits;
    for &(b, n) in names {
        if bits & b != 0 {
            out.push(n.to_string());
            rest &= !b;
        }
    }
    if rest != 0 {
        out.push(format!("{rest:#x}"));
    }
    if out.is_empty() {
        "0".into()
    } else {
        out.join("|")
    }
}

pub const OFLAGS_NAMES: &[(u64, &str)] = &[
    (OFLAGS_CREAT as u64, "CREAT"),
    (OFLAGS_DIRECTORY as u64, "DIRECTORY"),
    (OFLAGS_EXCL as u64, "EXCL"),
    (OFLAGS_TRUNC as u64, "TRUNC"),
];
pub const FDFLAGS_NAMES: &[(u64, &str)] = &[
    (FDFLAGS_APPEND as u64, "APPEND"),
    (FDFLAGS_DSYNC as u64, "DSYNC"),
    (FDFLAGS_NONBLOCK as u64, "NONBLOCK"),
    (FDFLAGS_RSYNC as u64, "RSYNC"),
    (FDFLAGS_SYNC as u64, "SYNC"),
];
pub const LOOKUP_NAMES: &[(u64, &str)] = &[(LOOKUP_SYMLINK_FOLLOW as u64, "SYMLINK_FOLLOW")];
pub const FSTFLAGS_NAMES: &[(u64, &str)] = &[
    (FSTFLAGS_ATIM as u64, "ATIM"),
    (FSTFLAGS_ATIM_NOW as u64, "ATIM_NOW"),
    (FSTFLAGS_MTIM as u64, "MTIM"),
    (FSTFLAGS_MTIM_NOW as u64, "MTIM_NOW"),
];

pub fn whence_name(w: u32) -> String {
    match w as u8 {
        WHENCE_SET if w < 256 => "SET".into(),
        WHENCE_CUR if w < 256 => "CUR".into(),
        WHENCE_END if w < 256 => "END".into(),
        _ => w.to_string(),
    }
}

pub fn clock_name(id: u32) -> String {
    match id {
        CLOCK_REALTIME => "REALTIME".into(),
        CLOCK_MONOTONIC => "MONOTONIC".into(),
        CLOCK_PROCESS_CPUTIME => "PROCESS_CPUTIME".into(),
        CLOCK_THREAD_CPUTIME => "THREAD_CPUTIME".into(),
        _ => id.to_string(),
    }
}
