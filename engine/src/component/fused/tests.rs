//! The fused adapters against the [`Val`] path: the same values, traps and
//! memories, for every kind of type, flat and in memory; and the composed
//! fixture's output both ways.

use std::sync::{Arc, Mutex};

use super::*;
use crate::component::abi::{Cx, HandleTable};
use crate::component::types::Val;
use crate::module::Module;
use crate::runtime::{Extern, InstanceId, Linker, StoreConfig};

/// A core instance with a memory and a bump `realloc` (which fills what it
/// hands out with 0xAA, so a byte the copy forgets to write shows).
const SIDE: &str = r#"(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $p i32)
    (local.set $p (i32.and
      (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
      (i32.sub (i32.const 0) (local.get 2))))
    (global.set $next (i32.add (local.get $p) (local.get 3)))
    (memory.fill (local.get $p) (i32.const 0xAA) (local.get 3))
    (local.get $p)))"#;

fn side(store: &mut Store) -> (InstanceId, Side) {
    let bytes = wat::parse_str(SIDE).expect("test module parses");
    let module = Arc::new(Module::new(bytes).expect("test module is valid"));
    let imports = Linker::new().resolve(store, &module).expect("no imports");
    let (inst, _) = store.instantiate(module, &imports).expect("instantiates");
    let memory = match store.instance_export(inst, "memory") {
        Some(Extern::Memory(m)) => m,
        o => panic!("{o:?}"),
    };
    let realloc = match store.instance_export(inst, "realloc") {
        Some(Extern::Func(f)) => f,
        o => panic!("{o:?}"),
    };
    (
        inst,
        Side {
            memory: Some(memory),
            realloc: Some(realloc),
        },
    )
}

fn cx<'a>(store: &'a mut Store, s: Side, handles: &'a Mutex<HandleTable>) -> Cx<'a> {
    Cx {
        store,
        memory: s.memory,
        realloc: s.realloc,
        encoding: StringEncoding::Utf8,
        handles,
    }
}

/// A source, and two destinations that start equal: `val` for the [`Val`]
/// path, `fused` for the adapter.
struct Three {
    store: Store,
    src: Side,
    val: Side,
    fused: Side,
    handles: Mutex<HandleTable>,
}

fn three() -> Three {
    let mut store = Store::new(StoreConfig::default());
    let (_, src) = side(&mut store);
    let (_, val) = side(&mut store);
    let (_, fused) = side(&mut store);
    Three {
        store,
        src,
        val,
        fused,
        handles: Mutex::default(),
    }
}

impl Three {
    fn mem(&self, s: Side) -> Vec<u8> {
        self.store.memory(s.memory.unwrap()).to_vec()
    }

    /// `v` stored in the source's memory; its address.
    fn put(&mut self, t: &Ty, v: &Val) -> u32 {
        let mut c = cx(&mut self.store, self.src, &self.handles);
        let p = c.alloc(align(t), size(t)).unwrap();
        c.store(t, v, p).unwrap();
        p
    }

    /// `v` lowered flat by the source (its strings and lists in its memory).
    fn flat_of(&mut self, t: &Ty, v: &Val) -> Vec<u64> {
        let mut out = Vec::new();
        cx(&mut self.store, self.src, &self.handles)
            .lower_flat(t, v, &mut out)
            .unwrap();
        out
    }

    /// Copy the value stored at `p` both ways: the destinations' addresses.
    fn copy_mem(&mut self, t: &Ty, p: u32) -> (R<u32>, R<u32>) {
        let a = (|| {
            let v = cx(&mut self.store, self.src, &self.handles).load(t, p)?;
            let mut c = cx(&mut self.store, self.val, &self.handles);
            let d = c.alloc(align(t), size(t))?;
            c.store(t, &v, d)?;
            Ok(d)
        })();
        let plan = plan(t).expect("a plan");
        let copy = Copy {
            from: self.src,
            to: self.fused,
        };
        let b = (|| {
            aligned(p, align(t))?;
            self.src.check(&self.store, p, size(t) as u64)?;
            let d = self.fused.alloc(&mut self.store, align(t), size(t))?;
            copy.mem(&mut self.store, &plan, p, d)?;
            Ok(d)
        })();
        (a, b)
    }

