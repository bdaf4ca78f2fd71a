#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wdb_fuzz::diff_exec(data));
