use std::path::Path;
use wdb_debugger::dwarf::*;
use wdb_engine::{Module, Value};

struct Zero;
impl FrameAccess for Zero {
    fn local(&self, _: u32) -> Option<Value> { Some(Value::I32(0x1000)) }
    fn global(&self, _: u32) -> Option<Value> { Some(Value::I32(0)) }
    fn operand(&self, _: u32) -> Option<Value> { Some(Value::I32(0)) }
    fn read_memory(&self, a: u64, n: usize) -> Option<Vec<u8>> { if a + n as u64 <= 65536 { Some(vec![0; n]) } else { None } }
}

#[test]
fn explore() {
    let p = std::env::var("WASM").unwrap();
    let m = Module::from_file(Path::new(&p)).unwrap();
    let t = std::time::Instant::now();
    let (d, w) = DebugInfo::load(&m, Some(Path::new(&p)));
    println!("load {:?} warnings {w:?}", t.elapsed());
    for q in std::env::var("FUNCS").unwrap_or_default().split(',').filter(|s| !s.is_empty()) {
        for f in d.functions_named(q) {
            println!("{q}: {f:?}");
            let pc = f.entry_after_prologue.unwrap_or(f.low_pc);
            println!("  loc {:?} inl {:?}", d.location(pc), d.inline_frames(pc));
            for v in d.variables(pc) {
                println!("  var {} param={} : {} = {}", v.name, v.is_param, v.type_name, d.read_var(&v, &Zero));
            }
        }
    }
    println!("files {:?}", d.source_files().len());
}
