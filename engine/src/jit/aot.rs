//! Ahead-of-time forms (WasmEdge's two):
//! - universal module: the original bytes plus a custom section `wdb.aot`
//!   holding every function's native code, relocations and a fingerprint
//!   (wdb + Cranelift version, target triple, CPU features, opt level). Any
//!   runtime can still run the module; wdb loads the code instead of compiling.
//! - shared object: `cranelift-object` + `cc -shared` (see [`write_shared_object`]).
//!
//! A component's universal form ([`compile_component_universal`]) is the
//! component with each core module replaced by its universal module.
//!
//! Section layout (little-endian): magic `WDBAOT1\0`, fingerprint (u32 len +
//! UTF-8), opt level (u8), function count (u32), then per function: align
//! (u64), code (u32 len + bytes), relocation count (u32), per relocation:
//! offset (u32), kind (u8, index in `RELOC_KINDS`), target tag (u8: 0 user
//! function `namespace:index`, 1 libcall by name, 2 function+offset), target
//! data, addend (i64). Then the source maps: per function a range count
//! (u32) and per range start, end, code_offset (u32 each), mapping native
//! code back to wasm instructions. Last, a checksum (u64) of everything
//! before it, so a damaged code byte is an error instead of native code that
//! runs.

use std::path::Path;
use std::sync::Arc;

use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::ir::LibCall;
use cranelift_module::{FuncId, ModuleReloc, ModuleRelocTarget};

use super::OptLevel;
use super::compile::{self, Compiler, FuncCode, SrcRange};
use super::prof::CompileOptions;
use crate::error::{Error, ErrorKind, Result};
use crate::module::Module;

pub const SECTION: &str = "wdb.aot";
const MAGIC: &[u8; 8] = b"WDBAOT2\0";
/// The previous layout (no checksum): refused with a hint to recompile.
const OLD_MAGIC: &[u8; 8] = b"WDBAOT1\0";

const RELOC_KINDS: &[Reloc] = &[
    Reloc::Abs4,
    Reloc::Abs8,
    Reloc::X86PCRel4,
    Reloc::X86CallPCRel4,
    Reloc::X86CallPLTRel4,
    Reloc::X86GOTPCRel4,
    Reloc::Arm64Call,
    Reloc::Aarch64AdrPrelPgHi21,
    Reloc::Aarch64AddAbsLo12Nc,
    Reloc::RiscvCallPlt,
];

fn damaged(what: impl Into<String>) -> Error {
    Error::new(
        ErrorKind::Malformed,
        format!("damaged `{SECTION}` section: {}", what.into()),
    )
}

pub(crate) struct Saved {
    pub fingerprint: String,
    pub opt: OptLevel,
    pub funcs: Vec<FuncCode>,
}

