//! WAT disassembly with `code_offset`s, from `wasmprinter`, printed once per
//! module (lazily, on the first stop) and indexed by offset.

use std::collections::BTreeMap;

use wdb_engine::Module;

use crate::api::{DisasmLine, FuncWatView};

pub struct Disasm {
    /// (module_offset, text) per printed line, file order.
    lines: Vec<(Option<usize>, String)>,
    /// module_offset -> index in `lines`.
    by_offset: BTreeMap<usize, usize>,
}

impl Disasm {
    pub fn new(module: &Module) -> Result<Disasm, String> {
        // DWARF sections would print as tens of MB of hex escapes that no
        // command shows: print without them, then map offsets back.
        Disasm::build(&module.bytes, true)
    }

    fn build(module_bytes: &[u8], skip_debug: bool) -> Result<Disasm, String> {
        let mut storage = String::new();
        let cfg = wasmprinter::Config::new();
        let trimmed = skip_debug
            .then(|| without_debug_sections(module_bytes))
            .flatten();
        let (bytes, cuts) = match &trimmed {
            Some((b, c)) => (&b[..], &c[..]),
            None => (module_bytes, &[][..]),
        };
        let iter = cfg
            .offsets_and_lines(bytes, &mut storage)
            .map_err(|e| format!("cannot disassemble: {e}"))?;
        let mut lines = Vec::new();
        let mut by_offset = BTreeMap::new();
        for (off, text) in iter {
            let text = text.trim_matches('\n').trim_end().to_string();
            let off = off.map(|o| {
                let o = o as usize;
                let i = cuts.partition_point(|&(at, _)| at <= o);
                o + i.checked_sub(1).map_or(0, |i| cuts[i].1)
            });
            if let Some(o) = off {
                by_offset.entry(o).or_insert(lines.len());
            }
            lines.push((off, text));
        }
        Ok(Disasm { lines, by_offset })
    }

    /// The instruction line at exactly `module_offset`.
    pub fn line_at(&self, module_offset: usize) -> Option<&str> {
        self.by_offset
            .get(&module_offset)
            .map(|&i| self.lines[i].1.trim())
    }

    /// Lines whose offsets fall in `range` (a function body), with their offsets.
    pub fn lines_in(&self, range: std::ops::Range<usize>) -> Vec<(usize, &str)> {
        let Some((_, &first)) = self.by_offset.range(range.clone()).next() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (off, text) in &self.lines[first..] {
            match off {
                Some(o) if *o >= range.end => break,
                Some(o) => out.push((*o, text.as_str())),
                None => {}
            }
        }
        // Strip the indentation every line of the body shares.
        let indent = out
            .iter()
            .map(|(_, t)| t.len() - t.trim_start().len())
            .min()
            .unwrap_or(0);
        out.into_iter().map(|(o, t)| (o, &t[indent..])).collect()
    }

    /// Every defined function's WAT, from its `(func` line to its last
    /// instruction, each line with the `code_offset` of its instruction.
    pub fn functions(&self, module: &Module) -> Vec<FuncWatView> {
        let code = module
            .bodies
            .first()
            .map(|b| b.range.start)
            .zip(module.bodies.last().map(|b| b.range.end))
            .map_or(0..0, |(s, e)| s..e);
        let mut out: Vec<FuncWatView> = Vec::new();
        // A defined function's lines start with `(func` at module level;
        // imports print `(import ... (func ...))` instead.
        let mut next_func = module.num_imported_funcs;
        let mut in_func = false;
        for (offset, text) in &self.lines {
            let trimmed = text.trim_start();
            let depth = text.len() - trimmed.len();
            if depth <= 2 {
                in_func = depth == 2 && trimmed.starts_with("(func");
                if in_func {
                    out.push(FuncWatView {
                        func_index: next_func,
                        name: module.display_func_name(next_func),
                        lines: Vec::new(),
                    });
                    next_func += 1;
                }
            }
            if !in_func {
                continue;
            }
            if let Some(f) = out.last_mut() {
                let code_offset = offset
                    .filter(|o| code.contains(o) && depth > 2)
                    .map(|o| module.code_offset_from_module_offset(o));
                f.lines.push(DisasmLine {
                    code_offset,
                    text: text.clone(),
                    current: false,
                });
            }
        }
        out
    }

    /// The `module_offset`s of the instructions from `module_offset` on (for `x/Ni`).
    pub fn offsets_from(&self, module_offset: usize) -> impl Iterator<Item = (usize, &str)> {
        self.by_offset
            .range(module_offset..)
            .map(|(&o, &i)| (o, self.lines[i].1.trim()))
    }
}

/// The `code_offset` of the instruction after the one at `code_offset`
/// (the return site of a call), decoded with wasmparser.
pub fn next_instruction(module: &Module, code_offset: u32) -> Option<u32> {
    let start = module.module_offset_from_code_offset(code_offset);
    let func = module.func_at_code_offset(code_offset)?;
    let body = module.body(func)?;
    let reader = wasmparser::BinaryReader::new(&module.bytes[start..body.range.end], start as u64);
    let mut ops = wasmparser::OperatorsReader::new(reader);
    ops.read().ok()?;
    let next = ops.original_position() as usize;
    (next < body.range.end).then(|| module.code_offset_from_module_offset(next))
}

