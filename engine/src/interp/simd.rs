//! SIMD (fixed-width, Wasm 2.0) for the interpreter. SIMD HELPER owns this file.
