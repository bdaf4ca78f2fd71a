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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    pub code: TrapCode,
    /// The message; equals `code.message()` except for host traps.
    pub message: String,
    pub backtrace: Vec<BacktraceFrame>,
}

impl Trap {
    pub fn new(code: TrapCode) -> Self {
        Trap {
            code,
            message: code.message().to_string(),
            backtrace: Vec::new(),
        }
    }

    pub fn host(message: impl Into<String>) -> Self {
        Trap {
            code: TrapCode::Host,
            message: message.into(),
            backtrace: Vec::new(),
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
