//! The engine's one error type. A guest trap is *not* an error: see [`crate::trap`].

use std::fmt;

/// What went wrong, by kind, so callers (the wast harness, the CLI) can tell
/// a malformed module from an invalid one from a link failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bytes are not a WebAssembly binary (`assert_malformed`).
    Malformed,
    /// Well-formed but fails validation (`assert_invalid`).
    Invalid,
    /// An import could not be satisfied (`assert_unlinkable`).
    Link,
    /// Instantiation failed, e.g. a segment out of bounds (`assert_uninstantiable`).
    Instantiate,
    /// A call with the wrong number or types of arguments, an unknown export...
    Usage,
    /// A configured limit was hit (memory, table, module size).
    Limit,
    /// Anything else the engine could not do (I/O, unsupported feature).
    Other,
}

/// An engine error: a kind, a message and, for decode/validation errors, the
/// `module_offset` (byte offset in the file) where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// Byte offset in the module file, when the error is about module bytes.
    pub module_offset: Option<usize>,
    /// The section the offset falls in, e.g. `"code"`, when known.
    pub section: Option<&'static str>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            module_offset: None,
            section: None,
        }
    }

    pub fn at(kind: ErrorKind, message: impl Into<String>, module_offset: usize) -> Self {
        Error {
            kind,
            message: message.into(),
            module_offset: Some(module_offset),
            section: None,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Usage, message)
    }

    pub fn link(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Link, message)
    }

    pub fn instantiate(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Instantiate, message)
    }

    /// Wrap a wasmparser error, keeping its offset. Whether it is malformed or
    /// invalid is decided by the caller, which knows whether it was decoding
    /// or validating.
    pub fn from_wasmparser(kind: ErrorKind, e: &wasmparser::BinaryReaderError) -> Self {
        Error::at(kind, e.message().to_string(), e.offset() as usize)
    }

    pub fn with_section(mut self, section: &'static str) -> Self {
        self.section = Some(section);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ErrorKind::Malformed => "malformed module",
            ErrorKind::Invalid => "invalid module",
            ErrorKind::Link => "link error",
            ErrorKind::Instantiate => "instantiation failed",
            ErrorKind::Usage => "usage",
            ErrorKind::Limit => "limit exceeded",
            ErrorKind::Other => "",
        };
        // `Other` has no word of its own: front ends say "error:" once.
        if what.is_empty() {
            f.write_str(&self.message)?;
        } else {
            write!(f, "{what}: {}", self.message)?;
        }
        match (self.section, self.module_offset) {
            (Some(s), Some(o)) => write!(f, " (in {s} section at byte offset {o:#x})"),
            (None, Some(o)) => write!(f, " (at byte offset {o:#x})"),
            (Some(s), None) => write!(f, " (in {s} section)"),
            (None, None) => Ok(()),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
