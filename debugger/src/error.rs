//! Why a command failed: a [`SessionError`] is a kind a front end can act on
//! plus the message a user reads. Front ends branch on [`ErrorKind`], never
//! on the message text; the REPL prints `error: MESSAGE`.

use std::fmt;

/// What sort of failure a command met, for front ends to act on (grey out a
/// control, offer `run`, point at the argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// No module is loaded.
    NoProgram,
    /// The command needs what only a run gives: an instantiated module, a
    /// paused execution, a stack or a selected frame.
    NotRunning,
    /// What the command names does not exist: a breakpoint or display
    /// number, a function, symbol, export, memory, setting, file or line.
    NotFound,
    /// An argument is malformed or out of range: an expression, a number, a
    /// string, an address, a location.
    BadArgument,
    /// Well formed, but not possible here (a JIT frame's locals, a component
    /// command on a core module, a host this build lacks).
    Unsupported,
    /// The module could not be read, decoded, linked or instantiated.
    Load,
    /// The engine failed outside the run the user watches (a start function
    /// or `_initialize` trapped, code did not compile, a helper call failed).
    Engine,
    /// A file could not be written or a directory opened.
    Io,
    /// A wdb bug: an engine panic, a lost JIT thread, a poisoned lock.
    Internal,
    /// Anything else; the message says why.
    Failed,
}

/// A failed command: its kind and the message the user reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionError {
    pub kind: ErrorKind,
    pub message: String,
}

impl SessionError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> SessionError {
        SessionError {
            kind,
            message: message.into(),
        }
    }
}

/// `err(NotFound, format!(..))`: shorter than [`SessionError::new`] at the
/// many sites that build one.
pub fn err(kind: ErrorKind, message: impl Into<String>) -> SessionError {
    SessionError::new(kind, message)
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SessionError {}

/// Errors of the layers below (DWARF, expressions, the engine) that carry
/// only a message; sites that know better give a kind with [`WithKind`].
impl From<String> for SessionError {
    fn from(message: String) -> SessionError {
        SessionError::new(ErrorKind::Failed, message)
    }
}

impl From<&str> for SessionError {
    fn from(message: &str) -> SessionError {
        SessionError::new(ErrorKind::Failed, message)
    }
}

/// `.kind(ErrorKind::BadArgument)` on a `Result` whose error is a message.
pub trait WithKind<T> {
    fn kind(self, kind: ErrorKind) -> Result<T, SessionError>;
}

impl<T, E: fmt::Display> WithKind<T> for Result<T, E> {
    fn kind(self, kind: ErrorKind) -> Result<T, SessionError> {
        self.map_err(|e| SessionError::new(kind, e.to_string()))
    }
}

impl From<crate::expr::ExprError> for SessionError {
    fn from(e: crate::expr::ExprError) -> SessionError {
        use crate::expr::ErrorKind as E;
        let kind = match e.kind {
            E::Syntax | E::Type | E::Arithmetic | E::Memory => ErrorKind::BadArgument,
            E::NoSymbol | E::History => ErrorKind::NotFound,
            E::Unavailable => ErrorKind::Failed,
        };
        SessionError::new(kind, e.message)
    }
}

impl From<crate::launch::LaunchError> for SessionError {
    fn from(e: crate::launch::LaunchError) -> SessionError {
        use crate::launch::LaunchErrorKind as L;
        let kind = match e.kind {
            L::Host => ErrorKind::Io,
            L::Link | L::Instantiate => ErrorKind::Load,
        };
        SessionError::new(kind, e.message)
    }
}

impl From<SessionError> for String {
    fn from(e: SessionError) -> String {
        e.message
    }
}
