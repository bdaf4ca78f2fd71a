//! Resource limits, in every engine: deep recursion traps with `call stack
//! exhausted`, runaway loops stop on fuel and on the interrupt flag, memory
//! growth stops at `max_memory_bytes`, and modules at the spec's
//! implementation limits (100,000 functions, 10,000 locals, a 64 MiB data
//! segment, a 10,000,000-element table, 10,000 nested blocks) load and run
//! or fail cleanly. Big modules are generated here, not committed.
//!
//! The limits seen through the `wdb` binary are in `repl/tests/cli/limits_cli.rs`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use wasm_encoder as we;
use wdb_engine::interp::{Execution, PauseReason, RunControl, RunOutcome};
use wdb_engine::jit::{JitEngine, OptLevel};
use wdb_engine::runtime::{Extern, InstanceId, Store, StoreConfig};
use wdb_engine::{Module, TrapCode, Value};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Eng {
    Interp,
    Jit,
}

const ENGINES: [Eng; 2] = [Eng::Interp, Eng::Jit];

struct Inst {
    store: Store,
    inst: InstanceId,
    jit: JitEngine,
}

fn instantiate_with(bytes: Vec<u8>, config: StoreConfig) -> Inst {
    let module = Arc::new(Module::new(bytes).expect("module loads"));
    let mut store = Store::new(config);
    let (inst, start) = store.instantiate(module, &[]).expect("module instantiates");
    assert!(start.is_none(), "test modules have no start function");
    Inst {
        store,
        inst,
        jit: JitEngine::new(OptLevel::Speed),
    }
}

fn instantiate(wat: &str) -> Inst {
    instantiate_with(
        wat::parse_str(wat).expect("test WAT parses"),
        StoreConfig::default(),
    )
}

impl Inst {
    fn call_ctl(
        &mut self,
        eng: Eng,
        name: &str,
        args: &[Value],
        ctl: &mut RunControl,
    ) -> RunOutcome {
        let Some(Extern::Func(f)) = self.store.instance_export(self.inst, name) else {
            panic!("no export {name}");
        };
        match eng {
            Eng::Interp => {
                let mut exec = Execution::new(&mut self.store, f, args).expect("arguments");
                exec.run(&mut self.store, ctl)
            }
            Eng::Jit => self
                .jit
                .call(&mut self.store, f, args, ctl)
                .expect("the JIT compiles and calls"),
        }
    }

    fn call(&mut self, eng: Eng, name: &str, args: &[Value]) -> RunOutcome {
        self.call_ctl(eng, name, args, &mut RunControl::default())
    }
}

fn assert_trap(out: &RunOutcome, code: TrapCode, what: &str) {
    match out {
        RunOutcome::Trapped(t) => {
            assert_eq!(t.code, code, "{what}: {}", t.message);
            assert_eq!(t.message, code.message(), "{what}");
        }
        other => panic!("{what}: expected trap {code:?}, got {other:?}"),
    }
}

const RECURSION: &str = r#"(module
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1)
                     (call $down (i32.sub (local.get 0) (i32.const 1)))))))
  (func $forever (export "forever") (call $forever))
  (func $mutual_a (export "mutual") (param i64) (result i64)
    (i64.add (local.get 0) (call $mutual_b (local.get 0))))
  (func $mutual_b (param i64) (result i64)
    (i64.mul (local.get 0) (call $mutual_a (local.get 0))))
  (func (export "indirect") (call_indirect (type $void) (i32.const 0)))
  (type $void (func))
  (table 1 funcref)
  (elem (i32.const 0) $forever))"#;

