//! Wasm -> IR translation. ENGINE HELPER.
