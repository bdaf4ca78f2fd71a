//! Every fusable operator of the table (`ir/fusable.rs`) in every operand
//! shape the fuser makes of it: the fused op is the one expected, and the
//! plain (fused) path computes and traps as the debug (unfused) path.

use std::sync::Arc;

use crate::interp::{Execution, RunControl, RunOutcome};
use crate::ir::fusable::for_each_fusable;
use crate::module::Module;
use crate::runtime::{Extern, Linker, Store, StoreConfig};
use crate::value::Value;

/// The table's names: (binary, compares, divisions, unary, loads, stores).
struct Names {
    bin: Vec<&'static str>,
    cmp: Vec<&'static str>,
    div: Vec<&'static str>,
    un: Vec<&'static str>,
    load: Vec<&'static str>,
    store: Vec<&'static str>,
}

macro_rules! names {
    (
        { }
        bin { $($b:ident($ba:ident, $bb:ident) => $be:expr;)* }
        cmp { $($c:ident)* }
        div { $($dv:ident($da:ident, $db:ident) => $de:expr;)* }
        un { $($u:ident($ua:ident) => $ue:expr;)* }
        load { $($l:ident[$ln:literal]($lb:ident) => $le:expr;)* }
        store { $($s:ident[$sn:literal]($sv:ident) => $se:expr;)* }
    ) => {
        Names {
            bin: vec![$(stringify!($b)),*],
            cmp: vec![$(stringify!($c)),*],
            div: vec![$(stringify!($dv)),*],
            un: vec![$(stringify!($u)),*],
            load: vec![$(stringify!($l)),*],
            store: vec![$(stringify!($s)),*],
        }
    };
}

fn names() -> Names {
    for_each_fusable!(names! {})
}

/// `I32TruncSatF32S` -> `i32.trunc_sat_f32_s`.
fn wat_name(op: &str) -> String {
    let (ty, rest) = op.split_at(3);
    let mut words = Vec::new();
    for (i, ch) in rest.char_indices() {
        if ch.is_ascii_uppercase() {
            words.push(i);
        }
    }
    words.push(rest.len());
    let parts: Vec<String> = words
        .windows(2)
        .map(|w| rest[w[0]..w[1]].to_ascii_lowercase())
        .collect();
    format!("{}.{}", ty.to_ascii_lowercase(), parts.join("_"))
}

/// The operand type of a unary operator: the type named after the result
/// type (`F64ConvertI32S` -> i32), else the result type.
fn un_operand(op: &str) -> &str {
    ["I32", "I64", "F32", "F64"]
        .into_iter()
        .find(|t| op[3..].contains(t))
        .unwrap_or(&op[..3])
}

fn ty(t: &str) -> String {
    t.to_ascii_lowercase()
}

/// Operand values of type `t` (pairs for binary operators).
fn args(t: &str) -> Vec<[Value; 2]> {
    match t {
        "I32" => vec![
            [Value::I32(7), Value::I32(3)],
            [Value::I32(-5), Value::I32(33)],
            [Value::I32(i32::MIN), Value::I32(-1)],
            [Value::I32(0), Value::I32(0)],
        ],
        "I64" => vec![
            [Value::I64(7), Value::I64(3)],
            [Value::I64(-5), Value::I64(65)],
            [Value::I64(i64::MIN), Value::I64(-1)],
            [Value::I64(0), Value::I64(0)],
        ],
        "F32" => vec![
            [
                Value::F32(1.5f32.to_bits()),
                Value::F32((-2.0f32).to_bits()),
            ],
            [Value::F32(f32::NAN.to_bits()), Value::F32(1.0f32.to_bits())],
            [
                Value::F32(0.0f32.to_bits()),
                Value::F32((-0.0f32).to_bits()),
            ],
        ],
        _ => vec![
            [
                Value::F64(1.5f64.to_bits()),
                Value::F64((-2.0f64).to_bits()),
            ],
            [Value::F64(f64::NAN.to_bits()), Value::F64(1.0f64.to_bits())],
            [
                Value::F64(0.0f64.to_bits()),
                Value::F64((-0.0f64).to_bits()),
            ],
        ],
    }
}

/// A function `name` with params `a`, `b` of type `t`, a local `d` of
/// type `r`, globals `ga`/`gb` set from the params first (so operands can
/// come from something that is not a local), and `body`.
fn func(name: &str, t: &str, r: &str, results: &str, body: &str) -> String {
    format!(
        "(func (export \"{name}\") (param $a {t}) (param $b {t}) (result {results}) (local $d {r})
           (global.set $ga (local.get $a)) (global.set $gb (local.get $b))
           {body})\n"
    )
}

