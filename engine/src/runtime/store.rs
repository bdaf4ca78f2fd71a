//! The store: owns every runtime object. Addresses (`FuncAddr`, memory,
//! table and global addresses) are indices into its vectors.

use std::collections::HashMap;
use std::sync::Arc;

use wasmparser::{FuncType, GlobalType, MemoryType, TableType};

use super::memory::LinearMemory;
use super::{Extern, HostFunc, InstanceId, InterruptHandle, StoreConfig};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::Code;
use crate::module::{ConstExpr, ConstOp, DataMode, ElementMode, ExternKind, Module};
use crate::value::{FuncAddr, Value};

pub const PAGE_SIZE: u64 = 65536;

/// Largest table any engine creates or grows to, in elements (80 MB of
/// references): `table.grow` past it returns -1 in every engine.
pub const MAX_TABLE_ELEMS: u64 = 10_000_000;

pub(crate) enum FuncKind {
    Wasm {
        instance: InstanceId,
        index: u32,
        /// Translated on first call (or when a breakpoint is set in it).
        code: Option<Arc<Code>>,
    },
    Host(HostFunc),
}

pub(crate) struct FuncInst {
    pub ty: FuncType,
    /// Canonical (interned) type id: structural equality is id equality.
    pub type_id: u32,
    pub kind: FuncKind,
}

pub(crate) struct MemInst {
    pub ty: MemoryType,
    pub data: LinearMemory,
}

impl MemInst {
    /// Maximum size in pages, from the type and the store's limit.
    pub fn max_pages(&self, config: &StoreConfig) -> u64 {
        let by_config = config.max_memory_bytes / PAGE_SIZE;
        let by_spec = if self.ty.memory64 { 1 << 48 } else { 65536 };
        self.ty
            .maximum
            .unwrap_or(by_spec)
            .min(by_spec)
            .min(by_config)
    }
}

pub(crate) struct TableInst {
    pub ty: TableType,
    /// Encoded references: 0 is null, otherwise address + 1.
    pub elems: Vec<u64>,
}

impl TableInst {
    pub fn max(&self) -> u64 {
        self.ty
            .maximum
            .unwrap_or(u32::MAX as u64)
            .min(u32::MAX as u64)
    }
}

/// An exception tag. Tags are compared by address: each defined tag is new,
/// an imported one is the exporter's.
pub(crate) struct TagInst {
    /// The payload types (params; no results).
    pub ty: FuncType,
    /// Canonical id of `ty`.
    pub type_id: u32,
    /// The instance and tag index that defined it (`None`: made by the host).
    pub origin: Option<(InstanceId, u32)>,
}

/// A thrown exception (what an `exnref` points at): its tag and payload,
/// in the interpreter's slot encoding (see [`crate::value::Value::to_slots`];
/// a `v128` takes two slots). Exceptions are never freed yet: only those an
/// `exnref` or a legacy `catch` can see are allocated.
pub(crate) struct ExnInst {
    pub tag: u32,
    pub payload: Vec<u64>,
}

pub(crate) struct GlobalInst {
    pub ty: GlobalType,
    /// Slots: v128 uses both, everything else `bits[0]`.
    pub bits: [u64; 2],
}

pub(crate) struct InstanceData {
    pub module: Arc<Module>,
    pub funcs: Vec<FuncAddr>,
    pub tables: Vec<u32>,
    pub memories: Vec<u32>,
    pub globals: Vec<u32>,
    pub datas: Vec<u32>,
    pub elems: Vec<u32>,
    pub tags: Vec<u32>,
    /// Module type index -> canonical type id.
    pub type_ids: Vec<u32>,
    pub exports: HashMap<String, Extern>,
}