/// Compile `module` and return its bytes with a `wdb.aot` section appended
/// (any previous one is ignored: the new one comes last and wins on load).
pub fn compile_universal(
    module: &Arc<Module>,
    opt: OptLevel,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<u8>> {
    compile_universal_with(module, opt, CompileOptions::AOT, progress)
}

/// As [`compile_universal`], with `options` (a profiling build is marked in
/// the fingerprint and only loads through `CompiledModule::load_aot_with`).
pub fn compile_universal_with(
    module: &Arc<Module>,
    opt: OptLevel,
    options: CompileOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<u8>> {
    let isa = compile::host_isa(opt, false)?;
    let fingerprint = compile::fingerprint(&*isa, opt) + &options.fingerprint_suffix();
    let jit = cranelift_jit::JITModule::new(cranelift_jit::JITBuilder::with_isa(
        isa,
        cranelift_module::default_libcall_names(),
    ));
    let mut c = Compiler::new(jit);
    c.options = options;
    let ids = c.declare(module)?;
    let funcs = c.compile_all(module, &ids, progress)?;
    let payload = encode_payload(fingerprint, opt, funcs)?;
    let mut out = module.bytes.to_vec();
    let mut body = Vec::new();
    leb(&mut body, SECTION.len() as u64);
    body.extend_from_slice(SECTION.as_bytes());
    body.extend_from_slice(&payload);
    out.push(0);
    leb(&mut out, body.len() as u64);
    out.extend_from_slice(&body);
    Ok(out)
}

/// A component's universal form: every core module in it (nested
/// components' too) replaced by its universal module ([`compile_universal`]:
/// the same bytes plus a `wdb.aot` section), everything else byte for byte.
/// Other runtimes ignore the custom sections; wdb's AOT mode loads each
/// module's code from its own. `progress` counts each module's functions
/// in turn, as for a module.
pub fn compile_component_universal(
    bytes: &[u8],
    opt: OptLevel,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<u8>> {
    // Decode and validate it whole first: errors name the byte offset.
    crate::component::Component::new(bytes)?;
    let mut out = Vec::with_capacity(bytes.len() * 3);
    rewrite_component(bytes, 0, opt, progress, &mut out)?;
    Ok(out)
}

/// The sections of the component at `bytes` (at `base` in the file) into
/// `out`, with core modules compiled.
fn rewrite_component(
    bytes: &[u8],
    base: usize,
    opt: OptLevel,
    progress: &mut dyn FnMut(usize, usize),
    out: &mut Vec<u8>,
) -> Result<()> {
    let bad = |at: usize, what: &str| {
        Error::at(
            ErrorKind::Malformed,
            format!("malformed component: {what}"),
            base + at,
        )
    };
    let header = bytes.get(..8).ok_or_else(|| bad(0, "no header"))?;
    out.extend_from_slice(header);
    let mut pos = 8;
    while pos < bytes.len() {
        let id = bytes[pos];
        let (size, n) =
            read_leb_u32(&bytes[pos + 1..]).ok_or_else(|| bad(pos + 1, "a bad section size"))?;
        let start = pos + 1 + n;
        let end = start
            .checked_add(size as usize)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| bad(pos, "a section runs past the end"))?;
        let payload = &bytes[start..end];
        match id {
            // A core module.
            1 => {
                let m = Arc::new(Module::new(payload.to_vec()).map_err(|mut e| {
                    e.module_offset = e.module_offset.map(|o| o + base + start);
                    e
                })?);
                let compiled = compile_universal(&m, opt, progress)?;
                section(out, 1, &compiled);
            }
            // A nested component.
            4 => {
                let mut inner = Vec::with_capacity(payload.len() * 3);
                rewrite_component(payload, base + start, opt, progress, &mut inner)?;
                section(out, 4, &inner);
            }
            _ => out.extend_from_slice(&bytes[pos..end]),
        }
        pos = end;
    }
    Ok(())
}

fn section(out: &mut Vec<u8>, id: u8, payload: &[u8]) {
    out.push(id);
    leb(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

/// An unsigned LEB128 u32 and its length.
fn read_leb_u32(b: &[u8]) -> Option<(u32, usize)> {
    let mut v: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(5) {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return u32::try_from(v).ok().map(|v| (v, i + 1));
        }
    }
    None
}

/// A `wdb.aot` section payload for compiled functions.
pub(crate) fn encode_payload(
    fingerprint: String,
    opt: OptLevel,
    funcs: Vec<FuncCode>,
) -> Result<Vec<u8>> {
    encode(&Saved {
        fingerprint,
        opt,
        funcs,
    })
}

fn leb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn encode(s: &Saved) -> Result<Vec<u8>> {
    let mut o = Vec::new();
    o.extend_from_slice(MAGIC);
    o.extend_from_slice(&(s.fingerprint.len() as u32).to_le_bytes());
    o.extend_from_slice(s.fingerprint.as_bytes());
    o.push(match s.opt {
        OptLevel::None => 0,
        OptLevel::Speed => 1,
        OptLevel::SpeedAndSize => 2,
    });
    o.extend_from_slice(&(s.funcs.len() as u32).to_le_bytes());
    for f in &s.funcs {
        o.extend_from_slice(&f.align.to_le_bytes());
        o.extend_from_slice(&(f.bytes.len() as u32).to_le_bytes());
        o.extend_from_slice(&f.bytes);
        o.extend_from_slice(&(f.relocs.len() as u32).to_le_bytes());
        for r in &f.relocs {
            o.extend_from_slice(&r.offset.to_le_bytes());
            let kind = RELOC_KINDS
                .iter()
                .position(|k| *k == r.kind)
                .ok_or_else(|| {
                    compile::jit_error(format!("cannot save relocation {:?}", r.kind))
                })?;
            o.push(kind as u8);
            match &r.name {
                ModuleRelocTarget::User { namespace, index } => {
                    o.push(0);
                    o.extend_from_slice(&namespace.to_le_bytes());
                    o.extend_from_slice(&index.to_le_bytes());
                }
                ModuleRelocTarget::LibCall(lc) => {
                    o.push(1);
                    let name = lc.to_string();
                    o.extend_from_slice(&(name.len() as u32).to_le_bytes());
                    o.extend_from_slice(name.as_bytes());
                }
                ModuleRelocTarget::FunctionOffset(id, off) => {
                    o.push(2);
                    o.extend_from_slice(&id.as_u32().to_le_bytes());
                    o.extend_from_slice(&off.to_le_bytes());
                }
                other => {
                    return Err(compile::jit_error(format!(
                        "cannot save relocation target {other}"
                    )));
                }
            }
            o.extend_from_slice(&r.addend.to_le_bytes());
        }
    }
    for f in &s.funcs {
        o.extend_from_slice(&(f.srclocs.len() as u32).to_le_bytes());
        for l in &f.srclocs {
            for v in [l.start, l.end, l.code_offset] {
                o.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
    // GC stack maps, only for a module that can hold GC objects (older
    // payloads end before them).
    if s.funcs.iter().any(|f| f.gc.is_some()) {
        encode_gc_maps(&s.funcs, &mut o);
    }
    let sum = checksum(&o);
    o.extend_from_slice(&sum.to_le_bytes());
    Ok(o)
}

/// Recompute the checksum at the end of a `wdb.aot` payload after editing
/// it (tests use it to fake code made on another machine).
#[doc(hidden)]
pub fn reseal(payload: &mut [u8]) {
    if let Some((body, sum)) = payload.split_last_chunk_mut::<8>() {
        *sum = checksum(body).to_le_bytes();
    }
}

/// A 64-bit checksum of a payload. Every step is a bijection of the state,
/// so a change confined to one 8-byte word is always detected; it catches
/// damage, it is not a defence against deliberate tampering.
fn checksum(b: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h: u64 = (b.len() as u64) ^ 0x5744_4241_4f54_3221;
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        h = (h ^ w).wrapping_mul(K).rotate_left(29);
    }
    for &x in words.remainder() {
        h = (h ^ x as u64).wrapping_mul(K).rotate_left(29);
    }
    h ^ (h >> 32)
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or_else(|| damaged(format!("truncated at byte {} reading {what}", self.pos)))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }
    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4, what)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8, what)?.try_into().expect("8 bytes"),
        ))
    }
    fn string(&mut self, what: &str) -> Result<String> {
        let n = self.u32(what)? as usize;
        let b = self.take(n, what)?;
        String::from_utf8(b.to_vec()).map_err(|_| damaged(format!("{what} is not UTF-8")))
    }
}

