//! GC objects (Wasm 3.0 structs and arrays) and the encoding of `any`
//! references, shared by every engine.
//!
//! A reference of the `any` hierarchy is one 64-bit slot (0 is null):
//! - `i31`: `(value << 1) | 1` (odd);
//! - a struct or array: `(index + 1) << 2` (low bits `00`), `index` in
//!   [`GcHeap`];
//! - an external reference made internal (`any.convert_extern`):
//!   `(externref slot << 2) | 2`.
//!
//! An `externref` slot is the host's reference + 1, or, for an internal
//! reference made external (`extern.convert_any`), the `any` slot with bit
//! 63 set. The two conversions undo each other exactly.
//!
//! An object is its canonical type id and its fields (or elements) as
//! slots, in the interpreter's slot encoding: a `v128` takes two, a packed
//! `i8`/`i16` one (kept zero-extended). The heap counts the bytes it holds
//! and refuses an allocation past [`GC_HEAP_LIMIT`].

use wasmparser::{CompositeInnerType, StorageType, SubType};

use crate::module::Module;
use crate::value::{RefClass, ValType, Value, ref_class};

/// Largest GC heap, in bytes (objects' slots plus a header each): an
/// allocation past it traps with "GC heap exhausted".
pub const GC_HEAP_LIMIT: usize = 1 << 30;

/// Bytes counted for an object besides its slots.
const HEADER_BYTES: usize = 32;

/// How a field or an array element is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    I8,
    I16,
    /// A value of that many slots (1, or 2 for `v128`) and bytes (in a data
    /// segment: 4, 8 or 16); `gc_ref`: an `any` reference (what a
    /// collector follows).
    Val {
        slots: u32,
        bytes: u32,
        gc_ref: bool,
    },
}

impl Storage {
    pub fn slots(self) -> u32 {
        match self {
            Storage::I8 | Storage::I16 => 1,
            Storage::Val { slots, .. } => slots,
        }
    }

    /// Bytes of one element in a data segment (`array.new_data`).
    pub fn bytes(self) -> usize {
        match self {
            Storage::I8 => 1,
            Storage::I16 => 2,
            Storage::Val { bytes, .. } => bytes as usize,
        }
    }

    /// Truncate a value to the storage (a packed field keeps its low bits).
    pub fn wrap(self, v: u64) -> u64 {
        match self {
            Storage::I8 => v & 0xff,
            Storage::I16 => v & 0xffff,
            Storage::Val { .. } => v,
        }
    }

    /// Read a stored slot as an operand: sign- or zero-extended for packed
    /// storage (`signed`), as is otherwise.
    pub fn extend(self, v: u64, signed: bool) -> u64 {
        match (self, signed) {
            (Storage::I8, true) => v as u8 as i8 as i32 as u32 as u64,
            (Storage::I16, true) => v as u16 as i16 as i32 as u32 as u64,
            _ => v,
        }
    }
}

/// The layout of a struct or array type, by canonical type id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GcLayout {
    Struct {
        /// Each field's first slot and storage.
        fields: Vec<(u32, Storage)>,
        slots: u32,
    },
    Array(Storage),
}

fn storage(module: &Module, t: StorageType) -> Storage {
    match t {
        StorageType::I8 => Storage::I8,
        StorageType::I16 => Storage::I16,
        StorageType::Val(v) => Storage::Val {
            slots: Value::slots(v) as u32,
            bytes: match v {
                ValType::I32 | ValType::F32 => 4,
                ValType::V128 => 16,
                _ => 8,
            },
            gc_ref: match v {
                ValType::Ref(r) => match r.heap_type() {
                    wasmparser::HeapType::Concrete(wasmparser::UnpackedIndex::Module(i)) => {
                        !matches!(
                            module
                                .sub_types
                                .get(i as usize)
                                .map(|s| &s.composite_type.inner),
                            Some(CompositeInnerType::Func(_))
                        )
                    }
                    wasmparser::HeapType::Concrete(_) | wasmparser::HeapType::Exact(_) => true,
                    _ => ref_class(r) == RefClass::Any,
                },
                _ => false,
            },
        },
    }
}

/// The layout of a module's sub type (`None` for a function type).
pub(crate) fn layout_of(module: &Module, st: &SubType) -> Option<GcLayout> {
    match &st.composite_type.inner {
        CompositeInnerType::Struct(s) => {
            let mut at = 0;
            let fields = s
                .fields
                .iter()
                .map(|f| {
                    let s = storage(module, f.element_type);
                    let off = at;
                    at += s.slots();
                    (off, s)
                })
                .collect();
            Some(GcLayout::Struct { fields, slots: at })
        }
        CompositeInnerType::Array(a) => Some(GcLayout::Array(storage(module, a.0.element_type))),
        _ => None,
    }
}

/// A struct or an array.
#[derive(Debug)]
pub struct GcObject {
    /// Canonical type id.
    pub ty: u32,
    /// Struct fields or array elements, as slots.
    pub slots: Vec<u64>,
}

impl GcObject {
    fn size(&self) -> usize {
        self.slots.len() * 8 + HEADER_BYTES
    }
}

