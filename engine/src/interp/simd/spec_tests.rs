//! Runs the `simd_*.wast` spec files against [`exec`] through a tiny
//! evaluator of its own, so the SIMD semantics are checked independently of
//! the translator and interpreter loop (which run the same files through the
//! real engine in the spec-suite test).
//!
//! The evaluator knows locals, globals, constants, blocks and branches, a few
//! scalar loads/stores and direct calls; an assertion whose function uses
//! anything else, or a module with imports, is counted as skipped. Validation
//! and linking assertions (`assert_invalid`, `assert_malformed`, ...) are the
//! engine's business and are skipped here.

use super::*;
use std::collections::HashMap;
use std::path::PathBuf;
use wasmparser::{
    BlockType, ConstExpr, DataKind, ExternalKind, FuncType, Operator, Parser, Payload, ValType,
};
use wast::core::{NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastRet};

fn corpus_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("engine/ has a parent: the workspace root")
        .to_path_buf();
    root.join("../shared/corpus/spec-wasm2")
}

/// Why an assertion could not be checked here.
#[derive(Debug)]
struct Unsupported(String);

enum Outcome {
    /// The result slots.
    Values(Vec<u64>),
    Trap(TrapCode),
}

/// A value in up to two slots (scalars use the first).
type Slots2 = [u64; 2];

struct Func {
    ty: FuncType,
    locals: Vec<ValType>,
    ops: Vec<Operator<'static>>,
    /// Slots of the value a `drop` or `select` at the same index moves
    /// (from the validator's operand types).
    widths: Vec<usize>,
}

struct Instance {
    funcs: Vec<Func>,
    exports: HashMap<String, u32>,
    globals: Vec<(ValType, Slots2)>,
    mem: Vec<u8>,
}

fn eval_const(
    expr: &ConstExpr<'static>,
    globals: &[(ValType, Slots2)],
) -> Result<Slots2, Unsupported> {
    let mut reader = expr.get_operators_reader();
    let op = reader.read().map_err(|e| Unsupported(e.to_string()))?;
    Ok(match op {
        Operator::I32Const { value } => [value as u32 as u64, 0],
        Operator::I64Const { value } => [value as u64, 0],
        Operator::F32Const { value } => [value.bits() as u64, 0],
        Operator::F64Const { value } => [value.bits(), 0],
        Operator::V128Const { value } => {
            let v = value.i128() as u128;
            [v as u64, (v >> 64) as u64]
        }
        Operator::GlobalGet { global_index } => globals[global_index as usize].1,
        other => return Err(Unsupported(format!("const expr {other:?}"))),
    })
}