pub struct Store {
    pub config: StoreConfig,
    pub(crate) interrupt: InterruptHandle,
    /// By canonical type id (see `runtime/types.rs`): the function type
    /// (an empty one for struct and array types), the declared supertype,
    /// and the interned recursion groups.
    pub(crate) types: Vec<FuncType>,
    pub(crate) type_supers: Vec<Option<u32>>,
    pub(crate) type_groups: HashMap<Vec<u32>, u32>,
    /// By canonical type id: the layout of a struct or array type.
    pub(crate) gc_layouts: Vec<Option<Arc<super::gc::GcLayout>>>,
    /// GC objects (structs and arrays), see `runtime/gc.rs`.
    pub(crate) gc: super::gc::GcHeap,
    pub(crate) funcs: Vec<FuncInst>,
    pub(crate) tags: Vec<TagInst>,
    pub(crate) exns: Vec<ExnInst>,
    pub(crate) memories: Vec<MemInst>,
    pub(crate) tables: Vec<TableInst>,
    pub(crate) globals: Vec<GlobalInst>,
    pub(crate) instances: Vec<InstanceData>,
    /// Data segments (empty once dropped).
    pub(crate) datas: Vec<Arc<[u8]>>,
    /// Element segments as encoded references (empty once dropped).
    pub(crate) elems: Vec<Arc<[u64]>>,
    /// Per element segment: whether its items are `any` references (GC roots).
    pub(crate) elem_any: Vec<bool>,
    /// Conditions and ignore counts of patched breakpoints (`interp::pred`).
    pub(crate) break_checks: crate::interp::pred::BreakChecks,
    /// Which memory ops of translated code are patched for watchpoints
    /// (`interp/watch.rs`).
    pub(crate) watch_patch: crate::interp::WatchPatch,
    /// Whether translated code carries the per-block fuel patch
    /// (`interp/fuel.rs`).
    pub(crate) fuel_blocks: bool,
}

fn limit(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Limit, message)
}

impl Store {
    pub fn new(config: StoreConfig) -> Store {
        Store {
            config,
            interrupt: Default::default(),
            types: Vec::new(),
            type_supers: Vec::new(),
            gc_layouts: Vec::new(),
            gc: Default::default(),
            type_groups: HashMap::new(),
            funcs: Vec::new(),
            tags: Vec::new(),
            exns: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            instances: Vec::new(),
            datas: Vec::new(),
            elems: Vec::new(),
            elem_any: Vec::new(),
            break_checks: Default::default(),
            watch_patch: Default::default(),
            fuel_blocks: false,
        }
    }

