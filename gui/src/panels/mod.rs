//! One panel per file. Each `*_ui` function draws from the state mirror and
//! returns the commands the user asked for; the app sends them after drawing.

pub mod breakpoints;
pub mod code;
pub mod console;
pub mod controls;
pub mod exports;
pub mod locals;
pub mod log;
pub mod memory;
pub mod module;
pub mod open;
pub mod profile;
pub mod run_config;
pub mod source;
pub mod stack;
pub mod wasi;