fn instantiate(bytes: &'static [u8]) -> Result<Instance, Unsupported> {
    let mut types = Vec::new();
    let mut func_types = Vec::new();
    let mut funcs = Vec::new();
    let mut exports = HashMap::new();
    let mut globals = Vec::new();
    let mut mem = Vec::new();
    let mut data = Vec::new();
    let mut validator = wasmparser::Validator::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| Unsupported(e.to_string()))?;
        let valid = validator
            .payload(&payload)
            .map_err(|e| Unsupported(e.to_string()))?;
        match payload {
            Payload::TypeSection(r) => {
                for ty in r.into_iter_err_on_gc_types() {
                    types.push(ty.map_err(|e| Unsupported(e.to_string()))?);
                }
            }
            Payload::ImportSection(r) if r.count() > 0 => {
                return Err(Unsupported("module with imports".into()));
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    func_types.push(t.map_err(|e| Unsupported(e.to_string()))?);
                }
            }
            Payload::MemorySection(r) => {
                for m in r {
                    let m = m.map_err(|e| Unsupported(e.to_string()))?;
                    mem = vec![0u8; m.initial as usize * 65536];
                }
            }
            Payload::GlobalSection(r) => {
                for g in r {
                    let g = g.map_err(|e| Unsupported(e.to_string()))?;
                    let v = eval_const(&g.init_expr, &globals)?;
                    globals.push((g.ty.content_type, v));
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e.map_err(|e| Unsupported(e.to_string()))?;
                    if e.kind == ExternalKind::Func {
                        exports.insert(e.name.to_string(), e.index);
                    }
                }
            }
            Payload::DataSection(r) => {
                for d in r {
                    let d = d.map_err(|e| Unsupported(e.to_string()))?;
                    if let DataKind::Active { offset_expr, .. } = d.kind {
                        let at = eval_const(&offset_expr, &globals)?[0] as usize;
                        data.push((at, d.data));
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let wasmparser::ValidPayload::Func(to_validate, _) = valid else {
                    return Err(Unsupported("code entry without a validator".into()));
                };
                let mut fv = to_validate.into_validator(Default::default());
                let ty = types[func_types[funcs.len()] as usize].clone();
                let mut locals: Vec<ValType> = ty.params().to_vec();
                for l in body
                    .get_locals_reader()
                    .map_err(|e| Unsupported(e.to_string()))?
                {
                    let (n, t) = l.map_err(|e| Unsupported(e.to_string()))?;
                    fv.define_locals(0, n, t)
                        .map_err(|e| Unsupported(e.to_string()))?;
                    locals.extend(std::iter::repeat_n(t, n as usize));
                }
                let mut ops = Vec::new();
                let mut widths = Vec::new();
                let mut reader = body
                    .get_operators_reader()
                    .map_err(|e| Unsupported(e.to_string()))?;
                while !reader.eof() {
                    let offset = reader.original_position();
                    let op = reader.read().map_err(|e| Unsupported(e.to_string()))?;
                    let depth = match op {
                        Operator::Drop => Some(0),
                        Operator::Select | Operator::TypedSelect { .. } => Some(1),
                        _ => None,
                    };
                    widths.push(match depth.and_then(|d| fv.get_operand_type(d)) {
                        Some(Some(t)) => slots(t),
                        _ => 1,
                    });
                    fv.op(offset, &op).map_err(|e| Unsupported(e.to_string()))?;
                    ops.push(op);
                }
                funcs.push(Func {
                    ty,
                    locals,
                    ops,
                    widths,
                });
            }
            _ => {}
        }
    }
    for (at, bytes) in data {
        if at + bytes.len() > mem.len() {
            return Err(Unsupported("data segment out of bounds".into()));
        }
        mem[at..at + bytes.len()].copy_from_slice(bytes);
    }
    Ok(Instance {
        funcs,
        exports,
        globals,
        mem,
    })
}

fn slots(t: ValType) -> usize {
    if t == ValType::V128 { 2 } else { 1 }
}

fn block_results(bt: BlockType) -> Result<usize, Unsupported> {
    match bt {
        BlockType::Empty => Ok(0),
        BlockType::Type(t) => Ok(slots(t)),
        BlockType::FuncType(_) => Err(Unsupported("multi-value block".into())),
    }
}

/// For each block/loop/if at index i, the index of its `else` (if any) and `end`.
fn match_blocks(ops: &[Operator<'_>]) -> HashMap<usize, (Option<usize>, usize)> {
    let mut out = HashMap::new();
    let mut open: Vec<(usize, Option<usize>)> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                open.push((i, None))
            }
            Operator::Else => {
                if let Some(top) = open.last_mut() {
                    top.1 = Some(i);
                }
            }
            Operator::End => {
                if let Some((start, els)) = open.pop() {
                    out.insert(start, (els, i));
                }
            }
            _ => {}
        }
    }
    out
}

struct Label {
    /// Where a branch goes: past the `end`, or back to the loop start.
    target: usize,
    /// Slot height at entry.
    height: usize,
    /// Slots a branch carries.
    arity: usize,
}