pub(crate) fn decode(section: &[u8]) -> Result<Saved> {
    if section.starts_with(OLD_MAGIC) {
        return Err(Error::new(
            ErrorKind::Other,
            "AOT code was written by an older wdb: run `wdb compile` again",
        ));
    }
    if !section.starts_with(MAGIC) {
        return Err(damaged("bad magic (not written by this wdb version?)"));
    }
    let Some((body, sum)) = section.split_last_chunk::<8>() else {
        return Err(damaged("truncated"));
    };
    if checksum(body) != u64::from_le_bytes(*sum) {
        return Err(damaged(
            "checksum mismatch (the file was changed or truncated after `wdb compile`)",
        ));
    }
    let mut r = Reader { b: body, pos: 0 };
    r.take(8, "magic")?;
    let fingerprint = r.string("fingerprint")?;
    let opt = match r.u8("opt level")? {
        0 => OptLevel::None,
        1 => OptLevel::Speed,
        2 => OptLevel::SpeedAndSize,
        n => return Err(damaged(format!("unknown opt level {n}"))),
    };
    let n = r.u32("function count")?;
    let mut funcs = Vec::new();
    for i in 0..n {
        let align = r.u64("alignment")?;
        if !align.is_power_of_two() || align > 4096 {
            return Err(damaged(format!("function {i}: bad alignment {align}")));
        }
        let len = r.u32("code length")? as usize;
        let bytes = r.take(len, "code")?.to_vec();
        let nrel = r.u32("relocation count")?;
        let mut relocs = Vec::new();
        for _ in 0..nrel {
            let offset = r.u32("relocation offset")?;
            if offset as usize >= len {
                return Err(damaged(format!(
                    "function {i}: relocation at {offset} past its {len} code bytes"
                )));
            }
            let k = r.u8("relocation kind")? as usize;
            let kind = *RELOC_KINDS
                .get(k)
                .ok_or_else(|| damaged(format!("function {i}: unknown relocation kind {k}")))?;
            let name = match r.u8("relocation target")? {
                0 => {
                    let namespace = r.u32("namespace")?;
                    let index = r.u32("index")?;
                    if index >= n {
                        return Err(damaged(format!(
                            "function {i}: relocation to function {index} of {n}"
                        )));
                    }
                    ModuleRelocTarget::User { namespace, index }
                }
                1 => {
                    let s = r.string("libcall name")?;
                    let lc: LibCall = s
                        .parse()
                        .map_err(|_| damaged(format!("unknown libcall `{s}`")))?;
                    ModuleRelocTarget::LibCall(lc)
                }
                2 => {
                    let id = r.u32("function")?;
                    let off = r.u32("offset")?;
                    if id >= n {
                        return Err(damaged(format!("function {i}: bad function offset target")));
                    }
                    ModuleRelocTarget::FunctionOffset(FuncId::from_u32(id), off)
                }
                t => return Err(damaged(format!("unknown relocation target tag {t}"))),
            };
            let addend = r.u64("addend")? as i64;
            relocs.push(ModuleReloc {
                offset,
                kind,
                name,
                addend,
            });
        }
        funcs.push(FuncCode {
            align,
            bytes,
            relocs,
            srclocs: Vec::new(),
            locals_at: None,
            gc: None,
        });
    }
    if r.pos != body.len() {
        for (i, f) in funcs.iter_mut().enumerate() {
            let nloc = r.u32("source map length")?;
            for _ in 0..nloc {
                let (start, end, code_offset) = (
                    r.u32("source range")?,
                    r.u32("source range")?,
                    r.u32("source range")?,
                );
                if start > end || end as usize > f.bytes.len() {
                    return Err(damaged(format!("function {i}: bad source range")));
                }
                f.srclocs.push(SrcRange {
                    start,
                    end,
                    code_offset,
                });
            }
        }
    }
    if r.pos != body.len() {
        let lens: Vec<usize> = funcs.iter().map(|f| f.bytes.len()).collect();
        for (f, g) in funcs.iter_mut().zip(decode_gc_maps(&mut r, &lens)?) {
            f.gc = g;
        }
    }
    if r.pos != body.len() {
        return Err(damaged(format!("{} trailing bytes", body.len() - r.pos)));
    }
    Ok(Saved {
        fingerprint,
        opt,
        funcs,
    })
}

