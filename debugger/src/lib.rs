//! wdb's debugger: sessions, breakpoints, stepping, DWARF, profiling, and the
//! one API the front ends use (a closed `Command`/`Event` protocol served by a
//! worker thread).
//!
//! Architecture Invariant: this crate never depends on rustyline or eframe.

pub mod api;
#[cfg(feature = "cli")]
pub mod cli;
pub mod code_cache;
pub mod component_run;
pub mod demangle;
pub mod disasm;
pub mod error;
pub mod expr;
pub mod format;
pub mod host;
pub mod launch;
pub mod session;
pub mod source;
pub mod state;
pub mod value_tree;
pub mod worker;

pub use api::{Command, Event, Request};
pub use error::{ErrorKind, SessionError};
pub use session::{Session, SessionConfig};

/// The engine, re-exported so front ends depend on this crate only.
pub use wdb_engine as engine;
pub mod dwarf;
pub mod profile;
pub mod runner;
mod sections;
