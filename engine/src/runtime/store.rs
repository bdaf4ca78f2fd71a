//! The store: owns every runtime object. Addresses (`FuncAddr`, memory,
//! table and global addresses) are indices into its vectors.
//!
//! ENGINE HELPER: fill in the private representation and bodies; keep the
//! public signatures (other crates and helpers code against them).

use std::sync::Arc;

use wasmparser::{FuncType, GlobalType, MemoryType, TableType};

use super::{Extern, HostFunc, InstanceId, InterruptHandle, StoreConfig};
use crate::error::Result;
use crate::module::Module;
use crate::value::{FuncAddr, Value};

pub struct Store {
    pub config: StoreConfig,
    pub(crate) interrupt: InterruptHandle,
    // ENGINE HELPER: funcs, memories, tables, globals, instances, datas, elems...
}

impl Store {
    pub fn new(config: StoreConfig) -> Store {
        Store {
            config,
            interrupt: Default::default(),
        }
    }

    /// The flag that interrupts running code in any engine.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.interrupt.clone()
    }

    pub fn add_host_func(&mut self, ty: FuncType, f: HostFunc) -> FuncAddr {
        let _ = (ty, f);
        todo!("engine helper")
    }
    pub fn add_memory(&mut self, ty: MemoryType) -> Result<u32> {
        let _ = ty;
        todo!("engine helper")
    }
    pub fn add_table(&mut self, ty: TableType, init: Value) -> Result<u32> {
        let _ = (ty, init);
        todo!("engine helper")
    }
    pub fn add_global(&mut self, ty: GlobalType, value: Value) -> Result<u32> {
        let _ = (ty, value);
        todo!("engine helper")
    }

    /// Link and initialise an instance: allocate its objects, apply active
    /// element and data segments. Does NOT run the start function: it is
    /// returned so the caller can run it in any engine (and debug it).
    pub fn instantiate(
        &mut self,
        module: Arc<Module>,
        imports: &[Extern],
    ) -> Result<(InstanceId, Option<FuncAddr>)> {
        let _ = (module, imports);
        todo!("engine helper")
    }

    pub fn instance_module(&self, inst: InstanceId) -> &Arc<Module> {
        let _ = inst;
        todo!("engine helper")
    }
    pub fn instance_export(&self, inst: InstanceId, name: &str) -> Option<Extern> {
        let _ = (inst, name);
        todo!("engine helper")
    }
    /// The address of a function by its index in the instance's module.
    pub fn instance_func(&self, inst: InstanceId, func_index: u32) -> FuncAddr {
        let _ = (inst, func_index);
        todo!("engine helper")
    }
    /// The instance's exported `memory`, else its memory 0.
    pub fn instance_memory(&self, inst: InstanceId) -> Option<u32> {
        let _ = inst;
        todo!("engine helper")
    }
    pub fn instance_global(&self, inst: InstanceId, global_index: u32) -> u32 {
        let _ = (inst, global_index);
        todo!("engine helper")
    }

    pub fn func_type(&self, func: FuncAddr) -> &FuncType {
        let _ = func;
        todo!("engine helper")
    }
    /// For a wasm function: its instance and index in that instance's module.
    pub fn func_origin(&self, func: FuncAddr) -> Option<(InstanceId, u32)> {
        let _ = func;
        todo!("engine helper")
    }

    pub fn memory(&self, addr: u32) -> &[u8] {
        let _ = addr;
        todo!("engine helper")
    }
    pub fn memory_mut(&mut self, addr: u32) -> &mut [u8] {
        let _ = addr;
        todo!("engine helper")
    }
    /// Grow by `delta` pages; the old size in pages, or `None` (wasm's -1).
    pub fn memory_grow(&mut self, addr: u32, delta: u64) -> Option<u64> {
        let _ = (addr, delta);
        todo!("engine helper")
    }
    pub fn global_get(&self, addr: u32) -> Value {
        let _ = addr;
        todo!("engine helper")
    }
    pub fn global_set(&mut self, addr: u32, v: Value) -> Result<()> {
        let _ = (addr, v);
        todo!("engine helper")
    }
    pub fn global_type(&self, addr: u32) -> GlobalType {
        let _ = addr;
        todo!("engine helper")
    }
    pub fn table_get(&self, addr: u32, index: u32) -> Option<Value> {
        let _ = (addr, index);
        todo!("engine helper")
    }
    pub fn table_size(&self, addr: u32) -> u32 {
        let _ = addr;
        todo!("engine helper")
    }
}
