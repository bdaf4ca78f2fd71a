//! wdb's WebAssembly engine.
//!
//! Decode and validate (Wasm 2.0 exactly), the module model, the runtime
//! store shared by every engine, the interpreter, the Cranelift JIT/AOT
//! backend and WASI preview1.
//!
//! Architecture Invariant: this crate never prints and knows nothing of a UI,
//! DWARF or breakpoint syntax. It returns values, or answers a hook it was
//! given. A guest trap is an outcome ([`RunOutcome::Trapped`]), not an `Err`.

pub mod args;
pub mod component;
pub mod error;
pub mod interp;
pub mod ir;
#[cfg(feature = "jit")]
pub mod jit;
pub mod literal;
pub mod module;
pub mod runtime;
pub mod spec;
pub mod translate;
pub mod trap;
pub mod value;
pub mod wasi;

pub use error::{Error, ErrorKind};

/// What a request for the JIT or AOT says in a build without them.
pub const NO_JIT: &str = "this wdb was built without the JIT (feature `jit`)";
pub use module::Module;
pub use trap::{BacktraceFrame, Trap, TrapCode};
pub use value::{RefType, ValType, Value};
