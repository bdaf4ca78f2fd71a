//! Loading a shared object written by [`super::aot::write_shared_object`]:
//! dlopen it, read the embedded wasm bytes and fingerprint, and look up each
//! function's body (`wdb_f{index}`) and array-call wrapper (`wdb_e{index}`).

#![allow(unsafe_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use super::compile::{self, jit_error};
use super::{CodeHolder, CodeSource, CompiledModule, OptLevel};
use crate::error::{Error, ErrorKind, Result};
use crate::module::Module;

fn bytes_of(lib: &libloading::Library, name: &str, len_name: &str) -> Result<Vec<u8>> {
    // SAFETY: the symbols are data objects written by `write_shared_object`:
    // `len_name` is a little-endian u64 and `name` holds that many bytes. A
    // library without them fails the lookup instead.
    unsafe {
        let len: libloading::Symbol<'_, *const u64> = lib
            .get(len_name.as_bytes())
            .map_err(|e| jit_error(format!("not a wdb shared object (no `{len_name}`): {e}")))?;
        let len = std::ptr::read_unaligned(*len) as usize;
        let data: libloading::Symbol<'_, *const u8> = lib
            .get(name.as_bytes())
            .map_err(|e| jit_error(format!("not a wdb shared object (no `{name}`): {e}")))?;
        Ok(std::slice::from_raw_parts(*data, len).to_vec())
    }
}

impl CompiledModule {
    /// Load a shared object made by `wdb compile -o X.so`.
    pub fn load_shared_object(path: &Path) -> Result<CompiledModule> {
        let start = Instant::now();
        // dlopen searches the library path for a name without a slash: a
        // file in the current directory would not be found.
        let path = &std::path::absolute(path)
            .map_err(|e| jit_error(format!("cannot load {}: {e}", path.display())))?;
        // SAFETY: loading a library runs its initialisers; a wdb shared object
        // has none beyond the C runtime's. The user chose to run this file.
        let lib = unsafe { libloading::Library::new(path) }
            .map_err(|e| jit_error(format!("cannot load the shared object: {e}")))?;
        let fingerprint =
            String::from_utf8(bytes_of(&lib, "wdb_fingerprint", "wdb_fingerprint_len")?)
                .map_err(|_| jit_error("the shared object's fingerprint is not UTF-8"))?;
        let isa = compile::host_isa(OptLevel::Speed, true)?;
        let suffix = super::CompileOptions::AOT.fingerprint_suffix();
        let matches = [OptLevel::None, OptLevel::Speed, OptLevel::SpeedAndSize]
            .iter()
            .any(|o| compile::fingerprint(&*isa, *o) + &suffix == fingerprint);
        if !matches {
            return Err(Error::new(
                ErrorKind::Other,
                format!(
                    "{} was compiled for `{fingerprint}`, this machine is `{}`",
                    path.display(),
                    compile::fingerprint(&*isa, OptLevel::Speed) + &suffix
                ),
            ));
        }
        let wasm = bytes_of(&lib, "wdb_wasm", "wdb_wasm_len")?;
        let module = Arc::new(Module::new(wasm)?);
        let mut bodies = Vec::new();
        let mut wrappers = Vec::new();
        for i in module.num_imported_funcs..module.num_funcs() {
            for (prefix, out) in [("wdb_f", &mut bodies), ("wdb_e", &mut wrappers)] {
                let name = format!("{prefix}{i}");
                // SAFETY: we only take the symbol's address; it is called
                // through the signature the compiler gave it.
                let sym: libloading::Symbol<'_, *const u8> = unsafe { lib.get(name.as_bytes()) }
                    .map_err(|e| jit_error(format!("{}: no `{name}`: {e}", path.display())))?;
                out.push(*sym);
            }
        }
        let codemap =
            super::aot::decode_codemap(&bytes_of(&lib, "wdb_codemap", "wdb_codemap_len")?)?;
        if codemap.len() != bodies.len() {
            return Err(jit_error(format!(
                "{}: the code map has {} functions, the module defines {}",
                path.display(),
                codemap.len(),
                bodies.len()
            )));
        }
        // GC stack maps: present (possibly empty) in every shared object
        // this wdb writes; one without them (an older one) of a module
        // that holds GC objects never collects.
        let lens: Vec<usize> = codemap.iter().map(|(len, _)| *len).collect();
        let gcmaps = match bytes_of(&lib, "wdb_gcmaps", "wdb_gcmaps_len") {
            Ok(b) if !b.is_empty() => super::aot::decode_gcmaps(&b, &lens)?,
            _ => vec![None; lens.len()],
        };
        let maps = codemap
            .into_iter()
            .zip(gcmaps)
            .map(|((len, ranges), gc)| (len, std::sync::Arc::from(ranges), gc))
            .collect();
        Ok(CompiledModule {
            module,
            _code: CodeHolder::Dylib(lib),
            maps,
            bodies,
            wrappers,
            lazy: None,
            source: CodeSource::SharedObject,
            compile_time: start.elapsed(),
            options: super::CompileOptions::AOT,
        })
    }
}