/// Every function's GC stack map (a flag byte, then frame size and the
/// call sites with their slots), as `wdb.aot` and a shared object's
/// `wdb_gcmaps` carry them.
fn encode_gc_maps(funcs: &[FuncCode], o: &mut Vec<u8>) {
    for f in funcs {
        let Some(g) = &f.gc else {
            o.push(0);
            continue;
        };
        o.push(1);
        o.extend_from_slice(&g.frame_to_fp.to_le_bytes());
        o.extend_from_slice(&(g.sites.len() as u32).to_le_bytes());
        for (ret, offs) in &g.sites {
            o.extend_from_slice(&ret.to_le_bytes());
            o.extend_from_slice(&(offs.len() as u32).to_le_bytes());
            for off in offs.iter() {
                o.extend_from_slice(&off.to_le_bytes());
            }
        }
    }
}

type GcMaps = Vec<Option<std::sync::Arc<compile::GcFrameMap>>>;

/// The inverse of [`encode_gc_maps`], for functions of code lengths
/// `lens`; an error when damaged.
fn decode_gc_maps(r: &mut Reader<'_>, lens: &[usize]) -> Result<GcMaps> {
    let mut out = Vec::with_capacity(lens.len());
    for (i, &len) in lens.iter().enumerate() {
        {
            if r.u8("stack map flag")? == 0 {
                out.push(None);
                continue;
            }
            let frame_to_fp = r.u32("frame size")?;
            let nsites = r.u32("stack map count")?;
            let mut sites = Vec::new();
            for _ in 0..nsites {
                let ret = r.u32("stack map site")?;
                if ret as usize > len {
                    return Err(damaged(format!("function {i}: bad stack map site")));
                }
                let n = r.u32("stack map length")?;
                if n as usize > len {
                    return Err(damaged(format!("function {i}: bad stack map length")));
                }
                let offs = (0..n)
                    .map(|_| r.u32("stack map slot"))
                    .collect::<Result<Box<[u32]>>>()?;
                if offs.iter().any(|&o| o >= frame_to_fp) {
                    return Err(damaged(format!(
                        "function {i}: stack map slot outside its frame"
                    )));
                }
                sites.push((ret, offs));
            }
            if !sites.is_sorted_by_key(|s| s.0) {
                return Err(damaged(format!("function {i}: unsorted stack maps")));
            }
            out.push(Some(std::sync::Arc::new(compile::GcFrameMap {
                frame_to_fp,
                sites,
            })));
        }
    }
    Ok(out)
}