fn call(
    inst: &mut Instance,
    f: u32,
    args: &[u64],
    depth: usize,
) -> Result<Result<Vec<u64>, TrapCode>, Unsupported> {
    if depth > 100 {
        return Err(Unsupported("deep recursion".into()));
    }
    let func = &inst.funcs[f as usize];
    let ty = func.ty.clone();
    let local_types = func.locals.clone();
    let ops = func.ops.clone();
    let widths = func.widths.clone();
    let blocks = match_blocks(&ops);
    let mut locals: Vec<Slots2> = Vec::new();
    let mut at = 0;
    for t in &local_types[..ty.params().len()] {
        let n = slots(*t);
        let mut v = [0; 2];
        v[..n].copy_from_slice(&args[at..at + n]);
        at += n;
        locals.push(v);
    }
    locals.resize(local_types.len(), [0; 2]);

    let mut stack = vec![0u64; 4096];
    let mut sp = 0usize;
    let result_slots: usize = ty.results().iter().map(|t| slots(*t)).sum();
    let mut labels = vec![Label {
        target: ops.len(),
        height: 0,
        arity: result_slots,
    }];
    let mut pc = 0;
    macro_rules! pop {
        () => {{
            sp -= 1;
            stack[sp]
        }};
    }
    macro_rules! push {
        ($v:expr) => {{
            stack[sp] = $v;
            sp += 1;
        }};
    }
    macro_rules! trap {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(t) => return Ok(Err(t)),
            }
        };
    }
    // Branch to the label `depth` levels out; returns the new pc.
    let branch = |labels: &mut Vec<Label>, stack: &mut [u64], sp: &mut usize, depth: u32| {
        let l = &labels[labels.len() - 1 - depth as usize];
        let (target, height, arity) = (l.target, l.height, l.arity);
        stack.copy_within(*sp - arity..*sp, height);
        *sp = height + arity;
        labels.truncate(labels.len() - 1 - depth as usize);
        target
    };
    while pc < ops.len() {
        let op = &ops[pc];
        pc += 1;
        if let Some(s) = SimdOp::from_operator(op) {
            sp = trap!(exec(s, &mut stack, sp, &mut inst.mem));
            continue;
        }
        match op {
            Operator::Nop => {}
            Operator::Block { blockty } => {
                let (_, end) = blocks[&(pc - 1)];
                labels.push(Label {
                    target: end + 1,
                    height: sp,
                    arity: block_results(*blockty)?,
                });
            }
            Operator::Loop { blockty } => {
                if block_results(*blockty)? != 0 {
                    return Err(Unsupported("loop with results".into()));
                }
                // A branch to a loop re-enters it, which pushes the label again.
                labels.push(Label {
                    target: pc - 1,
                    height: sp,
                    arity: 0,
                });
            }
            Operator::If { blockty } => {
                let (els, end) = blocks[&(pc - 1)];
                let cond = pop!() as u32;
                labels.push(Label {
                    target: end + 1,
                    height: sp,
                    arity: block_results(*blockty)?,
                });
                if cond == 0 {
                    match els {
                        Some(e) => pc = e + 1,
                        None => {
                            labels.pop();
                            pc = end + 1;
                        }
                    }
                }
            }
            Operator::Else => {
                // Reached the end of the then-arm: leave the if.
                pc = branch(&mut labels, &mut stack, &mut sp, 0);
            }
            Operator::End => {
                labels.pop();
            }
            Operator::Br { relative_depth } => {
                pc = branch(&mut labels, &mut stack, &mut sp, *relative_depth);
            }
            Operator::BrIf { relative_depth } => {
                if pop!() as u32 != 0 {
                    pc = branch(&mut labels, &mut stack, &mut sp, *relative_depth);
                }
            }
            Operator::Return => {
                let depth = (labels.len() - 1) as u32;
                pc = branch(&mut labels, &mut stack, &mut sp, depth);
            }
            Operator::Drop => sp -= widths[pc - 1],
            Operator::Select | Operator::TypedSelect { .. } => {
                let n = widths[pc - 1];
                let cond = pop!() as u32;
                if cond == 0 {
                    stack.copy_within(sp - n..sp, sp - 2 * n);
                }
                sp -= n;
            }
            Operator::LocalGet { local_index } => {
                let i = *local_index as usize;
                let n = slots(local_types[i]);
                stack[sp..sp + n].copy_from_slice(&locals[i][..n]);
                sp += n;
            }
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                let i = *local_index as usize;
                let n = slots(local_types[i]);
                locals[i][..n].copy_from_slice(&stack[sp - n..sp]);
                if matches!(op, Operator::LocalSet { .. }) {
                    sp -= n;
                }
            }
            Operator::GlobalGet { global_index } => {
                let (t, v) = inst.globals[*global_index as usize];
                let n = slots(t);
                stack[sp..sp + n].copy_from_slice(&v[..n]);
                sp += n;
            }
            Operator::GlobalSet { global_index } => {
                let g = &mut inst.globals[*global_index as usize];
                let n = slots(g.0);
                g.1[..n].copy_from_slice(&stack[sp - n..sp]);
                sp -= n;
            }
            Operator::I32Const { value } => push!(*value as u32 as u64),
            Operator::I64Const { value } => push!(*value as u64),
            Operator::F32Const { value } => push!(value.bits() as u64),
            Operator::F64Const { value } => push!(value.bits()),
            Operator::V128Const { value } => {
                sp = exec_v128_const(value.i128() as u128, &mut stack, sp);
            }
            Operator::I8x16Shuffle { lanes } => sp = exec_shuffle(*lanes, &mut stack, sp),
            Operator::I32Add | Operator::I32And | Operator::I32Or | Operator::I32Xor => {
                let b = pop!() as u32;
                let a = pop!() as u32;
                push!(match op {
                    Operator::I32Add => a.wrapping_add(b),
                    Operator::I32And => a & b,
                    Operator::I32Or => a | b,
                    _ => a ^ b,
                } as u64);
            }
            Operator::I64Load { memarg } => {
                let addr = pop!();
                let off = u32::try_from(memarg.offset).map_err(|_| Unsupported("offset".into()))?;
                let start = trap!(mem_range(inst.mem.len(), addr, off, 8));
                push!(u64::from_le_bytes(
                    inst.mem[start..start + 8].try_into().expect("8 bytes")
                ));
            }
            Operator::I32Load { memarg } => {
                let addr = pop!();
                let off = u32::try_from(memarg.offset).map_err(|_| Unsupported("offset".into()))?;
                let start = trap!(mem_range(inst.mem.len(), addr, off, 4));
                push!(
                    u32::from_le_bytes(inst.mem[start..start + 4].try_into().expect("4 bytes"))
                        as u64
                );
            }
            Operator::Call { function_index } => {
                let callee = &inst.funcs[*function_index as usize];
                let n: usize = callee.ty.params().iter().map(|t| slots(*t)).sum();
                let args = stack[sp - n..sp].to_vec();
                sp -= n;
                let res = trap!(call(inst, *function_index, &args, depth + 1)?);
                stack[sp..sp + res.len()].copy_from_slice(&res);
                sp += res.len();
            }
            other => return Err(Unsupported(format!("{other:?}"))),
        }
    }
    Ok(Ok(stack[sp - result_slots..sp].to_vec()))
}