    /// Copy flat values both ways: what each destination gets.
    fn copy_flat(&mut self, t: &Ty, bits: &[u64]) -> (R<Vec<u64>>, R<Vec<u64>>) {
        let a = (|| {
            let v = cx(&mut self.store, self.src, &self.handles).lift_flat(t, &mut bits.iter())?;
            let mut out = Vec::new();
            cx(&mut self.store, self.val, &self.handles).lower_flat(t, &v, &mut out)?;
            Ok(out)
        })();
        let plan = plan(t).expect("a plan");
        let copy = Copy {
            from: self.src,
            to: self.fused,
        };
        let mut out = Vec::new();
        let b = copy
            .flat(&mut self.store, &plan, &mut bits.iter(), &mut out)
            .map(|()| out);
        (a, b)
    }

    fn same_destinations(&self, what: &str) {
        assert!(
            self.mem(self.val) == self.mem(self.fused),
            "{what}: the destination memories differ"
        );
    }
}

fn err<T: std::fmt::Debug>(r: R<T>) -> String {
    match r {
        Err(HostError::Trap(m)) => m,
        o => panic!("a trap was expected: {o:?}"),
    }
}

fn bx(t: Ty) -> Box<Ty> {
    Box::new(t)
}

fn bv(v: Val) -> Option<Box<Val>> {
    Some(Box::new(v))
}

/// Types of every kind, and a value of each.
fn cases_of_every_kind() -> Vec<(Ty, Val)> {
    let rec = Ty::Record(vec![
        ("a".into(), Ty::U8),
        ("b".into(), Ty::String),
        ("c".into(), Ty::U64),
        ("d".into(), Ty::Bool),
    ]);
    let rec_v = |i: u8, s: &str| {
        Val::Record(vec![
            Val::U8(i),
            Val::String(s.into()),
            Val::U64(u64::MAX - i as u64),
            Val::Bool(i % 2 == 0),
        ])
    };
    let var = Ty::Variant(vec![
        ("f".into(), Some(Ty::F32)),
        ("w".into(), Some(Ty::U64)),
        ("s".into(), Some(Ty::String)),
        ("none".into(), None),
    ]);
    vec![
        (Ty::Bool, Val::Bool(true)),
        (Ty::S8, Val::S8(-5)),
        (Ty::U8, Val::U8(250)),
        (Ty::S16, Val::S16(-300)),
        (Ty::U16, Val::U16(65000)),
        (Ty::S32, Val::S32(-7)),
        (Ty::U32, Val::U32(u32::MAX)),
        (Ty::S64, Val::S64(i64::MIN)),
        (Ty::U64, Val::U64(1 << 40)),
        (Ty::F32, Val::F32(-1.5)),
        (Ty::F64, Val::F64(std::f64::consts::PI)),
        (Ty::Char, Val::Char('ß')),
        (Ty::String, Val::String(String::new())),
        (Ty::String, Val::String("héllo, wörld ✓".into())),
        (Ty::List(bx(Ty::U8)), Val::Bytes(vec![0, 1, 2, 255])),
        (
            Ty::List(bx(Ty::U32)),
            Val::List((0..33).map(|i| Val::U32(i * 77)).collect()),
        ),
        (
            Ty::List(bx(Ty::Bool)),
            Val::List(vec![Val::Bool(true), Val::Bool(false), Val::Bool(true)]),
        ),
        (
            Ty::List(bx(Ty::Char)),
            Val::List(vec![Val::Char('a'), Val::Char('€')]),
        ),
        (
            Ty::List(bx(Ty::String)),
            Val::List(
                ["call", "", "across", "the", "boundary"]
                    .iter()
                    .map(|s| Val::String(s.to_string()))
                    .collect(),
            ),
        ),
        (
            Ty::List(bx(Ty::List(bx(Ty::F64)))),
            Val::List(vec![
                Val::List(vec![Val::F64(1.0), Val::F64(-0.0)]),
                Val::List(vec![]),
            ]),
        ),
        (rec.clone(), rec_v(3, "field")),
        (
            Ty::List(bx(rec.clone())),
            Val::List(vec![rec_v(1, "x"), rec_v(2, "yy"), rec_v(3, "")]),
        ),
        (
            Ty::Tuple(vec![Ty::U16, Ty::F64, Ty::Char, Ty::S8]),
            Val::Tuple(vec![
                Val::U16(9),
                Val::F64(2.5),
                Val::Char('z'),
                Val::S8(-1),
            ]),
        ),
        (Ty::Option(bx(Ty::String)), Val::Option(None)),
        (
            Ty::Option(bx(Ty::String)),
            Val::Option(bv(Val::String("some".into()))),
        ),
        (
            Ty::Result(Some(bx(Ty::List(bx(Ty::U16)))), Some(bx(Ty::String))),
            Val::Result(Ok(bv(Val::List(vec![Val::U16(1), Val::U16(2)])))),
        ),
        (
            Ty::Result(Some(bx(Ty::List(bx(Ty::U16)))), Some(bx(Ty::String))),
            Val::Result(Err(bv(Val::String("bad".into())))),
        ),
        (Ty::Result(None, None), Val::Result(Err(None))),
        (var.clone(), Val::Variant(0, bv(Val::F32(0.25)))),
        (var.clone(), Val::Variant(1, bv(Val::U64(u64::MAX)))),
        (
            var.clone(),
            Val::Variant(2, bv(Val::String("payload".into()))),
        ),
        (var.clone(), Val::Variant(3, None)),
        (
            Ty::List(bx(var.clone())),
            Val::List(vec![
                Val::Variant(2, bv(Val::String("in a list".into()))),
                Val::Variant(0, bv(Val::F32(1.0))),
            ]),
        ),
        (
            Ty::Enum(vec!["a".into(), "b".into(), "c".into()]),
            Val::Enum(2),
        ),
        (Ty::Flags(vec!["x".into(); 3]), Val::Flags(0b101)),
        (Ty::Flags(vec!["x".into(); 10]), Val::Flags(0x3ff)),
        (Ty::Flags(Vec::new()), Val::Flags(0)),
        (
            Ty::List(bx(Ty::Option(bx(Ty::U64)))),
            Val::List(vec![Val::Option(None), Val::Option(bv(Val::U64(7)))]),
        ),
    ]
}