/// A shared object's `wdb_gcmaps` (see [`encode_gc_maps`]).
pub(crate) fn decode_gcmaps(b: &[u8], lens: &[usize]) -> Result<GcMaps> {
    let mut r = Reader { b, pos: 0 };
    let maps = decode_gc_maps(&mut r, lens)?;
    if r.pos != b.len() {
        return Err(damaged(format!(
            "{} trailing bytes in the stack maps",
            b.len() - r.pos
        )));
    }
    Ok(maps)
}

/// Compile `module` into a native object with `cranelift-object` (PIC) and
/// link it with the system `cc -shared` into `out`.
///
/// The object carries a code map (`wdb_codemap`): each defined function's
/// code length and native-offset -> `code_offset` ranges, as the `wdb.aot`
/// section does, so frames in it can be walked and a fault in it mapped
/// (the code relies on guard pages like the rest), and for a module that
/// can hold GC objects its stack maps (`wdb_gcmaps`, as in `wdb.aot`).
pub fn write_shared_object(
    module: &Arc<Module>,
    opt: OptLevel,
    out: &Path,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<()> {
    use cranelift_module::{DataDescription, Linkage, Module as _};
    let isa = compile::host_isa(opt, true)?;
    let fingerprint = compile::fingerprint(&*isa, opt) + &CompileOptions::AOT.fingerprint_suffix();
    let builder = cranelift_object::ObjectBuilder::new(
        isa,
        "wdb_aot",
        cranelift_module::default_libcall_names(),
    )
    .map_err(compile::jit_error)?;
    let mut c = Compiler::new(cranelift_object::ObjectModule::new(builder));
    c.options = CompileOptions::AOT;
    let ids = c.declare(module)?;
    let code = c.compile_all(module, &ids, progress)?;
    // Bodies come first, then the array-call wrappers (never in a frame walk).
    let codemap = encode_codemap(&code[..ids.bodies.len()]);
    // GC stack maps (a flag byte per function without), so the frames of
    // a module that can hold GC objects are read and it collects.
    let mut gcmaps = Vec::new();
    encode_gc_maps(&code[..ids.bodies.len()], &mut gcmaps);
    // The fingerprint, the wasm bytes and the code map travel inside the
    // object.
    for (name, bytes) in [
        ("wdb_fingerprint", fingerprint.as_bytes().to_vec()),
        ("wdb_wasm", module.bytes.to_vec()),
        (
            "wdb_wasm_len",
            (module.bytes.len() as u64).to_le_bytes().to_vec(),
        ),
        (
            "wdb_fingerprint_len",
            (fingerprint.len() as u64).to_le_bytes().to_vec(),
        ),
        (
            "wdb_codemap_len",
            (codemap.len() as u64).to_le_bytes().to_vec(),
        ),
        ("wdb_codemap", codemap),
        (
            "wdb_gcmaps_len",
            (gcmaps.len() as u64).to_le_bytes().to_vec(),
        ),
        ("wdb_gcmaps", gcmaps),
    ] {
        let id = c
            .module
            .declare_data(name, Linkage::Export, false, false)
            .map_err(compile::jit_error)?;
        let mut d = DataDescription::new();
        d.define(bytes.into_boxed_slice());
        c.module.define_data(id, &d).map_err(compile::jit_error)?;
    }
    let product = c.module.finish();
    let obj = product.emit().map_err(compile::jit_error)?;
    let obj_path = out.with_extension("o");
    std::fs::write(&obj_path, obj)
        .map_err(|e| compile::jit_error(format!("writing {}: {e}", obj_path.display())))?;
    let status = std::process::Command::new("cc")
        .arg("-shared")
        .arg("-o")
        .arg(out)
        .arg(&obj_path)
        .status()
        .map_err(|e| compile::jit_error(format!("running cc: {e}")))?;
    let _ = std::fs::remove_file(&obj_path);
    if !status.success() {
        return Err(compile::jit_error(format!("cc -shared failed: {status}")));
    }
    Ok(())
}

/// `wdb_codemap`: function count, then per defined function its code
/// length, its range count and the ranges (start, end, code_offset), all
/// little-endian u32.
fn encode_codemap(code: &[FuncCode]) -> Vec<u8> {
    let mut o = Vec::new();
    let u32le = |o: &mut Vec<u8>, v: u32| o.extend_from_slice(&v.to_le_bytes());
    u32le(&mut o, code.len() as u32);
    for f in code {
        u32le(&mut o, f.bytes.len() as u32);
        u32le(&mut o, f.srclocs.len() as u32);
        for r in &f.srclocs {
            u32le(&mut o, r.start);
            u32le(&mut o, r.end);
            u32le(&mut o, r.code_offset);
        }
    }
    o
}

/// The inverse of [`encode_codemap`]: `(code length, ranges)` per defined
/// function; an error when damaged.
pub(crate) fn decode_codemap(b: &[u8]) -> Result<Vec<(usize, Vec<SrcRange>)>> {
    let mut r = Reader { b, pos: 0 };
    let n = r.u32("function count")?;
    let mut out = Vec::new();
    for _ in 0..n {
        let len = r.u32("code length")? as usize;
        let k = r.u32("range count")?;
        let mut ranges = Vec::new();
        for _ in 0..k {
            ranges.push(SrcRange {
                start: r.u32("range start")?,
                end: r.u32("range end")?,
                code_offset: r.u32("code_offset")?,
            });
        }
        out.push((len, ranges));
    }
    Ok(out)
}