fn arg_slots(arg: &WastArg<'_>) -> Result<Vec<u64>, Unsupported> {
    Ok(match arg {
        WastArg::Core(WastArgCore::I32(v)) => vec![*v as u32 as u64],
        WastArg::Core(WastArgCore::I64(v)) => vec![*v as u64],
        WastArg::Core(WastArgCore::F32(v)) => vec![v.bits as u64],
        WastArg::Core(WastArgCore::F64(v)) => vec![v.bits],
        WastArg::Core(WastArgCore::V128(v)) => {
            let v = u128::from_le_bytes(v.to_le_bytes());
            vec![v as u64, (v >> 64) as u64]
        }
        other => return Err(Unsupported(format!("argument {other:?}"))),
    })
}

fn f32_matches(p: &NanPattern<wast::token::F32>, bits: u32) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn f64_matches(p: &NanPattern<wast::token::F64>, bits: u64) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

/// Does `ret` match the value at the front of `slots`? Returns slots used.
fn ret_matches(ret: &WastRetCore<'_>, slots: &[u64]) -> Result<(bool, usize), Unsupported> {
    Ok(match ret {
        WastRetCore::I32(v) => (slots[0] as u32 == *v as u32, 1),
        WastRetCore::I64(v) => (slots[0] == *v as u64, 1),
        WastRetCore::F32(p) => (f32_matches(p, slots[0] as u32), 1),
        WastRetCore::F64(p) => (f64_matches(p, slots[0]), 1),
        WastRetCore::V128(p) => {
            let v = slots[0] as u128 | ((slots[1] as u128) << 64);
            let ok = match p {
                V128Pattern::I8x16(l) => to_i8(v) == *l,
                V128Pattern::I16x8(l) => to_i16(v) == *l,
                V128Pattern::I32x4(l) => to_i32(v) == *l,
                V128Pattern::I64x2(l) => to_i64(v) == *l,
                V128Pattern::F32x4(l) => {
                    let got = to_u32(v);
                    (0..4).all(|i| f32_matches(&l[i], got[i]))
                }
                V128Pattern::F64x2(l) => {
                    let got = to_u64(v);
                    (0..2).all(|i| f64_matches(&l[i], got[i]))
                }
            };
            (ok, 2)
        }
        WastRetCore::Either(alts) => {
            for alt in alts {
                let (ok, n) = ret_matches(alt, slots)?;
                if ok {
                    return Ok((true, n));
                }
            }
            let (_, n) = ret_matches(&alts[0], slots)?;
            (false, n)
        }
        other => return Err(Unsupported(format!("result {other:?}"))),
    })
}

