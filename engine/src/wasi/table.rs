//! The preview1 table: one entry per function, the only place where a
//! function's name, its parameters (name and kind), its result and its
//! implementation are written.
//!
//! Everything else comes from the entry: the wasm type the link step checks
//! an import against ([`Func::wasm_type`]), the decoding of the raw
//! arguments into the typed values the implementation takes, the decoded
//! arguments of the call trace (`fd_write(fd=1, iovs=[14])`), the names
//! `catch wasi` accepts, and the dispatch: the linker binds each import to
//! its entry once, so a call never looks a name up.
//!
//! Adding a function is one line here and its implementation, a method of
//! [`WasiCtx`] (in `host/`) named as the function, taking the guest memory
//! and one typed value per parameter and returning what the result kind
//! says. For `fd_fdstat_get` that is:
//!
//! ```text
//! // table.rs, in `preview1!`:
//!     fd_fdstat_get(fd: Fd, stat: Ptr) -> Errno;
//! // host/fd.rs, in `impl WasiCtx`:
//!     pub(in crate::wasi) fn fd_fdstat_get(&mut self, m: &mut GuestMem<'_>, fd: u32, stat: u32) -> Done {
//!         ...
//!     }
//! ```
//!
//! The compiler checks that the method's parameter and result types are
//! those of the kinds; the unit test `table_matches_the_snapshot` checks the
//! wasm types against the witx signatures.

use super::WasiCtx;
use super::abi::{
    Errno, FDFLAGS_NAMES, FSTFLAGS_NAMES, LOOKUP_NAMES, OFLAGS_NAMES, clock_name, flag_names,
    whence_name,
};
use super::mem::GuestMem;
use crate::value::ValType;

/// The decoded arguments of one call, as the trace shows them.
pub(crate) type Args = Vec<(&'static str, String)>;

/// How a call ended.
pub(crate) enum Outcome {
    /// Success, with the bytes moved when the call moves data.
    Ok(Option<u64>),
    Err(Errno),
    Exit(i32),
}

/// One preview1 function.
pub struct Func {
    pub name: &'static str,
    /// In the order of the wasm parameters; a pointer-length pair (a path,
    /// an iovec array) is one parameter of two wasm values.
    pub params: &'static [Param],
    pub result: ResultKind,
    /// Decode the raw arguments (i32 as u32, i64 as u64), record the traced
    /// ones in `Args`, run the implementation.
    pub(crate) call: fn(&mut WasiCtx, &mut GuestMem<'_>, &[u64], &mut Args) -> Outcome,
}

/// One parameter of a [`Func`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub wasm: &'static [ValType],
    /// Whether the call trace shows it.
    pub traced: bool,
}

/// What a call gives back, besides the errno it always returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultKind {
    /// Only the errno.
    Errno,
    /// The errno, and on success how many bytes moved (the trace says
    /// `= 14 bytes`).
    Bytes,
    /// Nothing: the call ends the guest (`proc_exit`), and its wasm type has
    /// no result.
    Exit,
}

impl Func {
    /// The wasm type an import of this function must have.
    pub fn wasm_type(&self) -> wasmparser::FuncType {
        let params = self.params.iter().flat_map(|p| p.wasm.iter().copied());
        let results: &[ValType] = match self.result {
            ResultKind::Exit => &[],
            ResultKind::Errno | ResultKind::Bytes => &[ValType::I32],
        };
        wasmparser::FuncType::new(params, results.iter().copied())
    }
}

/// The entry of the preview1 function `name`.
pub fn lookup(name: &str) -> Option<&'static Func> {
    FUNCS.iter().find(|f| f.name == name)
}

// ---- parameter kinds ------------------------------------------------------

/// The raw arguments of a call, consumed front to back by the kinds.
pub(crate) type Raw<'a> = std::slice::Iter<'a, u64>;

fn next(raw: &mut Raw<'_>) -> u64 {
    // The linker checked the import's type, so the count always matches.
    raw.next().copied().unwrap_or(0)
}

/// A kind of parameter: its wasm values, the Rust value the implementation
/// takes, and how the trace shows it.
pub(crate) trait Kind {
    type Value;
    const WASM: &'static [ValType];
    const TRACED: bool = true;
    fn decode(raw: &mut Raw<'_>, m: &GuestMem<'_>) -> Self::Value;
    fn show(v: &Self::Value) -> String;
}

