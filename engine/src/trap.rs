//! Traps: a guest fault is a normal outcome of running code, carried as a
//! value with the spec's message and a wasm backtrace.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrapCode {
    Unreachable,
    IntegerDivideByZero,
    IntegerOverflow,
    InvalidConversionToInteger,
    MemoryOutOfBounds,
    TableOutOfBounds,
    IndirectCallTypeMismatch,
    /// `call_indirect` on an index past the end of the table.
    UndefinedElement,
    /// `call_indirect` on a null entry.
    UninitializedElement,
    NullReference,
    CallStackExhausted,
    /// A host function failed (its message is in [`Trap::message`]).
    Host,
    /// A wasm exception nobody caught ([`Trap::exception`] says which).
    UncaughtException,
    /// `throw_ref` of a null `exnref`.
    NullExceptionReference,
    /// `call_ref` (or `return_call_ref`) of a null function reference.
    NullFunctionReference,
    /// `ref.cast` (or a GC access) on a value of another type.
    CastFailure,
    /// The module uses an instruction this engine cannot run yet (the
    /// message names it).
    Unsupported,
    /// A struct access on a null reference.
    NullStructReference,
    /// An array access on a null reference.
    NullArrayReference,
    /// `i31.get_s`/`i31.get_u` on a null reference.
    NullI31Reference,
    /// An array index (or range) past the end of the array.
    ArrayOutOfBounds,
    /// A GC allocation past the heap limit.
    GcHeapExhausted,
}

impl TrapCode {
    /// The spec testsuite's message for this trap.
    pub fn message(self) -> &'static str {
        match self {
            TrapCode::Unreachable => "unreachable",
            TrapCode::IntegerDivideByZero => "integer divide by zero",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::InvalidConversionToInteger => "invalid conversion to integer",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::TableOutOfBounds => "out of bounds table access",
            TrapCode::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapCode::UndefinedElement => "undefined element",
            TrapCode::UninitializedElement => "uninitialized element",
            TrapCode::NullReference => "null reference",
            TrapCode::CallStackExhausted => "call stack exhausted",
            TrapCode::Host => "host function failed",
            TrapCode::UncaughtException => "uncaught exception",
            TrapCode::NullExceptionReference => "null exception reference",
            TrapCode::NullFunctionReference => "null function reference",
            TrapCode::CastFailure => "cast failure",
            TrapCode::Unsupported => "unsupported instruction",
            TrapCode::NullStructReference => "null structure reference",
            TrapCode::NullArrayReference => "null array reference",
            TrapCode::NullI31Reference => "null i31 reference",
            TrapCode::ArrayOutOfBounds => "out of bounds array access",
            TrapCode::GcHeapExhausted => "GC heap exhausted",
        }
    }
}

/// One frame of a wasm backtrace, innermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacktraceFrame {
    /// Function index in the module's function index space.
    pub func_index: u32,
    /// Name from the name section (or the export name), when known.
    pub func_name: Option<String>,
    /// Offset relative to the start of the code section (DWARF's address space).
    pub code_offset: Option<u32>,
}

/// The exception an uncaught `throw` carried out of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceptionInfo {
    /// The exception itself (store address, as an `exnref` holds it).
    pub exn: u32,
    /// Store address of its tag.
    pub tag: u32,
    /// The tag's index in the module that defines it (`None` for a tag the
    /// host made), for its name in that module's name section.
    pub tag_index: Option<u32>,
    /// The tag's name (name section, else an export name), when known.
    pub tag_name: Option<String>,
    /// The payload, typed by the tag's params.
    pub payload: Vec<crate::value::Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trap {
    pub code: TrapCode,
    /// The message; equals `code.message()` except for host traps,
    /// unsupported instructions and uncaught exceptions (which name the tag).
    pub message: String,
    /// For [`TrapCode::UncaughtException`]: the backtrace is the throw site's.
    pub backtrace: Vec<BacktraceFrame>,
    /// The exception, for [`TrapCode::UncaughtException`].
    pub exception: Option<ExceptionInfo>,
}

impl Trap {
    pub fn new(code: TrapCode) -> Self {
        Trap {
            code,
            message: code.message().to_string(),
            backtrace: Vec::new(),
            exception: None,
        }
    }

    pub fn host(message: impl Into<String>) -> Self {
        Trap {
            code: TrapCode::Host,
            message: message.into(),
            backtrace: Vec::new(),
            exception: None,
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl From<TrapCode> for Trap {
    fn from(code: TrapCode) -> Self {
        Trap::new(code)
    }
}