fn invoke(inst: &mut Instance, name: &str, args: &[WastArg<'_>]) -> Result<Outcome, Unsupported> {
    let f = *inst
        .exports
        .get(name)
        .ok_or_else(|| Unsupported(format!("no export {name}")))?;
    let mut a = Vec::new();
    for arg in args {
        a.extend(arg_slots(arg)?);
    }
    Ok(match call(inst, f, &a, 0)? {
        Ok(v) => Outcome::Values(v),
        Err(t) => Outcome::Trap(t),
    })
}

#[derive(Default, Debug)]
struct Counts {
    passed: usize,
    failed: usize,
    skipped: usize,
}

/// Why assertions were skipped, with how often (for the test's output).
type SkipReasons = std::collections::BTreeMap<String, usize>;

fn skip_reason(e: &Unsupported) -> String {
    // Keep the operator's name, not its immediates.
    e.0.split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_string()
}

fn run_file(path: &std::path::Path, failures: &mut Vec<String>, skips: &mut SkipReasons) -> Counts {
    let text = std::fs::read_to_string(path).expect("corpus file is readable");
    let text: &'static str = Box::leak(text.into_boxed_str());
    let buf: &'static ParseBuffer<'static> =
        Box::leak(Box::new(ParseBuffer::new(text).expect("lexes")));
    let wast: Wast<'static> = parser::parse(buf).expect("parses");
    let name = path
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .to_string();
    let mut counts = Counts::default();
    let mut current: Option<Result<Instance, Unsupported>> = None;
    for directive in wast.directives {
        let line_of = |span: wast::token::Span| span.linecol_in(text).0 + 1;
        match directive {
            WastDirective::Module(QuoteWat::Wat(mut wat)) => {
                current = Some(match wat.encode() {
                    Ok(bytes) => instantiate(Box::leak(bytes.into_boxed_slice())),
                    Err(e) => Err(Unsupported(e.to_string())),
                });
            }
            WastDirective::Module(_) => current = Some(Err(Unsupported("quoted module".into()))),
            WastDirective::AssertReturn {
                span,
                exec: WastExecute::Invoke(inv),
                results,
            } => {
                let inst = match current.as_mut() {
                    Some(Ok(inst)) => inst,
                    Some(Err(e)) => {
                        *skips
                            .entry(format!("module: {}", skip_reason(e)))
                            .or_default() += 1;
                        counts.skipped += 1;
                        continue;
                    }
                    None => {
                        counts.skipped += 1;
                        continue;
                    }
                };
                match invoke(inst, inv.name, &inv.args) {
                    Err(e) => {
                        *skips.entry(skip_reason(&e)).or_default() += 1;
                        counts.skipped += 1;
                    }
                    Ok(Outcome::Trap(t)) => {
                        counts.failed += 1;
                        failures.push(format!(
                            "{name}:{}: {} trapped: {t:?}",
                            line_of(span),
                            inv.name
                        ));
                    }
                    Ok(Outcome::Values(flat)) => {
                        let mut at = 0;
                        let mut ok = true;
                        for r in &results {
                            let WastRet::Core(r) = r else {
                                ok = false;
                                break;
                            };
                            match ret_matches(r, &flat[at.min(flat.len())..]) {
                                Ok((m, n)) => {
                                    ok &= m;
                                    at += n;
                                }
                                Err(_) => {
                                    ok = false;
                                    break;
                                }
                            }
                        }
                        if ok && at == flat.len() {
                            counts.passed += 1;
                        } else {
                            counts.failed += 1;
                            failures.push(format!(
                                "{name}:{}: {} returned {flat:x?}, expected {results:?}",
                                line_of(span),
                                inv.name
                            ));
                        }
                    }
                }
            }
            WastDirective::AssertTrap {
                span,
                exec: WastExecute::Invoke(inv),
                message,
            } => {
                let inst = match current.as_mut() {
                    Some(Ok(inst)) => inst,
                    Some(Err(e)) => {
                        *skips
                            .entry(format!("module: {}", skip_reason(e)))
                            .or_default() += 1;
                        counts.skipped += 1;
                        continue;
                    }
                    None => {
                        counts.skipped += 1;
                        continue;
                    }
                };
                match invoke(inst, inv.name, &inv.args) {
                    Err(e) => {
                        *skips.entry(skip_reason(&e)).or_default() += 1;
                        counts.skipped += 1;
                    }
                    Ok(Outcome::Trap(t)) if message.starts_with(t.message()) => counts.passed += 1,
                    Ok(_) => {
                        counts.failed += 1;
                        failures.push(format!(
                            "{name}:{}: {} should trap: {message}",
                            line_of(span),
                            inv.name
                        ));
                    }
                }
            }
            WastDirective::Invoke(inv) => {
                if let Some(Ok(inst)) = current.as_mut() {
                    let _ = invoke(inst, inv.name, &inv.args);
                }
            }
            other => {
                let kind = format!("{other:?}");
                *skips.entry(skip_reason(&Unsupported(kind))).or_default() += 1;
                counts.skipped += 1;
            }
        }
    }
    counts
}

#[test]
fn simd_spec_files_through_exec() {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("spec corpus not found at {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("simd_") && n.ends_with(".wast"))
        })
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no simd_*.wast files in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    let mut skips = SkipReasons::new();
    let mut total = Counts::default();
    for f in &files {
        let c = run_file(f, &mut failures, &mut skips);
        println!(
            "{:40} passed {:5} failed {:3} skipped {:4}",
            f.file_name().expect("file name").to_string_lossy(),
            c.passed,
            c.failed,
            c.skipped
        );
        total.passed += c.passed;
        total.failed += c.failed;
        total.skipped += c.skipped;
    }
    println!("total: {total:?}");
    println!("skipped, by reason: {skips:?}");
    for f in failures.iter().take(60) {
        println!("FAIL {f}");
    }
    assert!(
        failures.is_empty(),
        "{} SIMD spec assertions failed",
        failures.len()
    );
    // The evaluator must actually check most of the suite, not skip it.
    assert!(
        total.passed > 20_000,
        "only {} assertions checked",
        total.passed
    );
}