#[test]
fn deep_recursion_traps_call_stack_exhausted_in_every_engine() {
    for eng in ENGINES {
        let mut m = instantiate(RECURSION);
        // Within the limit: returns.
        assert_eq!(
            m.call(eng, "down", &[Value::I32(5_000)]),
            RunOutcome::Returned(vec![Value::I32(5_000)]),
            "{eng:?}"
        );
        // Deep non-tail recursion past the limit.
        let out = m.call(eng, "down", &[Value::I32(1_000_000)]);
        assert_trap(&out, TrapCode::CallStackExhausted, &format!("{eng:?} down"));
        for name in ["forever", "indirect"] {
            let out = m.call(eng, name, &[]);
            assert_trap(
                &out,
                TrapCode::CallStackExhausted,
                &format!("{eng:?} {name}"),
            );
        }
        let out = m.call(eng, "mutual", &[Value::I64(3)]);
        assert_trap(
            &out,
            TrapCode::CallStackExhausted,
            &format!("{eng:?} mutual"),
        );
        // The store stays usable after the trap.
        assert_eq!(
            m.call(eng, "down", &[Value::I32(10)]),
            RunOutcome::Returned(vec![Value::I32(10)]),
            "{eng:?} after the trap"
        );
    }
}

/// A recursive function with 2,000 i64 locals and a v128 one: 10,000 frames
/// of it are ~160 MB of locals, past the interpreter's value stack (4M slots)
/// and deep into the JIT's native stack. Both must trap, not crash.
#[test]
fn deep_recursion_with_big_frames_traps_cleanly() {
    let wat = r#"(module
      (func $big (export "big") (param i32) (result i32)
        (local i64) (local i64) (local v128)
        (if (result i32) (i32.eqz (local.get 0))
          (then (i32.const 0))
          (else (i32.add (i32.const 1)
                  (call $big (i32.sub (local.get 0) (i32.const 1))))))))"#
        .replace("(local i64) (local i64)", &"(local i64) ".repeat(2_000));
    for eng in ENGINES {
        let mut m = instantiate(&wat);
        assert_eq!(
            m.call(eng, "big", &[Value::I32(100)]),
            RunOutcome::Returned(vec![Value::I32(100)]),
            "{eng:?}"
        );
        let out = m.call(eng, "big", &[Value::I32(1_000_000)]);
        assert_trap(
            &out,
            TrapCode::CallStackExhausted,
            &format!("{eng:?} big frames"),
        );
    }
}

const LOOPS: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "spin") (loop $l (br $l)))
  (func (export "spin_calls") (loop $l (call $nop) (br $l)))
  (func $nop)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size)))"#;

#[test]
fn infinite_loops_stop_on_fuel_in_every_engine() {
    for eng in ENGINES {
        let mut m = instantiate(LOOPS);
        for name in ["spin", "spin_calls"] {
            let mut ctl = RunControl {
                fuel: Some(100_000),
                ..RunControl::default()
            };
            // Fuel checks are compiled in only when asked for.
            m.jit.fuel = true;
            let t0 = Instant::now();
            let out = m.call_ctl(eng, name, &[], &mut ctl);
            assert_eq!(out, RunOutcome::OutOfFuel, "{eng:?} {name}");
            assert!(t0.elapsed() < Duration::from_secs(10), "{eng:?} {name}");
        }
    }
}

#[test]
fn infinite_loops_stop_on_the_interrupt_flag_from_another_thread() {
    for eng in ENGINES {
        for name in ["spin", "spin_calls"] {
            let mut m = instantiate(LOOPS);
            let flag = m.store.interrupt_handle();
            let t0 = Instant::now();
            let setter = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                flag.store(true, Ordering::SeqCst);
            });
            let out = m.call(eng, name, &[]);
            setter.join().expect("setter thread");
            assert_eq!(
                out,
                RunOutcome::Paused(PauseReason::Interrupted),
                "{eng:?} {name}"
            );
            let took = t0.elapsed();
            assert!(
                took >= Duration::from_millis(150) && took < Duration::from_secs(10),
                "{eng:?} {name}: stopped after {took:?}"
            );
        }
    }
}

