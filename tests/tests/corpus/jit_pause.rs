//! Pausing a debug run's generated code from another thread
//! (`PauseHandle`), wherever it is: plain JIT and AOT code have no
//! interrupt checks that can resume, so the thread is signalled and calls
//! the hook from the instruction it was at, every register saved. A run
//! resumed after pauses must compute exactly what it would have.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::mpsc::{Sender, channel};
use std::time::Duration;

use wdb_engine::interp::{PauseReason, RunControl, RunOutcome};
use wdb_engine::jit::{
    AfterInterrupt, BreakFlags, CompiledModule, DebugHook, JitEngine, JitFrame, JitStop, OptLevel,
    PauseHandle, aot,
};
use wdb_engine::runtime::{Extern, Store, StoreConfig};
use wdb_engine::value::FuncAddr;
use wdb_engine::{Module, Value};

/// Mixes integer, float and SIMD state through a long loop without calls,
/// so a pause that lost any register would change the result.
const BUSY: &str = r#"
(module
  (func $mix (export "mix") (param $n i64) (result i64)
    (local $i i64) (local $acc i64) (local $f f64) (local $v v128)
    (local.set $f (f64.const 1.5))
    (local.set $v (v128.const i64x2 3 5))
    (loop $l
      (local.set $acc
        (i64.add (i64.mul (local.get $acc) (i64.const 6364136223846793005))
                 (i64.add (local.get $i) (i64.trunc_f64_s (local.get $f)))))
      (local.set $f (f64.add (f64.mul (local.get $f) (f64.const 0.5)) (f64.const 1.0)))
      (local.set $v (i64x2.add (local.get $v) (i64x2.splat (local.get $acc))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $l (i64.lt_u (local.get $i) (local.get $n))))
    (i64.xor (local.get $acc)
      (i64.xor (i64x2.extract_lane 0 (local.get $v)) (i64x2.extract_lane 1 (local.get $v)))))
  (func (export "outer") (param $n i64) (result i64)
    (i64.add (i64.const 1) (call $mix (local.get $n))))
)
"#;

/// Resumes the first `resumes` pauses, then unwinds; reports each pause.
struct Pauser {
    resumes: usize,
    seen: Sender<Vec<u32>>,
}

impl DebugHook for Pauser {
    fn enter(
        &mut self,
        _: &mut Store,
        _: FuncAddr,
        _: &[Value],
        _: &[JitFrame],
        _: &mut BreakFlags<'_>,
    ) -> RunOutcome {
        panic!("no breakpoints are set")
    }

    fn interrupted(
        &mut self,
        _: &mut Store,
        stop: JitStop,
        _: &mut BreakFlags<'_>,
    ) -> AfterInterrupt {
        assert!(stop.locals.is_empty() && !stop.takeover, "{stop:?}");
        let _ = self
            .seen
            .send(stop.frames.iter().map(|f| f.func_index).collect());
        if self.resumes == 0 {
            return AfterInterrupt::Unwind(RunOutcome::Paused(PauseReason::Interrupted));
        }
        self.resumes -= 1;
        AfterInterrupt::Resume
    }
}

/// Keep asking `pause` until taken, for up to a few seconds.
fn pause_once(pause: &PauseHandle) -> bool {
    // The run may not have entered its debug call yet (lazy compiling on a
    // loaded machine takes more than the pauser's head start): wait for it,
    // up to 10 s; the run lasts longer than that head start many times over.
    for _ in 0..5000 {
        if pause.request() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    for _ in 0..2000 {
        if !pause.request() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
        if !pause.pending() {
            return true;
        }
    }
    pause.cancel();
    false
}

fn run(
    engine: &mut JitEngine,
    store: &mut Store,
    f: FuncAddr,
    n: i64,
    hook: &mut Pauser,
) -> RunOutcome {
    engine
        .call_debug(
            store,
            f,
            &[Value::I64(n)],
            &mut RunControl::default(),
            &HashSet::new(),
            hook,
        )
        .expect("runs")
}

pub fn trials() -> Vec<libtest_mimic::Trial> {
    // Pauses from another thread need x86-64 Linux; elsewhere the trial is
    // reported as ignored rather than passing without running.
    let trial = libtest_mimic::Trial::test(
        "jit_pause::paused_and_resumed_code_computes_the_same",
        || {
            paused_and_resumed_code_computes_the_same();
            Ok(())
        },
    )
    .with_ignored_flag(!PauseHandle::supported());
    vec![trial]
}

fn paused_and_resumed_code_computes_the_same() {
    let bytes = wat::parse_str(BUSY).expect("parses");
    let module = Arc::new(Module::new(bytes).expect("valid"));
    let universal =
        aot::compile_universal(&module, OptLevel::Speed, &mut |_, _| {}).expect("compiles");
    let aot_module = Arc::new(Module::new(universal).expect("valid"));
    let kinds: Vec<(&str, Arc<Module>, Option<CompiledModule>)> = vec![
        ("lazy JIT", module.clone(), None),
        (
            "AOT",
            aot_module.clone(),
            Some(
                CompiledModule::load_aot(aot_module)
                    .expect("loads")
                    .expect("has code"),
            ),
        ),
    ];
    let n = 300_000_000i64;
    for (kind, m, compiled) in kinds {
        let mut engine = JitEngine::new(OptLevel::Speed);
        if let Some(c) = compiled {
            engine.add_compiled(Arc::new(c));
        }
        let mut store = Store::new(StoreConfig::default());
        let (inst, _) = store.instantiate(m, &[]).expect("instantiates");
        let Some(Extern::Func(outer)) = store.instance_export(inst, "outer") else {
            panic!("no export")
        };
        // Undisturbed.
        let (tx, _rx) = channel();
        let mut hook = Pauser {
            resumes: 0,
            seen: tx,
        };
        let expected = run(&mut engine, &mut store, outer, n, &mut hook);
        assert!(
            matches!(expected, RunOutcome::Returned(_)),
            "{kind}: {expected:?}"
        );

        // Paused three times from another thread and resumed each time.
        let pause = engine.pause_handle();
        let (tx, rx) = channel();
        let mut hook = Pauser {
            resumes: usize::MAX,
            seen: tx,
        };
        let pauser = std::thread::spawn(move || {
            let mut taken = 0;
            std::thread::sleep(Duration::from_millis(20));
            for _ in 0..3 {
                if pause_once(&pause) {
                    taken += 1;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            taken
        });
        let got = run(&mut engine, &mut store, outer, n, &mut hook);
        let taken = pauser.join().expect("pauser");
        assert_eq!(
            got, expected,
            "{kind}: the same result after {taken} pauses"
        );
        assert!(taken >= 1, "{kind}: no pause was taken");
        let stops: Vec<Vec<u32>> = rx.try_iter().collect();
        assert_eq!(stops.len(), taken, "{kind}");
        // Inside `mix` (function 0), called from `outer` (1).
        assert!(stops.iter().all(|s| s == &[0, 1]), "{kind}: {stops:?}");

        // Unwound at the first pause.
        let pause = engine.pause_handle();
        let (tx, _rx) = channel();
        let mut hook = Pauser {
            resumes: 0,
            seen: tx,
        };
        let pauser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            pause_once(&pause)
        });
        let got = run(&mut engine, &mut store, outer, n, &mut hook);
        assert!(
            pauser.join().expect("pauser"),
            "{kind}: the pause was taken"
        );
        assert_eq!(got, RunOutcome::Paused(PauseReason::Interrupted), "{kind}");
        // And the engine runs on.
        let (tx, _rx) = channel();
        let mut hook = Pauser {
            resumes: 0,
            seen: tx,
        };
        let small = run(&mut engine, &mut store, outer, 1000, &mut hook);
        assert!(
            matches!(small, RunOutcome::Returned(_)),
            "{kind}: {small:?}"
        );
    }
}