fn module(t: &str, funcs: &str) -> String {
    format!(
        "(module (memory 1) (global $ga (mut {t}) ({t}.const 0)) (global $gb (mut {t}) ({t}.const 0))
           (data (i32.const 0) \"\\01\\82\\03\\f4\\05\\86\\07\\88\\09\\8a\")\n{funcs})"
    )
}

/// Instantiate `wat` twice, run each `(export, expected fused op prefix,
/// args)` on the plain and the debug path, and compare.
fn check(wat: &str, cases: &[(String, String, Vec<Value>)]) {
    let bytes = wat::parse_str(wat).unwrap_or_else(|e| panic!("{e}\n{wat}"));
    let module = Arc::new(Module::new(bytes).expect("valid"));
    for (name, want, args) in cases {
        let mut outs = Vec::new();
        for debug in [false, true] {
            let mut store = Store::new(StoreConfig::default());
            let imports = Linker::new()
                .resolve(&mut store, &module)
                .expect("no imports");
            let (inst, _) = store
                .instantiate(module.clone(), &imports)
                .expect("instantiates");
            let Some(Extern::Func(f)) = store.instance_export(inst, name) else {
                panic!("no export {name}");
            };
            if !debug {
                let code = store.code(f).expect("translates");
                assert!(
                    code.ops
                        .iter()
                        .any(|op| format!("{op:?}").starts_with(want.as_str())),
                    "{name}: no {want} in {:?}",
                    code.ops
                );
            }
            let mut exec = Execution::new(&mut store, f, args).expect("arguments fit");
            let mut ctl = RunControl {
                count_instructions: debug,
                profile: debug.then(crate::interp::FuncCounters::default),
                ..RunControl::default()
            };
            let out = exec.run(&mut store, &mut ctl);
            let stack = match &out {
                RunOutcome::Trapped(_) => exec.operand_stack(&store, 0),
                _ => Vec::new(),
            };
            outs.push((out, stack));
        }
        assert_eq!(outs[0], outs[1], "{name} {args:?}");
    }
}

fn case(name: &str, want: &str, a: &[Value; 2], n: usize) -> (String, String, Vec<Value>) {
    (name.to_string(), want.to_string(), a[..n].to_vec())
}

#[test]
fn every_binary_operator_in_every_shape_runs_as_unfused() {
    let names = names();
    for &op in &names.bin {
        let t = &op[..3];
        let cmp = names.cmp.contains(&op);
        let r = if cmp { "i32".to_string() } else { ty(t) };
        let r = r.as_str();
        let (w, tt) = (wat_name(op), ty(t));
        // f64 immediates fuse only when their bits sign-extend from 32.
        let (k, imm) = if t == "F64" {
            ("(f64.const 0)".to_string(), "(f64.const 0)".to_string())
        } else {
            (format!("({tt}.const 5)"), format!("({tt}.const -3)"))
        };
        let mut funcs = String::new();
        let mut cases = Vec::new();
        let mut add = |shape: &str, results: &str, body: String| {
            let name = format!("{op}{shape}");
            funcs += &func(&name, &tt, r, results, &body);
            for a in args(t) {
                cases.push(case(&name, &format!("{op}{shape} "), &a, 2));
            }
        };
        let la = "(local.get $a)";
        let lb = "(local.get $b)";
        let gs = "(global.get $ga) (global.get $gb)";
        add("LL", r, format!("{la} {lb} ({w})"));
        add("LI", r, format!("{la} {imm} ({w})"));
        add(
            "LLS",
            r,
            format!("{la} {lb} ({w}) (local.set $d) (local.get $d)"),
        );
        add(
            "LIS",
            r,
            format!("{la} {k} ({w}) (local.set $d) (local.get $d)"),
        );
        let two = format!("{r} {r}");
        add(
            "LLT",
            &two,
            format!("{la} {lb} ({w}) (local.tee $d) (local.get $d)"),
        );
        add(
            "LIT",
            &two,
            format!("{la} {imm} ({w}) (local.tee $d) (local.get $d)"),
        );
        add("S", r, format!("{gs} ({w}) (local.set $d) (local.get $d)"));
        add(
            "T",
            &two,
            format!("{gs} ({w}) (local.tee $d) (local.get $d)"),
        );
        add("L", r, format!("(global.get $ga) {lb} ({w})"));
        add("I", r, format!("(global.get $ga) {k} ({w})"));
        add(
            "LS",
            r,
            format!("(global.get $ga) {lb} ({w}) (local.set $d) (local.get $d)"),
        );
        add(
            "IS",
            r,
            format!("(global.get $ga) {imm} ({w}) (local.set $d) (local.get $d)"),
        );
        if cmp {
            for (shape, operands) in [
                ("LL", format!("{la} {lb}")),
                ("LI", format!("{la} {k}")),
                ("", gs.to_string()),
                ("L", format!("(global.get $ga) {lb}")),
                ("I", format!("(global.get $ga) {imm}")),
            ] {
                let br = format!(
                    "(block $out {operands} ({w}) (br_if $out) (return (i32.const 2))) (i32.const 1)"
                );
                add(&format!("{shape}BrNez"), "i32", br);
                let iff = format!(
                    "{operands} ({w}) (if (result i32) (then (i32.const 1)) (else (i32.const 2)))"
                );
                add(&format!("{shape}BrEqz"), "i32", iff);
            }
        }
        check(&module(&tt, &funcs), &cases);
    }
}

#[test]
fn every_division_unary_load_and_store_in_every_shape_runs_as_unfused() {
    let names = names();
    for &op in &names.div {
        let (t, w) = (ty(&op[..3]), wat_name(op));
        let mut funcs = String::new();
        let mut cases = Vec::new();
        for (shape, body) in [
            ("L", format!("(global.get $ga) (local.get $b) ({w})")),
            ("LL", format!("(local.get $a) (local.get $b) ({w})")),
            (
                "LLS",
                format!("(local.get $a) (local.get $b) ({w}) (local.set $d) (local.get $d)"),
            ),
        ] {
            let name = format!("{op}{shape}");
            funcs += &func(&name, &t, &t, &t, &body);
            for a in args(&op[..3]) {
                cases.push(case(&name, &format!("{op}{shape} "), &a, 2));
            }
        }
        check(&module(&t, &funcs), &cases);
    }
    for &op in &names.un {
        let from = un_operand(op);
        let (t, r, w) = (ty(from), ty(&op[..3]), wat_name(op));
        let r = if op.ends_with("Eqz") {
            "i32".to_string()
        } else {
            r
        };
        let mut funcs = String::new();
        let mut cases = Vec::new();
        for (shape, body) in [
            ("L", format!("(local.get $a) ({w})")),
            (
                "LS",
                format!("(local.get $a) ({w}) (local.set $d) (local.get $d)"),
            ),
        ] {
            let name = format!("{op}{shape}");
            funcs += &func(&name, &t, &r, &r, &body);
            for a in args(from) {
                cases.push(case(&name, &format!("{op}{shape} "), &a, 2));
            }
        }
        check(&module(&t, &funcs), &cases);
    }
    // Addresses in bounds, at the end of memory and past it.
    let addrs = [3, 65532, 65535, -1];
    for &op in &names.load {
        let (r, w) = (ty(&op[..3]), wat_name(op));
        let mut funcs = String::new();
        let mut cases = Vec::new();
        for (shape, results, body) in [
            ("L", r.clone(), format!("(local.get $a) ({w} offset=1)")),
            (
                "LS",
                r.clone(),
                format!("(local.get $a) ({w} offset=1) (local.set $d) (local.get $d)"),
            ),
            (
                "LI",
                r.clone(),
                format!("(local.get $a) (i32.const -2) (i32.add) ({w} offset=1)"),
            ),
            (
                "GetL",
                format!("i32 {r}"),
                format!("(local.get $b) (local.get $a) ({w})"),
            ),
        ] {
            let name = format!("{op}{shape}");
            funcs += &func(&name, "i32", &r, &results, &body);
            for addr in addrs {
                let a = [Value::I32(addr), Value::I32(9)];
                cases.push(case(&name, &format!("{op}{shape} "), &a, 2));
            }
        }
        check(&module("i32", &funcs), &cases);
    }
    for &op in &names.store {
        let (v, w) = (ty(&op[..3]), wat_name(op));
        let mut funcs = String::new();
        let mut cases = Vec::new();
        // Read back the 8 aligned bytes around the store.
        let get = "(i64.load (i32.and (i32.add (local.get $a) (i32.const 2)) (i32.const 0xfff8)))";
        for (shape, body) in [
            (
                "LL",
                format!("(local.get $a) (local.get $b) ({w} offset=2) {get}"),
            ),
            (
                "LI",
                format!("(local.get $a) ({v}.const -7) ({w} offset=2) {get}"),
            ),
            (
                "Tee",
                format!("(local.get $a) (global.get $gb) (local.tee $d) ({w} offset=2) {get}"),
            ),
        ] {
            let name = format!("{op}{shape}");
            // The address is `a` (i32), the value `b` (of type `v`).
            let f = format!(
                "(func (export \"{name}\") (param $a i32) (param $b {v}) (result i64) (local $d {v})
                   (global.set $gb (local.get $b)) {body})\n"
            );
            funcs += &f;
            for addr in addrs {
                let b = match v.as_str() {
                    "i32" => Value::I32(-0x1234_5679),
                    _ => Value::I64(-0x1234_5678_9abc_def1),
                };
                let a = [Value::I32(addr), b];
                cases.push(case(&name, &format!("{op}{shape} "), &a, 2));
            }
        }
        let wat = format!("(module (memory 1) (global $gb (mut {v}) ({v}.const 0))\n{funcs})");
        check(&wat, &cases);
    }
}

#[test]
fn wat_names_follow_the_text_format() {
    assert_eq!(wat_name("I32TruncSatF32S"), "i32.trunc_sat_f32_s");
    assert_eq!(wat_name("I64Extend8S"), "i64.extend8_s");
    assert_eq!(wat_name("I32LtU"), "i32.lt_u");
    assert_eq!(un_operand("F64ConvertI32S"), "I32");
    assert_eq!(un_operand("I64Popcnt"), "I64");
}