#[test]
fn memory_grow_beyond_max_memory_returns_minus_one() {
    for eng in ENGINES {
        let config = StoreConfig {
            max_memory_bytes: 4 * 65536,
            ..StoreConfig::default()
        };
        let mut m = instantiate_with(wat::parse_str(LOOPS).expect("WAT"), config);
        let grow = |m: &mut Inst, n: i32| m.call(eng, "grow", &[Value::I32(n)]);
        assert_eq!(
            grow(&mut m, 2),
            RunOutcome::Returned(vec![Value::I32(1)]),
            "{eng:?}"
        );
        // 3 + 2 pages > 4: refused, memory unchanged.
        assert_eq!(
            grow(&mut m, 2),
            RunOutcome::Returned(vec![Value::I32(-1)]),
            "{eng:?}"
        );
        assert_eq!(
            grow(&mut m, 65_536),
            RunOutcome::Returned(vec![Value::I32(-1)]),
            "{eng:?}"
        );
        assert_eq!(
            grow(&mut m, -1),
            RunOutcome::Returned(vec![Value::I32(-1)]),
            "{eng:?}"
        );
        assert_eq!(
            grow(&mut m, 1),
            RunOutcome::Returned(vec![Value::I32(3)]),
            "{eng:?}"
        );
        assert_eq!(
            m.call(eng, "size", &[]),
            RunOutcome::Returned(vec![Value::I32(4)]),
            "{eng:?}"
        );
    }
}

// --- Modules at the implementation limits --------------------------------

fn module_bytes(build: impl FnOnce(&mut we::Module)) -> Vec<u8> {
    let mut m = we::Module::new();
    build(&mut m);
    m.finish()
}

/// `n` functions `() -> i32` each returning its index; all exported as `f<i>`.
fn many_functions(n: u32) -> Vec<u8> {
    module_bytes(|m| {
        let mut types = we::TypeSection::new();
        types.ty().function([], [we::ValType::I32]);
        m.section(&types);
        let mut funcs = we::FunctionSection::new();
        for _ in 0..n {
            funcs.function(0);
        }
        m.section(&funcs);
        let mut exports = we::ExportSection::new();
        for i in [0, n / 2, n - 1] {
            exports.export(&format!("f{i}"), we::ExportKind::Func, i);
        }
        m.section(&exports);
        let mut code = we::CodeSection::new();
        for i in 0..n {
            let mut f = we::Function::new([]);
            f.instructions().i32_const(i as i32).end();
            code.function(&f);
        }
        m.section(&code);
    })
}

/// The interpreter translates lazily, so 100,000 functions cost little until
/// called. The JIT compiles a whole module up front (about 50 s for 100,000
/// functions in a debug build), so it is checked at 10,000.
#[test]
fn a_module_with_100_000_functions_loads_and_runs() {
    let t0 = Instant::now();
    let mut m = instantiate_with(many_functions(100_000), StoreConfig::default());
    let load = t0.elapsed();
    for i in [0, 50_000, 99_999] {
        assert_eq!(
            m.call(Eng::Interp, &format!("f{i}"), &[]),
            RunOutcome::Returned(vec![Value::I32(i)]),
        );
    }
    eprintln!("100,000 functions: load+instantiate {load:?}");
    assert!(load < Duration::from_secs(30), "load took {load:?}");
    let mut m = instantiate_with(many_functions(10_000), StoreConfig::default());
    for i in [0, 5_000, 9_999] {
        assert_eq!(
            m.call(Eng::Jit, &format!("f{i}"), &[]),
            RunOutcome::Returned(vec![Value::I32(i)]),
        );
    }
}