#[test]
fn copies_in_memory_equal_lifting_and_lowering() {
    for (t, v) in cases_of_every_kind() {
        let mut th = three();
        let p = th.put(&t, &v);
        let (a, b) = th.copy_mem(&t, p);
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a, b, "{t}: addresses");
        th.same_destinations(&format!("{t} = {v}"));
        // Not vacuous: the copy holds the value.
        let back = cx(&mut th.store, th.fused, &th.handles)
            .load(&t, b)
            .unwrap();
        assert_eq!(back, v, "{t}");
    }
}

#[test]
fn flat_copies_equal_lifting_and_lowering() {
    for (t, v) in cases_of_every_kind() {
        let mut th = three();
        let bits = th.flat_of(&t, &v);
        let (a, b) = th.copy_flat(&t, &bits);
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a, b, "{t} = {v}: flat values");
        th.same_destinations(&format!("{t} = {v}"));
        let back = cx(&mut th.store, th.fused, &th.handles)
            .lift_flat(&t, &mut b.iter())
            .unwrap();
        assert_eq!(back, v, "{t}");
    }
}

#[test]
fn flat_scalars_are_converted_as_lifting_does() {
    // High bits a guest left in an i32 are dropped, a bool is 0 or 1.
    for (t, bits) in [
        (Ty::Bool, 7u64),
        (Ty::S8, 0x1ff),
        (Ty::U8, 0x1ff),
        (Ty::S16, 0x18000),
        (Ty::U16, 0xfffff),
        (Ty::Flags(vec!["x".into(); 3]), 0xff),
    ] {
        let mut th = three();
        let (a, b) = th.copy_flat(&t, &[bits]);
        assert_eq!(a.unwrap(), b.unwrap(), "{t} from {bits:#x}");
    }
}