/// Every GC object of a store, and its mark-sweep collector.
///
/// Objects never move: a reference is an index into `objects`, whose free
/// entries (`None`) are reused. A collection marks from roots the caller
/// gives (every `any` slot of the running interpreter's stacks, from the
/// stack maps, and the store's globals, tables, element segments and
/// exception payloads) through the fields the layouts mark as references,
/// then frees what is unmarked.
#[derive(Debug)]
pub struct GcHeap {
    pub(crate) objects: Vec<Option<GcObject>>,
    free: Vec<u32>,
    /// Bytes held (slots and headers), against [`GC_HEAP_LIMIT`].
    pub(crate) bytes: usize,
    /// A collection is due when `bytes` would pass this.
    pub(crate) next_gc: usize,
    /// Collections run so far.
    pub collections: u64,
    /// Nonzero while an engine runs code above frames the collector cannot
    /// read (the JIT's debug hook running the interpreter): collections
    /// are put off.
    pub(crate) foreign_frames: u32,
}

impl Default for GcHeap {
    fn default() -> Self {
        GcHeap {
            objects: Vec::new(),
            free: Vec::new(),
            bytes: 0,
            next_gc: MIN_GC_BYTES,
            collections: 0,
            foreign_frames: 0,
        }
    }
}

/// The heap size below which no collection runs.
const MIN_GC_BYTES: usize = 4 << 20;

/// Why an allocation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapExhausted;

impl GcHeap {
    /// Bytes an object of `slots` slots takes.
    pub fn size_of(slots: usize) -> usize {
        slots * 8 + HEADER_BYTES
    }

    /// Whether allocating `size` more bytes should collect first.
    pub fn wants_collection(&self, size: usize) -> bool {
        self.bytes + size > self.next_gc
    }

    /// Allocate an object; its `any` reference.
    pub fn alloc(&mut self, ty: u32, slots: Vec<u64>) -> Result<u64, HeapExhausted> {
        let size = Self::size_of(slots.len());
        if self.bytes + size > GC_HEAP_LIMIT {
            return Err(HeapExhausted);
        }
        self.bytes += size;
        let obj = Some(GcObject { ty, slots });
        let index = match self.free.pop() {
            Some(i) => {
                self.objects[i as usize] = obj;
                i
            }
            None => {
                self.objects.push(obj);
                self.objects.len() as u32 - 1
            }
        };
        Ok(object_ref(index))
    }

    /// The object an `any` reference points at (`None`: null, i31 or an
    /// external reference).
    pub fn get(&self, r: u64) -> Option<&GcObject> {
        self.objects.get(object_index(r)? as usize)?.as_ref()
    }

    pub fn get_mut(&mut self, r: u64) -> Option<&mut GcObject> {
        self.objects.get_mut(object_index(r)? as usize)?.as_mut()
    }

    /// Number of live (not yet freed) objects.
    pub fn len(&self) -> usize {
        self.objects.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Mark everything reachable from `roots` (any slots; others are
    /// ignored) and free the rest. `layouts` by canonical type id.
    pub fn collect(&mut self, roots: &[u64], layouts: &[Option<std::sync::Arc<GcLayout>>]) {
        let mut marks = vec![false; self.objects.len()];
        let mut work: Vec<u32> = Vec::new();
        let push = |r: u64, marks: &mut Vec<bool>, work: &mut Vec<u32>| {
            if let Some(i) = object_index(r)
                && let Some(m) = marks.get_mut(i as usize)
                && !*m
            {
                *m = true;
                work.push(i);
            }
        };
        for &r in roots {
            push(r, &mut marks, &mut work);
        }
        while let Some(i) = work.pop() {
            let Some(o) = &self.objects[i as usize] else {
                continue;
            };
            match layouts[o.ty as usize].as_deref() {
                Some(GcLayout::Struct { fields, .. }) => {
                    for &(off, s) in fields {
                        if matches!(s, Storage::Val { gc_ref: true, .. }) {
                            push(o.slots[off as usize], &mut marks, &mut work);
                        }
                    }
                }
                Some(GcLayout::Array(Storage::Val { gc_ref: true, .. })) => {
                    for &r in &o.slots {
                        push(r, &mut marks, &mut work);
                    }
                }
                _ => {}
            }
        }
        let mut live = 0;
        for (i, (o, m)) in self.objects.iter_mut().zip(&marks).enumerate() {
            match o {
                Some(obj) if *m => live += obj.size(),
                Some(_) => {
                    *o = None;
                    self.free.push(i as u32);
                }
                None => {}
            }
        }
        self.bytes = live;
        self.next_gc = (live * 2).max(MIN_GC_BYTES);
        self.collections += 1;
    }
}

/// The `any` reference of object `index`.
pub fn object_ref(index: u32) -> u64 {
    (index as u64 + 1) << 2
}

/// The object index of an `any` reference, if it points at an object.
pub fn object_index(r: u64) -> Option<u32> {
    (r != 0 && r & 3 == 0).then(|| ((r >> 2) - 1) as u32)
}

/// `ref.i31`.
pub fn i31_ref(v: u32) -> u64 {
    ((v as u64 & 0x7fff_ffff) << 1) | 1
}

/// The value of an `i31` reference, if it is one.
pub fn i31_value(r: u64) -> Option<u32> {
    (r & 1 == 1).then_some((r >> 1) as u32)
}

/// Whether an `any` reference is an external reference made internal.
pub fn is_extern_in_any(r: u64) -> bool {
    r & 3 == 2
}

/// `any.convert_extern` of an `externref` slot.
pub fn any_from_extern(e: u64) -> u64 {
    if e == 0 {
        0
    } else if e & (1 << 63) != 0 {
        e & !(1 << 63)
    } else {
        (e << 2) | 2
    }
}

/// `extern.convert_any` of an `any` slot.
pub fn extern_from_any(a: u64) -> u64 {
    if a == 0 {
        0
    } else if is_extern_in_any(a) {
        a >> 2
    } else {
        a | (1 << 63)
    }
}