#[test]
fn a_function_with_10_000_locals_runs() {
    let bytes = module_bytes(|m| {
        let mut types = we::TypeSection::new();
        types.ty().function([we::ValType::I64], [we::ValType::I64]);
        m.section(&types);
        let mut funcs = we::FunctionSection::new();
        funcs.function(0);
        m.section(&funcs);
        let mut exports = we::ExportSection::new();
        exports.export("f", we::ExportKind::Func, 0);
        m.section(&exports);
        let mut code = we::CodeSection::new();
        // 10,000 locals of mixed types; copy the param through the last one.
        let mut f = we::Function::new([
            (4_000, we::ValType::I64),
            (3_000, we::ValType::F64),
            (2_000, we::ValType::I32),
            (999, we::ValType::I64),
        ]);
        f.instructions()
            .local_get(0)
            .local_set(9_999)
            .local_get(9_999)
            .local_get(4_000 - 1)
            .i64_add()
            .end();
        code.function(&f);
        m.section(&code);
    });
    let mut m = instantiate_with(bytes, StoreConfig::default());
    for eng in ENGINES {
        assert_eq!(
            m.call(eng, "f", &[Value::I64(42)]),
            RunOutcome::Returned(vec![Value::I64(42)]),
            "{eng:?}"
        );
    }
}