    /// The flag that interrupts running code in any engine.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.interrupt.clone()
    }

    /// A new exception tag with payload types `ty`'s params (for the host;
    /// modules' tags are made by instantiation).
    pub fn add_tag(&mut self, ty: FuncType) -> u32 {
        let type_id = self.intern_type(&ty);
        self.tags.push(TagInst {
            ty,
            type_id,
            origin: None,
        });
        (self.tags.len() - 1) as u32
    }

    /// The payload types of tag `addr` (its function type; no results).
    pub fn tag_type(&self, addr: u32) -> &FuncType {
        &self.tags[addr as usize].ty
    }

    /// Where tag `addr` was defined: instance and tag index (`None` for the host's).
    pub fn tag_origin(&self, addr: u32) -> Option<(InstanceId, u32)> {
        self.tags[addr as usize].origin
    }

    /// Tag `addr`'s name in the module that defines it (name section, else
    /// an export name), when known.
    pub fn tag_name(&self, addr: u32) -> Option<String> {
        let (inst, i) = self.tag_origin(addr)?;
        self.instance_module(inst).tag_name(i).map(str::to_string)
    }

    /// Whether `any` reference `r` points at an array (`Some(true)`) or a
    /// struct (`Some(false)`); `None` for null, i31 or an external reference.
    pub fn gc_object_is_array(&self, r: u64) -> Option<bool> {
        let o = self.gc.get(r)?;
        Some(matches!(
            self.gc_layouts[o.ty as usize].as_deref(),
            Some(super::gc::GcLayout::Array(_))
        ))
    }

    /// Allocate an exception of tag `tag` with its payload in slots.
    pub fn alloc_exception(&mut self, tag: u32, payload: Vec<u64>) -> u32 {
        self.exns.push(ExnInst { tag, payload });
        (self.exns.len() - 1) as u32
    }

    /// Exception `addr` (an `exnref`): its tag's address and its payload.
    pub fn exception(&self, addr: u32) -> Option<(u32, Vec<Value>)> {
        let e = self.exns.get(addr as usize)?;
        let ty = &self.tags[e.tag as usize].ty;
        let mut at = 0;
        let payload = ty
            .params()
            .iter()
            .map(|&t| {
                let n = Value::slots(t);
                let v = Value::from_slots(t, &e.payload[at..at + n]);
                at += n;
                v
            })
            .collect();
        Some((e.tag, payload))
    }

    /// A description of exception `addr` for a trap: tag, its name, payload.
    pub(crate) fn exception_info(&self, addr: u32) -> Option<crate::trap::ExceptionInfo> {
        let (tag, payload) = self.exception(addr)?;
        let origin = self.tag_origin(tag);
        let tag_name =
            origin.and_then(|(inst, i)| self.instance_module(inst).tag_name(i).map(str::to_string));
        Some(crate::trap::ExceptionInfo {
            exn: addr,
            tag,
            tag_index: origin.map(|o| o.1),
            tag_name,
            payload,
        })
    }

    pub fn add_host_func(&mut self, ty: FuncType, f: HostFunc) -> FuncAddr {
        let type_id = self.intern_type(&ty);
        self.funcs.push(FuncInst {
            ty,
            type_id,
            kind: FuncKind::Host(f),
        });
        (self.funcs.len() - 1) as FuncAddr
    }

    pub fn add_memory(&mut self, ty: MemoryType) -> Result<u32> {
        let mut mem = MemInst {
            ty,
            data: LinearMemory::default(),
        };
        if ty.initial > mem.max_pages(&self.config) {
            return Err(limit(format!(
                "memory of {} pages exceeds the limit of {} bytes",
                ty.initial, self.config.max_memory_bytes
            )));
        }
        mem.data = LinearMemory::new((ty.initial * PAGE_SIZE) as usize).ok_or_else(|| {
            limit(format!(
                "cannot map a memory of {} pages (is the address space limited, e.g. `ulimit -v`?)",
                ty.initial
            ))
        })?;
        self.memories.push(mem);
        Ok((self.memories.len() - 1) as u32)
    }

    pub fn add_table(&mut self, ty: TableType, init: Value) -> Result<u32> {
        if ty.initial > MAX_TABLE_ELEMS {
            return Err(limit(format!(
                "table of {} elements is too large",
                ty.initial
            )));
        }
        let mut slot = [0u64; 2];
        init.to_slots(&mut slot);
        self.tables.push(TableInst {
            ty,
            elems: vec![slot[0]; ty.initial as usize],
        });
        Ok((self.tables.len() - 1) as u32)
    }

    pub fn add_global(&mut self, ty: GlobalType, value: Value) -> Result<u32> {
        if value.ty() != ty.content_type
            && !(matches!(ty.content_type, wasmparser::ValType::Ref(_))
                && matches!(value.ty(), wasmparser::ValType::Ref(_)))
        {
            return Err(Error::usage(format!(
                "global of type {} given a {} value",
                crate::value::valtype_name(ty.content_type),
                crate::value::valtype_name(value.ty())
            )));
        }
        let mut bits = [0u64; 2];
        value.to_slots(&mut bits[..Value::slots(ty.content_type)]);
        self.globals.push(GlobalInst { ty, bits });
        Ok((self.globals.len() - 1) as u32)
    }

    /// Evaluate a constant expression (a validated one: the operand types
    /// fit) on a small stack.
    fn eval_const(&mut self, inst: &InstanceData, e: &ConstExpr) -> Result<Value> {
        let mut stack: Vec<Value> = Vec::with_capacity(2);
        let bin32 = |s: &mut Vec<Value>, f: fn(i32, i32) -> i32| {
            let b = s.pop().and_then(|v| v.as_i32());
            let a = s.pop().and_then(|v| v.as_i32());
            let (Some(a), Some(b)) = (a, b) else {
                return Err(Error::instantiate("ill-typed constant expression"));
            };
            s.push(Value::I32(f(a, b)));
            Ok(())
        };
        let bin64 = |s: &mut Vec<Value>, f: fn(i64, i64) -> i64| {
            let b = s.pop().and_then(|v| v.as_i64());
            let a = s.pop().and_then(|v| v.as_i64());
            let (Some(a), Some(b)) = (a, b) else {
                return Err(Error::instantiate("ill-typed constant expression"));
            };
            s.push(Value::I64(f(a, b)));
            Ok(())
        };
        for op in &e.0 {
            match *op {
                ConstOp::I32Const(v) => stack.push(Value::I32(v)),
                ConstOp::I64Const(v) => stack.push(Value::I64(v)),
                ConstOp::F32Const(v) => stack.push(Value::F32(v)),
                ConstOp::F64Const(v) => stack.push(Value::F64(v)),
                ConstOp::V128Const(v) => stack.push(Value::V128(v)),
                ConstOp::RefNull(t) => stack.push(Value::default_for(wasmparser::ValType::Ref(t))),
                ConstOp::RefFunc(i) => stack.push(Value::FuncRef(Some(inst.funcs[i as usize]))),
                ConstOp::GlobalGet(g) => stack.push(self.global_get(inst.globals[g as usize])),
                ConstOp::I32Add => bin32(&mut stack, i32::wrapping_add)?,
                ConstOp::I32Sub => bin32(&mut stack, i32::wrapping_sub)?,
                ConstOp::I32Mul => bin32(&mut stack, i32::wrapping_mul)?,
                ConstOp::I64Add => bin64(&mut stack, i64::wrapping_add)?,
                ConstOp::I64Sub => bin64(&mut stack, i64::wrapping_sub)?,
                ConstOp::I64Mul => bin64(&mut stack, i64::wrapping_mul)?,
                ConstOp::RefI31 => {
                    let v = stack.pop().and_then(|v| v.as_i32()).unwrap_or(0);
                    stack.push(Value::AnyRef(Some(super::gc::i31_ref(v as u32))));
                }
                ConstOp::AnyConvertExtern => {
                    let mut s = [0u64];
                    stack
                        .pop()
                        .unwrap_or(Value::ExternRef(None))
                        .to_slots(&mut s);
                    let a = super::gc::any_from_extern(s[0]);
                    stack.push(Value::AnyRef((a != 0).then_some(a)));
                }
                ConstOp::ExternConvertAny => {
                    let mut s = [0u64];
                    stack.pop().unwrap_or(Value::AnyRef(None)).to_slots(&mut s);
                    let e = super::gc::extern_from_any(s[0]);
                    stack.push(Value::from_slots(wasmparser::ValType::EXTERNREF, &[e]));
                }
                ConstOp::StructNew(t)
                | ConstOp::StructNewDefault(t)
                | ConstOp::ArrayNew(t)
                | ConstOp::ArrayNewDefault(t)
                | ConstOp::ArrayNewFixed(t, _) => {
                    let ty = inst.type_ids[t as usize];
                    let Some(layout) = self.gc_layouts.get(ty as usize).cloned().flatten() else {
                        return Err(Error::instantiate("ill-typed constant expression"));
                    };
                    let to_slots = |v: Value, out: &mut Vec<u64>| {
                        let mut b = [0u64; 2];
                        let n = Value::slots(v.ty());
                        v.to_slots(&mut b[..n]);
                        out.extend_from_slice(&b[..n]);
                    };
                    let mut pop = |n: usize| -> Result<Vec<Value>> {
                        if stack.len() < n {
                            return Err(Error::instantiate("ill-typed constant expression"));
                        }
                        Ok(stack.split_off(stack.len() - n))
                    };
                    // An array past the heap limit is refused before its
                    // elements are made.
                    let too_big = |n: usize, st: &super::gc::Storage| -> Result<()> {
                        if n.saturating_mul(st.slots() as usize * 8) > super::gc::GC_HEAP_LIMIT {
                            return Err(Error::instantiate("GC heap exhausted"));
                        }
                        Ok(())
                    };
                    let slots = match (*op, &*layout) {
                        (ConstOp::StructNew(_), super::gc::GcLayout::Struct { fields, .. }) => {
                            let mut out = Vec::new();
                            for (v, (_, st)) in pop(fields.len())?.into_iter().zip(fields) {
                                let at = out.len();
                                to_slots(v, &mut out);
                                out[at] = st.wrap(out[at]);
                            }
                            out
                        }
                        (
                            ConstOp::StructNewDefault(_),
                            super::gc::GcLayout::Struct { slots, .. },
                        ) => {
                            vec![0; *slots as usize]
                        }
                        (ConstOp::ArrayNew(_), super::gc::GcLayout::Array(st)) => {
                            let v = pop(2)?;
                            let n = v[1].as_i32().unwrap_or(0) as u32 as usize;
                            too_big(n, st)?;
                            let mut one = Vec::new();
                            to_slots(v[0], &mut one);
                            one[0] = st.wrap(one[0]);
                            one.repeat(n)
                        }
                        (ConstOp::ArrayNewDefault(_), super::gc::GcLayout::Array(st)) => {
                            let n = pop(1)?[0].as_i32().unwrap_or(0) as u32 as usize;
                            too_big(n, st)?;
                            vec![0; n * st.slots() as usize]
                        }
                        (ConstOp::ArrayNewFixed(_, n), super::gc::GcLayout::Array(st)) => {
                            let mut out = Vec::new();
                            for v in pop(n as usize)? {
                                let at = out.len();
                                to_slots(v, &mut out);
                                out[at] = st.wrap(out[at]);
                            }
                            out
                        }
                        _ => return Err(Error::instantiate("ill-typed constant expression")),
                    };
                    let per = match &*layout {
                        super::gc::GcLayout::Array(st) => Some(st.slots()),
                        super::gc::GcLayout::Struct { .. } => None,
                    };
                    let r = self
                        .gc
                        .alloc(ty, per, &slots)
                        .map_err(|_| Error::instantiate("GC heap exhausted"))?;
                    stack.push(Value::AnyRef(Some(r)));
                }
            }
        }
        stack
            .pop()
            .ok_or_else(|| Error::instantiate("empty constant expression"))
    }

    /// Link and initialise an instance: allocate its objects, apply active
    /// element and data segments. Does NOT run the start function: it is
    /// returned so the caller can run it in any engine (and debug it).
    pub fn instantiate(
        &mut self,
        module: Arc<Module>,
        imports: &[Extern],
    ) -> Result<(InstanceId, Option<FuncAddr>)> {
        if imports.len() != module.imports.len() {
            return Err(Error::link(format!(
                "expected {} imports, got {}",
                module.imports.len(),
                imports.len()
            )));
        }
        let id = InstanceId(self.instances.len() as u32);
        let mut inst = InstanceData {
            module: module.clone(),
            funcs: Vec::new(),
            tables: Vec::new(),
            memories: Vec::new(),
            globals: Vec::new(),
            datas: Vec::new(),
            elems: Vec::new(),
            tags: Vec::new(),
            type_ids: Vec::new(),
            exports: HashMap::new(),
        };
        inst.type_ids = self.intern_module_types(&module);
        for (imp, ext) in module.imports.iter().zip(imports) {
            match (imp.kind, *ext) {
                (crate::module::ImportKind::Func(_), Extern::Func(a)) => inst.funcs.push(a),
                (crate::module::ImportKind::Table(_), Extern::Table(a)) => inst.tables.push(a),
                (crate::module::ImportKind::Memory(_), Extern::Memory(a)) => inst.memories.push(a),
                (crate::module::ImportKind::Global(_), Extern::Global(a)) => inst.globals.push(a),
                (crate::module::ImportKind::Tag(_), Extern::Tag(a)) => inst.tags.push(a),
                _ => {
                    return Err(Error::link(format!(
                        "incompatible import type for {}::{}",
                        imp.module, imp.name
                    )));
                }
            }
        }
        // Allocate everything first; nothing observable happens until the
        // segments are applied, and a failure there leaves the objects
        // allocated (as the spec says: they may be shared through imports).
        let first_func = self.funcs.len() as u32;
        for i in module.num_imported_funcs..module.num_funcs() {
            let ty = module.func_type(i).clone();
            let type_id = inst.type_ids[module.func_types[i as usize] as usize];
            self.funcs.push(FuncInst {
                ty,
                type_id,
                kind: FuncKind::Wasm {
                    instance: id,
                    index: i,
                    code: None,
                },
            });
            inst.funcs
                .push(first_func + (i - module.num_imported_funcs));
        }
        for (i, &ty) in module.tables[module.num_imported_tables as usize..]
            .iter()
            .enumerate()
        {
            let init = match module.table_inits.get(i).and_then(|e| e.as_ref()) {
                Some(e) => self.eval_const(&inst, e)?,
                None => Value::default_for(wasmparser::ValType::Ref(ty.element_type)),
            };
            inst.tables.push(self.add_table(ty, init)?);
        }
        for &ty in &module.memories[module.num_imported_memories as usize..] {
            inst.memories.push(self.add_memory(ty)?);
        }
        for (i, &ty) in module.globals[module.num_imported_globals as usize..]
            .iter()
            .enumerate()
        {
            let v = self.eval_const(&inst, &module.global_inits[i])?;
            inst.globals.push(self.add_global(ty, v)?);
        }
        for (i, &t) in module.tags[module.num_imported_tags as usize..]
            .iter()
            .enumerate()
        {
            self.tags.push(TagInst {
                ty: module.types[t as usize].clone(),
                type_id: inst.type_ids[t as usize],
                origin: Some((id, module.num_imported_tags + i as u32)),
            });
            inst.tags.push((self.tags.len() - 1) as u32);
        }
        for e in &module.exports {
            let ext = match e.kind {
                ExternKind::Func => Extern::Func(inst.funcs[e.index as usize]),
                ExternKind::Table => Extern::Table(inst.tables[e.index as usize]),
                ExternKind::Memory => Extern::Memory(inst.memories[e.index as usize]),
                ExternKind::Global => Extern::Global(inst.globals[e.index as usize]),
                ExternKind::Tag => Extern::Tag(inst.tags[e.index as usize]),
            };
            inst.exports.insert(e.name.clone(), ext);
        }
        for seg in &module.elements {
            let mut items = Vec::with_capacity(seg.items.len());
            for item in &seg.items {
                let mut s = [0u64; 2];
                self.eval_const(&inst, item)?.to_slots(&mut s);
                items.push(s[0]);
            }
            self.elems.push(items.into());
            self.elem_any
                .push(crate::value::ref_class(seg.ty) == crate::value::RefClass::Any);
            inst.elems.push((self.elems.len() - 1) as u32);
        }
        for seg in &module.datas {
            self.datas.push(module.bytes[seg.range.clone()].into());
            inst.datas.push((self.datas.len() - 1) as u32);
        }

        // Apply active segments in order: elements, then data.
        let mut failure = None;
        for (i, seg) in module.elements.iter().enumerate() {
            let addr = inst.elems[i] as usize;
            match &seg.mode {
                ElementMode::Active { table, offset } => {
                    let off = index_value(self.eval_const(&inst, offset)?);
                    let t = &mut self.tables[inst.tables[*table as usize] as usize];
                    let items = &self.elems[addr];
                    let end = off.saturating_add(items.len() as u64);
                    if end > t.elems.len() as u64 {
                        failure = Some("out of bounds table access");
                        break;
                    }
                    t.elems[off as usize..end as usize].copy_from_slice(items);
                    self.elems[addr] = Arc::from([]);
                }
                ElementMode::Declared => self.elems[addr] = Arc::from([]),
                ElementMode::Passive => {}
            }
        }
        if failure.is_none() {
            for (i, seg) in module.datas.iter().enumerate() {
                let addr = inst.datas[i] as usize;
                if let DataMode::Active { memory, offset } = &seg.mode {
                    let off = index_value(self.eval_const(&inst, offset)?);
                    let m = &mut self.memories[inst.memories[*memory as usize] as usize];
                    let bytes = &self.datas[addr];
                    let end = off.saturating_add(bytes.len() as u64);
                    if end > m.data.len() as u64 {
                        failure = Some("out of bounds memory access");
                        break;
                    }
                    m.data[off as usize..end as usize].copy_from_slice(bytes);
                    self.datas[addr] = Arc::from([]);
                }
            }
        }
        let start = module.start.map(|s| inst.funcs[s as usize]);
        self.instances.push(inst);
        if let Some(msg) = failure {
            return Err(Error::instantiate(msg));
        }
        Ok((id, start))
    }

    pub(crate) fn instance(&self, inst: InstanceId) -> &InstanceData {
        &self.instances[inst.0 as usize]
    }

    pub fn instance_module(&self, inst: InstanceId) -> &Arc<Module> {
        &self.instance(inst).module
    }
    pub fn instance_export(&self, inst: InstanceId, name: &str) -> Option<Extern> {
        self.instance(inst).exports.get(name).copied()
    }
    /// The address of a function by its index in the instance's module.
    pub fn instance_func(&self, inst: InstanceId, func_index: u32) -> FuncAddr {
        self.instance(inst).funcs[func_index as usize]
    }
    /// The instance's exported `memory`, else its memory 0.
    pub fn instance_memory(&self, inst: InstanceId) -> Option<u32> {
        let i = self.instance(inst);
        if let Some(Extern::Memory(m)) = i.exports.get("memory") {
            return Some(*m);
        }
        i.memories.first().copied()
    }
    pub fn instance_global(&self, inst: InstanceId, global_index: u32) -> u32 {
        self.instance(inst).globals[global_index as usize]
    }
    pub fn instance_table(&self, inst: InstanceId, table_index: u32) -> u32 {
        self.instance(inst).tables[table_index as usize]
    }
    /// The address of a memory by its index in the instance's module.
    pub fn instance_memory_at(&self, inst: InstanceId, memory_index: u32) -> u32 {
        self.instance(inst).memories[memory_index as usize]
    }
    pub fn num_instances(&self) -> u32 {
        self.instances.len() as u32
    }
    pub fn num_funcs(&self) -> u32 {
        self.funcs.len() as u32
    }

    pub fn func_type(&self, func: FuncAddr) -> &FuncType {
        &self.funcs[func as usize].ty
    }
    /// For a wasm function: its instance and index in that instance's module.
    pub fn func_origin(&self, func: FuncAddr) -> Option<(InstanceId, u32)> {
        match self.funcs.get(func as usize)?.kind {
            FuncKind::Wasm {
                instance, index, ..
            } => Some((instance, index)),
            FuncKind::Host(_) => None,
        }
    }

    pub fn memory(&self, addr: u32) -> &[u8] {
        &self.memories[addr as usize].data
    }
    pub fn memory_mut(&mut self, addr: u32) -> &mut [u8] {
        &mut self.memories[addr as usize].data
    }
    pub fn memory_type(&self, addr: u32) -> MemoryType {
        self.memories[addr as usize].ty
    }
    /// Grow by `delta` pages; the old size in pages, or `None` (wasm's -1).
    pub fn memory_grow(&mut self, addr: u32, delta: u64) -> Option<u64> {
        let m = &mut self.memories[addr as usize];
        let max = m.max_pages(&self.config);
        grow_memory(&mut m.data, max, delta)
    }
    pub fn global_get(&self, addr: u32) -> Value {
        let g = &self.globals[addr as usize];
        Value::from_slots(g.ty.content_type, &g.bits)
    }
    pub fn global_set(&mut self, addr: u32, v: Value) -> Result<()> {
        let g = &mut self.globals[addr as usize];
        if !v.fits(g.ty.content_type) {
            return Err(Error::usage(format!(
                "global of type {} given a {} value",
                crate::value::valtype_name(g.ty.content_type),
                crate::value::valtype_name(v.ty())
            )));
        }
        let n = Value::slots(g.ty.content_type);
        v.to_slots(&mut g.bits[..n]);
        Ok(())
    }
    pub fn global_type(&self, addr: u32) -> GlobalType {
        self.globals[addr as usize].ty
    }
    pub fn table_get(&self, addr: u32, index: u32) -> Option<Value> {
        let t = &self.tables[addr as usize];
        let bits = *t.elems.get(index as usize)?;
        Some(Value::from_slots(
            wasmparser::ValType::Ref(t.ty.element_type),
            &[bits],
        ))
    }
    /// A table's elements as raw bits (for saving an instance's state).
    pub fn table_elements(&self, addr: u32) -> &[u64] {
        &self.tables[addr as usize].elems
    }
    /// Put back elements saved with [`Store::table_elements`]; a table that
    /// grew since keeps its size (the new elements are left as they are).
    pub fn table_restore(&mut self, addr: u32, elems: &[u64]) {
        let t = &mut self.tables[addr as usize].elems;
        let n = elems.len().min(t.len());
        t[..n].copy_from_slice(&elems[..n]);
    }
    pub fn table_size(&self, addr: u32) -> u32 {
        self.tables[addr as usize].elems.len() as u32
    }
    pub fn table_type(&self, addr: u32) -> TableType {
        self.tables[addr as usize].ty
    }
}

/// A segment offset: an i32 (unsigned) or, for a 64-bit memory or table, an i64.
fn index_value(v: Value) -> u64 {
    match v {
        Value::I32(v) => v as u32 as u64,
        Value::I64(v) => v as u64,
        _ => u64::MAX,
    }
}

/// Grow a memory's bytes by `delta` pages up to `max_pages`; the old size in
/// pages, or `None` when refused.
pub(crate) fn grow_memory(data: &mut LinearMemory, max_pages: u64, delta: u64) -> Option<u64> {
    let old = data.len() as u64 / PAGE_SIZE;
    let new = old.checked_add(delta)?;
    if new > max_pages {
        return None;
    }
    if delta > 0 && !data.grow_to((new * PAGE_SIZE) as usize) {
        return None;
    }
    Some(old)
}