/// The kinds that are one integer: `Name(Rust type, wasm type) shown as`.
macro_rules! integer_kinds {
    ($( $(#[$doc:meta])* $kind:ident($t:ty, $wasm:ident) $(|$v:ident| $show:expr)? ; )*) => {$(
        $(#[$doc])*
        pub(crate) struct $kind;
        impl Kind for $kind {
            type Value = $t;
            const WASM: &'static [ValType] = &[ValType::$wasm];
            const TRACED: bool = integer_kinds!(@traced $($show)?);
            fn decode(raw: &mut Raw<'_>, _: &GuestMem<'_>) -> $t {
                // Truncation is the ABI: a `u16` flags parameter is an i32
                // whose high bits the host ignores.
                next(raw) as $t
            }
            #[allow(unused_variables)]
            fn show(v: &$t) -> String {
                integer_kinds!(@show v $(|$v| $show)?)
            }
        }
    )*};
    (@traced $show:expr) => { true };
    (@traced) => { false };
    (@show $x:ident |$v:ident| $show:expr) => {{ let $v = $x; $show }};
    (@show $x:ident) => { String::new() };
}

integer_kinds! {
    /// A file descriptor.
    Fd(u32, I32) |v| v.to_string();
    /// A pointer to memory the call reads or fills by itself (a result, a
    /// buffer); the trace leaves it out.
    Ptr(u32, I32);
    /// A pointer the trace shows, in hex.
    Addr(u32, I32) |v| format!("{v:#x}");
    /// A length or a count.
    Size(u32, I32) |v| v.to_string();
    /// A small number (advice, signal).
    U32(u32, I32) |v| v.to_string();
    /// A file size, offset, timestamp or directory cookie.
    U64(u64, I64) |v| v.to_string();
    /// A signed file offset (`fd_seek`).
    Delta(i64, I64) |v| v.to_string();
    /// Rights bits, in hex.
    Rights(u64, I64) |v| format!("{v:#x}");
    /// An exit code.
    ExitCode(i32, I32) |v| v.to_string();
    /// A clock id, by name (`MONOTONIC`).
    Clock(u32, I32) |v| clock_name(*v);
    /// `SET`, `CUR` or `END`.
    Whence(u32, I32) |v| whence_name(*v);
    /// `fdflags` (`u16`), by name (`APPEND|NONBLOCK`).
    FdFlags(u16, I32) |v| flag_names(*v as u64, FDFLAGS_NAMES);
    /// `fstflags` (`u16`), by name.
    FstFlags(u16, I32) |v| flag_names(*v as u64, FSTFLAGS_NAMES);
    /// `oflags` (`u16`), by name.
    OFlags(u16, I32) |v| flag_names(*v as u64, OFLAGS_NAMES);
    /// `lookupflags` (`u32`), by name.
    LookupFlags(u32, I32) |v| flag_names(*v as u64, LOOKUP_NAMES);
}

/// A path: a UTF-8 string given as pointer and length, read from memory
/// before the call. The implementation takes the read (`EFAULT`, `EILSEQ`)
/// as a value, so it fails at the point it would have read it itself.
pub(crate) struct Path;

/// What [`Path`] decodes to: the string, or why it could not be read.
pub(crate) struct PathArg {
    pub ptr: u32,
    pub len: u32,
    pub read: Result<String, Errno>,
}

impl Kind for Path {
    type Value = PathArg;
    const WASM: &'static [ValType] = &[ValType::I32, ValType::I32];
    fn decode(raw: &mut Raw<'_>, m: &GuestMem<'_>) -> PathArg {
        let (ptr, len) = (next(raw) as u32, next(raw) as u32);
        PathArg {
            ptr,
            len,
            read: m.read_str(ptr, len),
        }
    }
    fn show(v: &PathArg) -> String {
        match &v.read {
            Ok(s) => format!("{s:?}"),
            Err(_) => format!("<{:#x}+{}>", v.ptr, v.len),
        }
    }
}

/// An array of `iovec`s or `ciovec`s given as pointer and count, every
/// buffer bounds-checked; shown as the buffer lengths (`[14, 2]`).
pub(crate) struct Iovs;

impl Kind for Iovs {
    type Value = Result<Vec<(u32, u32)>, Errno>;
    const WASM: &'static [ValType] = &[ValType::I32, ValType::I32];
    fn decode(raw: &mut Raw<'_>, m: &GuestMem<'_>) -> Self::Value {
        let (ptr, count) = (next(raw) as u32, next(raw) as u32);
        m.iovecs(ptr, count)
    }
    fn show(v: &Self::Value) -> String {
        match v {
            Ok(v) => {
                let lens: Vec<String> = v.iter().map(|(_, l)| l.to_string()).collect();
                format!("[{}]", lens.join(", "))
            }
            Err(_) => "<fault>".into(),
        }
    }
}

/// `K`, left out of the trace.
pub(crate) struct Untraced<K>(std::marker::PhantomData<K>);

impl<K: Kind> Kind for Untraced<K> {
    type Value = K::Value;
    const WASM: &'static [ValType] = K::WASM;
    const TRACED: bool = false;
    fn decode(raw: &mut Raw<'_>, m: &GuestMem<'_>) -> K::Value {
        K::decode(raw, m)
    }
    fn show(v: &K::Value) -> String {
        K::show(v)
    }
}

// ---- results --------------------------------------------------------------

/// What an implementation of a [`ResultKind::Errno`] function returns.
pub(crate) type Done = Result<(), Errno>;
/// What an implementation of a [`ResultKind::Bytes`] function returns: the
/// bytes moved.
pub(crate) type Moved = Result<u64, Errno>;
/// What an implementation of a [`ResultKind::Exit`] function returns: the
/// exit code.
pub(crate) struct Exit(pub i32);

pub(crate) trait IntoOutcome {
    fn into_outcome(self) -> Outcome;
}

impl IntoOutcome for Done {
    fn into_outcome(self) -> Outcome {
        match self {
            Ok(()) => Outcome::Ok(None),
            Err(e) => Outcome::Err(e),
        }
    }
}

impl IntoOutcome for Moved {
    fn into_outcome(self) -> Outcome {
        match self {
            Ok(n) => Outcome::Ok(Some(n)),
            Err(e) => Outcome::Err(e),
        }
    }
}

impl IntoOutcome for Exit {
    fn into_outcome(self) -> Outcome {
        Outcome::Exit(self.0)
    }
}

// ---- the table --------------------------------------------------------------

/// `name(param: Kind, ...) -> ResultKind;` becomes a [`Func`] whose `call`
/// decodes each parameter with its kind, traces the traced ones in order,
/// and calls `WasiCtx::name(memory, params...)`.
macro_rules! preview1 {
    ($( $name:ident ( $( $p:ident : $k:ty ),* ) -> $ret:ident ; )*) => {
        /// Every function of `wasi_snapshot_preview1`, in the snapshot's order.
        pub static FUNCS: &[Func] = &[$(
            Func {
                name: stringify!($name),
                params: &[$(
                    Param {
                        name: stringify!($p),
                        wasm: <$k as Kind>::WASM,
                        traced: <$k as Kind>::TRACED,
                    }
                ),*],
                result: ResultKind::$ret,
                #[allow(unused_variables, unused_mut)]
                call: |ctx, m, raw, trace| {
                    let mut raw = raw.iter();
                    $( let $p = <$k as Kind>::decode(&mut raw, m); )*
                    $(
                        if <$k as Kind>::TRACED {
                            trace.push((stringify!($p), <$k as Kind>::show(&$p)));
                        }
                    )*
                    let out: preview1!(@returns $ret) = ctx.$name(m, $($p),*);
                    out.into_outcome()
                },
            }
        ),*];
    };
    (@returns Errno) => { Done };
    (@returns Bytes) => { Moved };
    (@returns Exit) => { Exit };
}

preview1! {
    args_get(argv: Addr, argv_buf: Addr) -> Errno;
    args_sizes_get(argc_out: Addr, argv_buf_size_out: Addr) -> Errno;
    environ_get(environ: Addr, environ_buf: Addr) -> Errno;
    environ_sizes_get(environc_out: Addr, environ_buf_size_out: Addr) -> Errno;
    clock_res_get(id: Clock, resolution: Ptr) -> Errno;
    clock_time_get(id: Clock, precision: U64, time: Ptr) -> Errno;
    fd_advise(fd: Fd, offset: U64, len: U64, advice: U32) -> Errno;
    fd_allocate(fd: Fd, offset: U64, len: U64) -> Errno;
    fd_close(fd: Fd) -> Errno;
    fd_datasync(fd: Fd) -> Errno;
    fd_fdstat_get(fd: Fd, stat: Ptr) -> Errno;
    fd_fdstat_set_flags(fd: Fd, flags: FdFlags) -> Errno;
    fd_fdstat_set_rights(fd: Fd, rights_base: Rights, rights_inheriting: Rights) -> Errno;
    fd_filestat_get(fd: Fd, buf: Ptr) -> Errno;
    fd_filestat_set_size(fd: Fd, size: U64) -> Errno;
    fd_filestat_set_times(fd: Fd, atim: U64, mtim: U64, fst_flags: FstFlags) -> Errno;
    fd_pread(fd: Fd, iovs: Iovs, offset: U64, nread: Ptr) -> Bytes;
    fd_prestat_get(fd: Fd, buf: Ptr) -> Errno;
    fd_prestat_dir_name(fd: Fd, path: Ptr, path_len: Size) -> Errno;
    fd_pwrite(fd: Fd, iovs: Iovs, offset: U64, nwritten: Ptr) -> Bytes;
    fd_read(fd: Fd, iovs: Iovs, nread: Ptr) -> Bytes;
    fd_readdir(fd: Fd, buf: Ptr, buf_len: Size, cookie: U64, bufused: Ptr) -> Bytes;
    fd_renumber(fd: Fd, to: Fd) -> Errno;
    fd_seek(fd: Fd, offset: Delta, whence: Whence, newoffset: Ptr) -> Errno;
    fd_sync(fd: Fd) -> Errno;
    fd_tell(fd: Fd, offset: Ptr) -> Errno;
    fd_write(fd: Fd, iovs: Iovs, nwritten: Ptr) -> Bytes;
    path_create_directory(fd: Fd, path: Path) -> Errno;
    path_filestat_get(fd: Fd, flags: LookupFlags, path: Path, buf: Ptr) -> Errno;
    path_filestat_set_times(
        fd: Fd, flags: LookupFlags, path: Path, atim: U64, mtim: U64, fst_flags: FstFlags
    ) -> Errno;
    path_link(
        old_fd: Fd, old_flags: LookupFlags, old_path: Path, new_fd: Fd, new_path: Path
    ) -> Errno;
    path_open(
        fd: Fd, dirflags: LookupFlags, path: Path, oflags: OFlags, fs_rights_base: Rights,
        fs_rights_inheriting: Untraced<Rights>, fdflags: FdFlags, opened_fd: Ptr
    ) -> Errno;
    path_readlink(fd: Fd, path: Path, buf: Ptr, buf_len: Untraced<Size>, bufused: Ptr) -> Bytes;
    path_remove_directory(fd: Fd, path: Path) -> Errno;
    path_rename(fd: Fd, old_path: Path, new_fd: Fd, new_path: Path) -> Errno;
    path_symlink(old_path: Path, fd: Fd, new_path: Path) -> Errno;
    path_unlink_file(fd: Fd, path: Path) -> Errno;
    poll_oneoff(subscriptions: Ptr, events: Ptr, nsubscriptions: Size, nevents: Ptr) -> Errno;
    proc_exit(code: ExitCode) -> Exit;
    proc_raise(sig: U32) -> Errno;
    sched_yield() -> Errno;
    random_get(buf: Ptr, buf_len: Size) -> Bytes;
    sock_accept(fd: Fd, flags: Untraced<FdFlags>, ro_fd: Ptr) -> Errno;
    sock_recv(
        fd: Fd, ri_data: Untraced<Iovs>, ri_flags: Untraced<U32>, ro_datalen: Ptr, ro_flags: Ptr
    ) -> Errno;
    sock_send(fd: Fd, si_data: Untraced<Iovs>, si_flags: Untraced<U32>, so_datalen: Ptr) -> Errno;
    sock_shutdown(fd: Fd, how: Untraced<U32>) -> Errno;
}