#[test]
fn a_64_mib_data_segment_loads_and_is_readable() {
    const SIZE: u32 = 64 << 20;
    let data: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    let bytes = module_bytes(|m| {
        let mut types = we::TypeSection::new();
        types.ty().function([we::ValType::I32], [we::ValType::I32]);
        m.section(&types);
        let mut funcs = we::FunctionSection::new();
        funcs.function(0);
        m.section(&funcs);
        let mut mems = we::MemorySection::new();
        mems.memory(we::MemoryType {
            minimum: (SIZE / 65536) as u64,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        m.section(&mems);
        let mut exports = we::ExportSection::new();
        exports.export("load", we::ExportKind::Func, 0);
        m.section(&exports);
        let mut code = we::CodeSection::new();
        let mut f = we::Function::new([]);
        f.instructions()
            .local_get(0)
            .i32_load8_u(we::MemArg {
                offset: 0,
                align: 0,
                target: we::MemArgTarget::Memory(0),
                ordering: None,
            })
            .end();
        code.function(&f);
        m.section(&code);
        let mut datas = we::DataSection::new();
        datas.active(0, &we::ConstExpr::i32_const(0), data.iter().copied());
        m.section(&datas);
    });
    let mut m = instantiate_with(bytes.clone(), StoreConfig::default());
    for eng in ENGINES {
        for at in [0u32, 12_345, SIZE - 1] {
            assert_eq!(
                m.call(eng, "load", &[Value::I32(at as i32)]),
                RunOutcome::Returned(vec![Value::I32((at % 251) as i32)]),
                "{eng:?} at {at}"
            );
        }
        assert_trap(
            &m.call(eng, "load", &[Value::I32(SIZE as i32)]),
            TrapCode::MemoryOutOfBounds,
            &format!("{eng:?}"),
        );
    }
    // Past --max-memory: a clean instantiation error, not an abort.
    let small = StoreConfig {
        max_memory_bytes: 1 << 20,
        ..StoreConfig::default()
    };
    let module = Arc::new(Module::new(bytes).expect("module loads"));
    let err = Store::new(small)
        .instantiate(module, &[])
        .expect_err("64 MiB memory over a 1 MiB limit");
    assert!(err.message.contains("limit"), "{err}");
}

#[test]
fn a_table_of_10_000_000_elements_loads() {
    let bytes = module_bytes(|m| {
        let mut types = we::TypeSection::new();
        types.ty().function([], [we::ValType::I32]);
        m.section(&types);
        let mut funcs = we::FunctionSection::new();
        funcs.function(0);
        funcs.function(0);
        m.section(&funcs);
        let mut tables = we::TableSection::new();
        tables.table(we::TableType {
            element_type: we::RefType::FUNCREF,
            table64: false,
            minimum: 10_000_000,
            maximum: None,
            shared: false,
        });
        m.section(&tables);
        let mut exports = we::ExportSection::new();
        exports.export("size", we::ExportKind::Func, 0);
        exports.export("call_last", we::ExportKind::Func, 1);
        m.section(&exports);
        let mut elems = we::ElementSection::new();
        elems.active(
            Some(0),
            &we::ConstExpr::i32_const(9_999_999),
            we::Elements::Functions(std::borrow::Cow::Borrowed(&[0])),
        );
        m.section(&elems);
        let mut code = we::CodeSection::new();
        let mut f = we::Function::new([]);
        f.instructions().table_size(0).end();
        code.function(&f);
        let mut f = we::Function::new([]);
        f.instructions()
            .i32_const(9_999_999)
            .call_indirect(0, 0)
            .end();
        code.function(&f);
        m.section(&code);
    });
    let mut m = instantiate_with(bytes, StoreConfig::default());
    for eng in ENGINES {
        for name in ["size", "call_last"] {
            assert_eq!(
                m.call(eng, name, &[]),
                RunOutcome::Returned(vec![Value::I32(10_000_000)]),
                "{eng:?} {name}"
            );
        }
    }
}

#[test]
fn ten_thousand_nested_blocks_load_and_run() {
    const DEPTH: u32 = 10_000;
    let bytes = module_bytes(|m| {
        let mut types = we::TypeSection::new();
        types.ty().function([], [we::ValType::I32]);
        m.section(&types);
        let mut funcs = we::FunctionSection::new();
        funcs.function(0);
        m.section(&funcs);
        let mut exports = we::ExportSection::new();
        exports.export("nested", we::ExportKind::Func, 0);
        m.section(&exports);
        let mut code = we::CodeSection::new();
        let mut f = we::Function::new([]);
        let mut ins = f.instructions();
        for i in 0..DEPTH {
            if i % 2 == 0 {
                ins.block(we::BlockType::Empty);
            } else {
                ins.loop_(we::BlockType::Empty);
            }
        }
        // Branch out of the outermost block from the innermost one.
        ins.br(DEPTH - 1);
        for _ in 0..DEPTH {
            ins.end();
        }
        ins.i32_const(7).end();
        code.function(&f);
        m.section(&code);
    });
    let mut m = instantiate_with(bytes, StoreConfig::default());
    for eng in ENGINES {
        assert_eq!(
            m.call(eng, "nested", &[]),
            RunOutcome::Returned(vec![Value::I32(7)]),
            "{eng:?}"
        );
    }
}

/// Regression: the JIT's `table.grow` had no element limit (the interpreter
/// stops at 10,000,000), so the engines disagreed and a guest could make the
/// JIT allocate and zero gigabytes of table.
#[test]
fn jit_table_grow_past_ten_million_elements_returns_minus_one() {
    let wat = r#"(module
      (table $t 1 funcref)
      (func (export "grow") (param i32) (result i32)
        (table.grow $t (ref.null func) (local.get 0)))
      (func (export "size") (result i32) (table.size $t)))"#;
    for eng in ENGINES {
        let mut m = instantiate(wat);
        let grow = |m: &mut Inst, n: i32| m.call(eng, "grow", &[Value::I32(n)]);
        assert_eq!(
            grow(&mut m, 20_000_000),
            RunOutcome::Returned(vec![Value::I32(-1)]),
            "{eng:?}"
        );
        assert_eq!(
            grow(&mut m, -1),
            RunOutcome::Returned(vec![Value::I32(-1)]),
            "{eng:?}"
        );
        assert_eq!(
            grow(&mut m, 9_999_999),
            RunOutcome::Returned(vec![Value::I32(1)]),
            "{eng:?}"
        );
        assert_eq!(
            grow(&mut m, 1),
            RunOutcome::Returned(vec![Value::I32(-1)]),
            "{eng:?}"
        );
        assert_eq!(
            m.call(eng, "size", &[]),
            RunOutcome::Returned(vec![Value::I32(10_000_000)]),
            "{eng:?}"
        );
    }
}