/// The `code_offset`s of the calls a defined function makes and returns
/// from (`call`, `call_indirect`, `call_ref`; not the tail calls).
pub fn call_sites(module: &Module, func_index: u32) -> Vec<u32> {
    let Some(body) = module.body(func_index) else {
        return Vec::new();
    };
    let reader =
        wasmparser::BinaryReader::new(&module.bytes[body.range.clone()], body.range.start as u64);
    let Ok(mut ops) = wasmparser::FunctionBody::new(reader).get_operators_reader() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while !ops.eof() {
        let at = ops.original_position();
        match ops.read() {
            Ok(
                wasmparser::Operator::Call { .. }
                | wasmparser::Operator::CallIndirect { .. }
                | wasmparser::Operator::CallRef { .. },
            ) => out.push(module.code_offset_from_module_offset(at as usize)),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    out
}

/// The `code_offset` of a defined function's first instruction (after its locals).
pub fn first_instruction(module: &Module, func_index: u32) -> Option<u32> {
    let body = module.body(func_index)?;
    let reader =
        wasmparser::BinaryReader::new(&module.bytes[body.range.clone()], body.range.start as u64);
    let fb = wasmparser::FunctionBody::new(reader);
    let ops = fb.get_operators_reader().ok()?;
    Some(module.code_offset_from_module_offset(ops.original_position() as usize))
}

/// Module bytes without some sections, and the cuts (see below).
type Trimmed = (Vec<u8>, Vec<(usize, usize)>);

/// `bytes` without its `.debug_*` custom sections, and the cuts: (offset in
/// the trimmed bytes, bytes removed before it in all), sorted. `None` when
/// there is nothing to remove or the section headers do not parse.
fn without_debug_sections(bytes: &[u8]) -> Option<Trimmed> {
    let mut kept: Vec<std::ops::Range<usize>> = Vec::new();
    let mut removed = 0;
    let mut cuts = Vec::new();
    let mut start = 0;
    for section in crate::sections::sections(bytes)? {
        if section
            .custom
            .as_ref()
            .is_some_and(|(name, _)| name.starts_with(".debug_"))
        {
            kept.push(start..section.range.start);
            let at = section.range.start - removed;
            removed += section.range.len();
            cuts.push((at, removed));
            start = section.range.end;
        }
    }
    if cuts.is_empty() {
        return None;
    }
    kept.push(start..bytes.len());
    let mut out = Vec::with_capacity(bytes.len() - removed);
    for r in kept {
        out.extend_from_slice(&bytes[r]);
    }
    Some((out, cuts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fib_functions_are_split_with_code_offsets_and_no_dwarf() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/fib.wasm");
        let module = Module::from_file(std::path::Path::new(path)).expect("fib.wasm decodes");
        let funcs = Disasm::new(&module).expect("prints").functions(&module);
        assert_eq!(
            funcs.len() as u32,
            module.num_funcs() - module.num_imported_funcs
        );
        let f = funcs
            .iter()
            .find(|f| f.name == "fibArray")
            .expect("fibArray is printed");
        assert!(
            f.lines[0].text.contains("(func $fibArray"),
            "{:?}",
            f.lines[0]
        );
        let body = module.body(f.func_index).expect("defined");
        let first = f
            .lines
            .iter()
            .find_map(|l| l.code_offset)
            .expect("instructions carry offsets");
        let mo = module.module_offset_from_code_offset(first);
        assert!(body.range.contains(&mo), "{mo} not in {:?}", body.range);
        // The next function's lines are not part of this one.
        assert!(f.lines[1..].iter().all(|l| !l.text.contains("(func ")));
    }

    fn custom(name: &str, payload: &[u8]) -> Vec<u8> {
        let mut content = vec![name.len() as u8];
        content.extend_from_slice(name.as_bytes());
        content.extend_from_slice(payload);
        let mut out = vec![0, content.len() as u8];
        out.extend(content);
        out
    }

    #[test]
    fn debug_sections_are_skipped_and_offsets_kept() {
        let mut bytes = b"\0asm\x01\0\0\0".to_vec();
        bytes.extend(custom(".debug_info", &[1, 2, 3]));
        bytes.extend([1, 4, 1, 0x60, 0, 0]); // type: () -> ()
        bytes.extend([3, 2, 1, 0]); // function 0: type 0
        bytes.extend([10, 7, 1, 5, 0, 1, 1, 1, 0x0b]); // nop nop nop end
        bytes.extend(custom(".debug_line", &[9; 40]));
        bytes.extend(custom(".debug_str", &[7; 3]));
        bytes.extend(custom("keep", &[5]));
        let (trimmed, cuts) = without_debug_sections(&bytes).expect("has debug sections");
        assert_eq!(trimmed.len(), bytes.len() - (17 + 54 + 16));
        assert_eq!(cuts.len(), 3);
        let full = Disasm::build(&bytes, false).expect("prints");
        let fast = Disasm::build(&bytes, true).expect("prints");
        let is_debug = |t: &str| t.contains("@custom \".debug_");
        let want: Vec<_> = full.lines.iter().filter(|l| !is_debug(&l.1)).collect();
        let got: Vec<_> = fast.lines.iter().collect();
        assert_eq!(got, want);
        assert!(full.lines.iter().any(|l| is_debug(&l.1)));
        // The nops: at module_offset 8 + 17 + 6 + 4 + 5 (section id, size,
        // count, body size, locals) and on.
        let first_nop = 8 + 17 + 6 + 4 + 5;
        for o in first_nop..first_nop + 3 {
            assert_eq!(fast.line_at(o), Some("nop"), "at {o}");
        }
        assert!(fast.lines.iter().any(|l| l.1.contains("keep")));
        let keep_full = full
            .lines
            .iter()
            .find(|l| l.1.contains("keep"))
            .map(|l| l.0);
        let keep_fast = fast
            .lines
            .iter()
            .find(|l| l.1.contains("keep"))
            .map(|l| l.0);
        assert_eq!(keep_fast, keep_full);
    }
}
