//! The debugger's `catch wasi`: with `WasiCtx::break_on` set, the guest
//! pauses right after a matching WASI call (recorded in the log), and resumes
//! where it stopped. Also checks the call log of a real program.

use std::path::Path;
use std::sync::{Arc, Mutex};

use wdb_engine::interp::{Execution, PauseReason, RunControl, RunOutcome};
use wdb_engine::runtime::{Extern, Linker, Store, StoreConfig};
use wdb_engine::wasi::{self, BreakOn, Output, WasiConfig, WasiCtx};

fn hello() -> Arc<wdb_engine::Module> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/hello.wasm");
    Arc::new(wdb_engine::Module::from_file(&p).expect("fixtures/hello.wasm"))
}

#[test]
fn break_on_fd_write_pauses_after_each_write() {
    let out = Arc::new(Mutex::new(Vec::new()));
    let o = out.clone();
    let ctx = Arc::new(Mutex::new(
        WasiCtx::new(WasiConfig {
            args: vec!["hello.wasm".into(), "x".into()],
            stdout: Output::Sink(Arc::new(move |b: &[u8]| {
                o.lock().unwrap().extend_from_slice(b)
            })),
            ..WasiConfig::default()
        })
        .unwrap(),
    ));
    ctx.lock().unwrap().break_on = Some(BreakOn::Names(vec!["fd_write".into()]));
    let mut store = Store::new(StoreConfig::default());
    let mut linker = Linker::new();
    wasi::add_to_linker(&mut linker, &mut store, ctx.clone()).unwrap();
    let module = hello();
    let imports = linker.resolve(&store, &module).unwrap();
    let (inst, start) = store.instantiate(module, &imports).unwrap();
    assert!(start.is_none());
    let Some(Extern::Func(f)) = store.instance_export(inst, "_start") else {
        panic!("no _start");
    };
    let mut exec = Execution::new(&mut store, f, &[]).unwrap();
    let mut ctl = RunControl::default();
    let mut pauses = 0;
    let outcome = loop {
        match exec.run(&mut store, &mut ctl) {
            RunOutcome::Paused(PauseReason::HostRequested) => {
                pauses += 1;
                let c = ctx.lock().unwrap();
                let last = c.log.back().expect("the call is logged before the pause");
                assert_eq!(last.func, "fd_write");
                // Output is written through before the pause.
                assert!(!out.lock().unwrap().is_empty());
            }
            o => break o,
        }
    };
    assert!(
        matches!(outcome, RunOutcome::Returned(_) | RunOutcome::Exited(0)),
        "{outcome:?}"
    );
    assert_eq!(&*out.lock().unwrap(), b"Hello, wdb!\nargv[1]=x\n");
    let c = ctx.lock().unwrap();
    let writes = c.log.iter().filter(|w| w.func == "fd_write").count();
    assert_eq!(pauses, writes);
    assert!(writes >= 2);
    // Every call is numbered in order and has a decoded result.
    for (i, call) in c.log.iter().enumerate() {
        assert_eq!(call.seq, i as u64);
        assert_eq!(call.errno_name, wasi::errno_name(call.errno));
    }
    let w = c.log.iter().find(|w| w.func == "fd_write").unwrap();
    assert_eq!(w.args[0], ("fd", "1".to_string()));
    assert!(w.bytes.is_some_and(|b| b > 0));
}

#[test]
fn proc_exit_is_an_exit_outcome_with_the_code() {
    let ctx = Arc::new(Mutex::new(
        WasiCtx::new(WasiConfig {
            args: vec!["hello.wasm".into()],
            env: vec![("HELLO_EXIT".into(), "42".into())],
            stdout: Output::Sink(Arc::new(|_: &[u8]| {})),
            ..WasiConfig::default()
        })
        .unwrap(),
    ));
    let mut store = Store::new(StoreConfig::default());
    let mut linker = Linker::new();
    wasi::add_to_linker(&mut linker, &mut store, ctx.clone()).unwrap();
    let module = hello();
    let imports = linker.resolve(&store, &module).unwrap();
    let (inst, _) = store.instantiate(module, &imports).unwrap();
    let Some(Extern::Func(f)) = store.instance_export(inst, "_start") else {
        panic!("no _start");
    };
    let mut exec = Execution::new(&mut store, f, &[]).unwrap();
    let outcome = exec.run(&mut store, &mut RunControl::default());
    assert_eq!(outcome, RunOutcome::Exited(42));
    let c = ctx.lock().unwrap();
    assert_eq!(c.exit_code, Some(42));
    assert_eq!(c.log.back().unwrap().func, "proc_exit");
    assert_eq!(
        c.log
            .back()
            .unwrap()
            .strace_line()
            .split(" <")
            .next()
            .unwrap(),
        "proc_exit(code=42) = ?"
    );
}