#[test]
fn bad_values_trap_with_the_same_message() {
    let mut th = three();
    // A string of invalid UTF-8 in the source's memory.
    let p = {
        let mut c = cx(&mut th.store, th.src, &th.handles);
        c.alloc(1, 2).unwrap()
    };
    th.store.memory_mut(th.src.memory.unwrap())[p as usize..p as usize + 2]
        .copy_from_slice(&[0xff, 0xfe]);
    let (a, b) = th.copy_flat(&Ty::String, &[p as u64, 2]);
    let (ea, eb) = (err(a), err(b));
    assert!(ea.contains("invalid UTF-8"), "{ea}");
    assert_eq!(ea, eb);
    let cases: Vec<(Ty, Vec<u64>)> = vec![
        // Out of bounds.
        (Ty::String, vec![65530, 100]),
        (Ty::List(bx(Ty::U64)), vec![65536 - 8, 2]),
        // Misaligned.
        (Ty::List(bx(Ty::U32)), vec![1026, 1]),
        // Not a char.
        (Ty::Char, vec![0xd800]),
        // No such case.
        (Ty::Option(bx(Ty::U8)), vec![2, 0]),
        (Ty::Enum(vec!["a".into()]), vec![1]),
    ];
    for (t, bits) in cases {
        let (a, b) = th.copy_flat(&t, &bits);
        assert_eq!(err(a), err(b), "{t} {bits:?}");
    }
    // In memory: a bad discriminant, and a misaligned pointer.
    let t = Ty::Option(bx(Ty::String));
    let p = th.put(&t, &Val::Option(None));
    th.store.memory_mut(th.src.memory.unwrap())[p as usize] = 9;
    let (a, b) = th.copy_mem(&t, p);
    assert_eq!(err(a), err(b));
    let (a, b) = th.copy_mem(&Ty::U32, 1025);
    assert_eq!(err(a), err(b));
}

#[test]
fn resources_and_other_encodings_keep_the_val_path() {
    assert!(plan(&Ty::List(bx(Ty::Own(0)))).is_none());
    assert!(plan(&Ty::Record(vec![("h".into(), Ty::Borrow(1))])).is_none());
    assert!(plan(&Ty::List(bx(Ty::String))).is_some());
}

/// The composed fixture (two components: a command calling the other's
/// `join`, `words` and `scale`) prints the same with and without fused
/// adapters, in the interpreter.
#[test]
fn the_composed_fixture_prints_the_same_both_ways() {
    use crate::wasi::p2::P2Host;
    use crate::wasi::{Output, WasiConfig};
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/wasip2/composed.wasm"
    );
    let bytes = std::fs::read(path).expect("fixtures/wasip2/composed.wasm");
    let comp = crate::component::Component::new(&bytes).expect("a valid component");
    let run = |fuse: bool| -> String {
        let out = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = out.clone();
        let cfg = WasiConfig {
            args: vec!["composed.wasm".into(), "300".into()],
            stdout: Output::Sink(Arc::new(move |b: &[u8]| {
                sink.lock().unwrap().extend_from_slice(b)
            })),
            ..WasiConfig::default()
        };
        let host = P2Host::new(cfg).unwrap();
        let mut store = Store::new(StoreConfig::default());
        let inst =
            crate::component::instantiate_with(&mut store, &comp, Arc::new(host), fuse).unwrap();
        let run = inst.cli_run().expect("wasi:cli/run");
        let args = run.lower_args(&mut store, &[]).unwrap();
        let res = call_wasm(&mut store, run.core, &args).unwrap();
        assert_eq!(
            run.lift_results(&mut store, &res).unwrap(),
            Some(Val::Result(Ok(None)))
        );
        String::from_utf8(out.lock().unwrap().clone()).unwrap()
    };
    let (fused, val) = (run(true), run(false));
    assert!(fused.starts_with("300 rounds, checksum "), "{fused}");
    assert_eq!(fused, val);
}
