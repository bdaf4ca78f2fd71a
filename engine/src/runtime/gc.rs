//! GC objects (Wasm 3.0 structs and arrays) and the encoding of `any`
//! references, shared by every engine.
//!
//! A reference of the `any` hierarchy is one 64-bit slot (0 is null):
//! - `i31`: `(value << 1) | 1` (odd);
//! - a struct or array: its byte offset in the [`GcHeap`] arena (a
//!   nonzero multiple of 8);
//! - an external reference made internal (`any.convert_extern`):
//!   `(externref slot << 2) | 2`.
//!
//! An `externref` slot is the host's reference + 1, or, for an internal
//! reference made external (`extern.convert_any`), the `any` slot with bit
//! 63 set. The two conversions undo each other exactly.
//!
//! An object is a header word (canonical type id, length) and its fields
//! (or elements) as slots, in the interpreter's slot encoding: a `v128`
//! takes two, a packed `i8`/`i16` one (kept zero-extended), an `i32` or
//! `f32` its bits zero-extended. Objects live in one arena ([`GcHeap`]),
//! which refuses to grow past [`GC_HEAP_LIMIT`].

use wasmparser::{CompositeInnerType, StorageType, SubType};

use crate::module::Module;
use crate::value::{RefClass, ValType, Value, ref_class};

/// Largest GC heap, in bytes (objects' slots plus a header each): an
/// allocation past it traps with "GC heap exhausted".
pub const GC_HEAP_LIMIT: usize = 1 << 30;

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

/// A struct or an array, read in place: its canonical type id and its
/// fields or elements as slots.
#[derive(Debug, Clone, Copy)]
pub struct GcObject<'a> {
    /// Canonical type id.
    pub ty: u32,
    /// Struct fields or array elements, as slots.
    pub slots: &'a [u64],
}

/// A struct or an array, to write.
#[derive(Debug)]
pub struct GcObjectMut<'a> {
    pub ty: u32,
    pub slots: &'a mut [u64],
}

/// The part of the heap generated code reads and writes (`#[repr(C)]`,
/// boxed so its address never changes; the JIT's vmctx points at it):
/// JIT code allocates by bumping `cursor` up to `limit` and reads objects
/// at `base + reference`.
#[repr(C)]
#[derive(Debug)]
pub struct GcCtl {
    /// Address of the arena's first word (moves when the arena grows, only
    /// inside an allocation's slow path).
    pub base: u64,
    /// Byte offset of the next allocation in the current free run.
    pub cursor: u64,
    /// Byte offset of the end of the current free run.
    pub limit: u64,
    /// Address of the parent table ([`GcHeap::parents`]).
    pub parents: u64,
}

/// The header word of an object: its canonical type id (low 31 bits; bit
/// 31 set for an array of two-slot elements) and its length (high 32 bits:
/// slots for a struct, elements for an array). A free run's header is
/// [`FREE`] with its size in words.
const FREE: u32 = 0x7fff_ffff;
const TWO_SLOTS: u32 = 1 << 31;
/// Byte offset of the first object: offset 0 is never a reference (null).
const HEAP_START: usize = 8;
/// Words the arena grows by at least when no free run is big enough.
const CHUNK_WORDS: usize = 32 << 10;

/// Every GC object of a store, and its collector.
///
/// Objects live in one arena of 64-bit words (`words`); a reference is an
/// object's byte offset in it (a multiple of 8, at least [`HEAP_START`]),
/// so references survive the arena growing (and moving). Each object is a
/// header word and its slots. Allocation bumps a cursor through the
/// current free run (generated code does it inline; the slow path here
/// takes the next free run left by the last sweep, or grows the arena).
/// Collection is mark-sweep and non-moving: marks from roots the caller
/// gives (every `any` slot of the running interpreter's stacks or JIT
/// frames, from the stack maps, and the store's globals, tables, element
/// segments and exception payloads) through the fields the layouts mark
/// as references, then sweeps the arena, joining adjacent dead objects
/// into free runs that allocation bumps through in address order.
#[derive(Debug)]
pub struct GcHeap {
    words: Vec<u64>,
    pub(crate) ctl: Box<GcCtl>,
    /// Free runs left by the last sweep, as byte ranges, in reverse order
    /// (the next one last).
    holes: Vec<(u64, u64)>,
    /// Bytes of the arena in use (its size), against [`GC_HEAP_LIMIT`].
    pub(crate) bytes: usize,
    /// Bytes allocated since the last collection, up to the start of the
    /// current free run (`region_start`; what is bumped past it counts too).
    since_gc: usize,
    /// Byte offset where the current free run started.
    region_start: u64,
    /// A collection is due when the bytes allocated since the last one
    /// pass this.
    pub(crate) next_gc: usize,
    /// Bytes live after the last collection.
    live: usize,
    /// The supertype of each canonical type id (`u32::MAX`: none), for the
    /// casts generated code makes inline (`GcCtl::parents`).
    parents: Vec<u32>,
    /// Collections run so far.
    pub collections: u64,
    /// Nonzero while an engine runs code above frames the collector cannot
    /// read (the JIT's debug hook running the interpreter): collections
    /// are put off.
    pub(crate) foreign_frames: u32,
}

impl Default for GcHeap {
    fn default() -> Self {
        let mut h = GcHeap {
            words: Vec::new(),
            ctl: Box::new(GcCtl {
                base: 0,
                cursor: 0,
                limit: 0,
                parents: 0,
            }),
            holes: Vec::new(),
            bytes: 0,
            since_gc: 0,
            region_start: 0,
            next_gc: MIN_GC_BYTES,
            live: 0,
            parents: Vec::new(),
            collections: 0,
            foreign_frames: 0,
        };
        h.ctl.parents = h.parents.as_ptr() as u64;
        h
    }
}

/// Allocation between collections below which none runs.
const MIN_GC_BYTES: usize = 4 << 20;

/// Why an allocation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapExhausted;

fn header(ty: u32, len: u32) -> u64 {
    ty as u64 | (len as u64) << 32
}

impl GcHeap {
    /// Bytes an object of `slots` slots takes.
    pub fn size_of(slots: usize) -> usize {
        (slots + 1) * 8
    }

    /// Whether a collection is due before the next allocation.
    pub fn wants_collection(&self, _size: usize) -> bool {
        self.allocated() > self.next_gc
    }

    /// Bytes allocated since the last collection.
    fn allocated(&self) -> usize {
        self.since_gc + (self.ctl.cursor - self.region_start) as usize
    }

    /// Make `lo..hi` the current free run, at most as much of it as the
    /// allocation left before the next collection (at least `size` and
    /// 64 KiB), so generated code, which only checks at the end of a run,
    /// collects on time; the rest stays a free run for later.
    fn take_run(&mut self, lo: u64, hi: u64, size: u64) {
        self.since_gc = self.allocated();
        let budget = (self.next_gc.saturating_sub(self.since_gc) as u64)
            .max(size)
            .max(64 << 10)
            .next_multiple_of(8);
        let end = if hi - lo > budget {
            self.fill(lo + budget, hi);
            self.holes.push((lo + budget, hi));
            lo + budget
        } else {
            hi
        };
        self.region_start = lo;
        self.ctl.cursor = lo;
        self.ctl.limit = end;
    }

    /// Record canonical type `id`'s supertype (types are interned in id
    /// order).
    pub(crate) fn add_type(&mut self, id: u32, parent: Option<u32>) {
        debug_assert_eq!(id as usize, self.parents.len());
        self.parents.push(parent.unwrap_or(u32::MAX));
        self.ctl.parents = self.parents.as_ptr() as u64;
    }

    /// Take `size` bytes for a new object (the slow path of the bump
    /// allocation JIT code makes inline): its byte offset.
    fn reserve(&mut self, size: usize) -> Result<usize, HeapExhausted> {
        let size = size as u64;
        loop {
            let c = &mut *self.ctl;
            if c.limit - c.cursor >= size {
                let at = c.cursor;
                c.cursor += size;
                return Ok(at as usize);
            }
            // Leave the rest of this run walkable, take the next one.
            self.fill(self.ctl.cursor, self.ctl.limit);
            match self.holes.pop() {
                Some((lo, hi)) => self.take_run(lo, hi, size),
                None => {
                    // Grow the arena by a chunk (or the object).
                    let lo = self.words.len().max(HEAP_START / 8);
                    let grow = (size as usize / 8).max(CHUNK_WORDS);
                    if (lo + grow) * 8 > GC_HEAP_LIMIT {
                        // What is left, if the object fits in it.
                        let rest = (GC_HEAP_LIMIT / 8).saturating_sub(lo);
                        if rest * 8 < size as usize {
                            self.ctl.cursor = 0;
                            self.ctl.limit = 0;
                            return Err(HeapExhausted);
                        }
                        self.grow_to(lo + rest);
                    } else {
                        self.grow_to(lo + grow);
                    }
                    let hi = self.words.len() as u64 * 8;
                    self.take_run(lo as u64 * 8, hi, size);
                }
            }
        }
    }

    fn grow_to(&mut self, words: usize) {
        self.words.resize(words, 0);
        self.ctl.base = self.words.as_mut_ptr() as u64;
        self.bytes = words * 8;
    }

    /// Mark `lo..hi` (byte offsets) as a free run.
    fn fill(&mut self, lo: u64, hi: u64) {
        if lo < hi {
            self.words[lo as usize / 8] = header(FREE, ((hi - lo) / 8) as u32);
        }
    }

    /// Allocate an object of canonical type `ty` with `slots`; `per`: for
    /// an array, the slots of one element (1 or 2); `None` for a struct.
    /// Its `any` reference.
    pub fn alloc(
        &mut self,
        ty: u32,
        per: Option<u32>,
        slots: &[u64],
    ) -> Result<u64, HeapExhausted> {
        let at = self.reserve(Self::size_of(slots.len()))?;
        let (tag, len) = match per {
            Some(2) => (ty | TWO_SLOTS, slots.len() / 2),
            Some(_) | None => (ty, slots.len()),
        };
        let w = at / 8;
        self.words[w] = header(tag, len as u32);
        self.words[w + 1..w + 1 + slots.len()].copy_from_slice(slots);
        Ok(at as u64)
    }

    /// Allocate an object whose slots are all `init` repeated (`init.len()`
    /// slots per element), as [`alloc`](Self::alloc).
    pub fn alloc_repeat(
        &mut self,
        ty: u32,
        per: Option<u32>,
        init: &[u64],
        n: usize,
    ) -> Result<u64, HeapExhausted> {
        let total = init
            .len()
            .checked_mul(n)
            .filter(|&t| t * 8 < GC_HEAP_LIMIT)
            .ok_or(HeapExhausted)?;
        let at = self.reserve(Self::size_of(total))?;
        let (tag, len) = match per {
            Some(2) => (ty | TWO_SLOTS, total / 2),
            Some(_) | None => (ty, total),
        };
        let w = at / 8;
        self.words[w] = header(tag, len as u32);
        if init.iter().all(|&v| v == 0) {
            self.words[w + 1..w + 1 + total].fill(0);
        } else {
            for c in self.words[w + 1..w + 1 + total].chunks_exact_mut(init.len().max(1)) {
                c.copy_from_slice(init);
            }
        }
        Ok(at as u64)
    }

    /// The header word and slot range of the object at reference `r`,
    /// checked to lie in the arena (a stale reference may point anywhere).
    fn locate(&self, r: u64) -> Option<(u32, std::ops::Range<usize>)> {
        object_index(r)?;
        let w = r as usize / 8;
        let h = *self.words.get(w)?;
        let tag = h as u32;
        if tag == FREE {
            return None;
        }
        let len = (h >> 32) as usize;
        let n = if tag & TWO_SLOTS != 0 { len * 2 } else { len };
        let end = (w + 1).checked_add(n).filter(|&e| e <= self.words.len())?;
        Some((tag & !TWO_SLOTS, w + 1..end))
    }

    /// The object an `any` reference points at (`None`: null, i31 or an
    /// external reference).
    pub fn get(&self, r: u64) -> Option<GcObject<'_>> {
        let (ty, at) = self.locate(r)?;
        Some(GcObject {
            ty,
            slots: &self.words[at],
        })
    }

    pub fn get_mut(&mut self, r: u64) -> Option<GcObjectMut<'_>> {
        let (ty, at) = self.locate(r)?;
        Some(GcObjectMut {
            ty,
            slots: &mut self.words[at],
        })
    }

    /// Two different objects, the first to write (`array.copy`).
    pub fn get_two(&mut self, dst: u64, src: u64) -> Option<(GcObjectMut<'_>, GcObject<'_>)> {
        let (dty, d) = self.locate(dst)?;
        let (sty, s) = self.locate(src)?;
        if d.start == s.start {
            return None;
        }
        if d.start < s.start {
            let (a, b) = self.words.split_at_mut(s.start);
            Some((
                GcObjectMut {
                    ty: dty,
                    slots: &mut a[d],
                },
                GcObject {
                    ty: sty,
                    slots: &b[..s.len()],
                },
            ))
        } else {
            let (a, b) = self.words.split_at_mut(d.start);
            Some((
                GcObjectMut {
                    ty: dty,
                    slots: &mut b[..d.len()],
                },
                GcObject {
                    ty: sty,
                    slots: &a[s],
                },
            ))
        }
    }

    /// Number of live (not yet freed) objects: a walk over the arena.
    pub fn len(&self) -> usize {
        let mut n = 0;
        self.walk(|_, free, _| n += !free as usize);
        n
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every block of the arena up to the current free run's end, in
    /// order: `f(word, free, words)`.
    fn walk(&self, mut f: impl FnMut(usize, bool, usize)) {
        let mut w = HEAP_START / 8;
        let end = self.words.len();
        while w < end {
            if w * 8 == self.ctl.cursor as usize && self.ctl.cursor < self.ctl.limit {
                let n = (self.ctl.limit - self.ctl.cursor) as usize / 8;
                f(w, true, n);
                w += n;
                continue;
            }
            let h = self.words[w];
            let tag = h as u32;
            let len = (h >> 32) as usize;
            let n = if tag == FREE {
                len
            } else if tag & TWO_SLOTS != 0 {
                1 + 2 * len
            } else {
                1 + len
            };
            f(w, tag == FREE, n.max(1));
            w += n.max(1);
        }
    }

    /// Mark everything reachable from `roots` (any slots; others are
    /// ignored) and free the rest. `layouts` by canonical type id.
    pub fn collect(&mut self, roots: &[u64], layouts: &[Option<std::sync::Arc<GcLayout>>]) {
        // The current run becomes walkable; sweeping makes new runs.
        self.fill(self.ctl.cursor, self.ctl.limit);
        self.ctl.cursor = 0;
        self.ctl.limit = 0;
        self.region_start = 0;
        let mut marks = vec![0u64; self.words.len().div_ceil(64)];
        let mut work: Vec<u64> = Vec::new();
        let words = &self.words;
        let push = |r: u64, marks: &mut Vec<u64>, work: &mut Vec<u64>| {
            if object_index(r).is_some() {
                let w = r as usize / 8;
                if w < words.len() {
                    let (i, b) = (w / 64, 1u64 << (w % 64));
                    if marks[i] & b == 0 {
                        marks[i] |= b;
                        work.push(r);
                    }
                }
            }
        };
        for &r in roots {
            push(r, &mut marks, &mut work);
        }
        while let Some(r) = work.pop() {
            let Some(o) = self.get(r) else {
                continue;
            };
            match layouts.get(o.ty as usize).and_then(|l| l.as_deref()) {
                Some(GcLayout::Struct { fields, .. }) => {
                    for &(off, s) in fields {
                        if matches!(s, Storage::Val { gc_ref: true, .. }) {
                            push(o.slots[off as usize], &mut marks, &mut work);
                        }
                    }
                }
                Some(GcLayout::Array(Storage::Val { gc_ref: true, .. })) => {
                    for &r in o.slots {
                        push(r, &mut marks, &mut work);
                    }
                }
                _ => {}
            }
        }
        // Sweep: join dead objects and free runs into runs.
        let mut runs: Vec<(u64, u64)> = Vec::new();
        let mut live = 0;
        let mut open: Option<usize> = None;
        let mut blocks = Vec::new();
        self.walk(|w, free, n| blocks.push((w, free, n)));
        for (w, free, n) in blocks {
            let marked = !free && marks[w / 64] & (1 << (w % 64)) != 0;
            if marked {
                live += n * 8;
                if let Some(lo) = open.take() {
                    runs.push((lo as u64 * 8, w as u64 * 8));
                }
            } else if open.is_none() {
                open = Some(w);
            }
        }
        if let Some(lo) = open {
            runs.push((lo as u64 * 8, self.words.len() as u64 * 8));
        }
        for &(lo, hi) in &runs {
            self.fill(lo, hi);
        }
        runs.reverse();
        self.holes = runs;
        self.live = live;
        self.since_gc = 0;
        self.next_gc = live.max(MIN_GC_BYTES);
        self.collections += 1;
    }

    /// Give up this collection: ask again after as much allocation again.
    pub(crate) fn postpone(&mut self) {
        self.next_gc = self.allocated().saturating_mul(2).max(MIN_GC_BYTES);
    }
}

/// The object index of an `any` reference, if it points at an object:
/// its word in the heap's arena (stable while it lives).
pub fn object_index(r: u64) -> Option<u32> {
    (r != 0 && r & 7 == 0).then_some((r >> 3) as u32)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn layouts() -> Vec<Option<Arc<GcLayout>>> {
        let r = Storage::Val {
            slots: 1,
            bytes: 8,
            gc_ref: true,
        };
        vec![
            // 0: a cell (i32, ref)
            Some(Arc::new(GcLayout::Struct {
                fields: vec![(0, Storage::I8), (1, r)],
                slots: 2,
            })),
            // 1: an array of v128
            Some(Arc::new(GcLayout::Array(Storage::Val {
                slots: 2,
                bytes: 16,
                gc_ref: false,
            }))),
        ]
    }

    #[test]
    fn collection_frees_unreachable_objects_and_reuses_their_space() {
        let l = layouts();
        let mut h = GcHeap::default();
        let keep = h.alloc(0, None, &[7, 0]).unwrap();
        let inner = h.alloc(0, None, &[8, 0]).unwrap();
        h.get_mut(keep).unwrap().slots[1] = inner;
        let arr = h.alloc_repeat(1, Some(2), &[1, 2], 3).unwrap();
        assert_eq!(h.get(arr).unwrap().slots, &[1, 2, 1, 2, 1, 2]);
        assert_eq!(h.get(arr).unwrap().ty, 1);
        let mut dead = Vec::new();
        for i in 0..1000 {
            dead.push(h.alloc(0, None, &[i, 0]).unwrap());
        }
        assert_eq!(h.len(), 1003);
        h.collect(&[keep], &l);
        assert_eq!(h.len(), 2, "the cell and what it points at");
        assert_eq!(h.get(keep).unwrap().slots, &[7, inner]);
        assert_eq!(h.get(inner).unwrap().slots[0], 8);
        // The first free run starts where the array was: reused.
        let again = h.alloc(0, None, &[9, 0]).unwrap();
        assert_eq!(again, arr);
        assert_eq!(h.len(), 3);
        // Stale and bogus references read as no object, never a panic.
        // (a stale one may point into a reused run: whatever it reads)
        let _ = h.get(dead[500]);
        assert!(h.get(1 << 40).is_none());
        assert!(h.get(0).is_none());
        assert!(h.get(i31_ref(5)).is_none());
    }

    #[test]
    fn a_churn_keeps_the_arena_bounded() {
        let l = layouts();
        let mut h = GcHeap::default();
        let mut last = 0;
        for i in 0..2_000_000u64 {
            if h.wants_collection(0) {
                h.collect(&[last], &l);
            }
            last = h
                .alloc(0, None, &[i & 0xff, last * (i % 3 != 0) as u64])
                .unwrap();
        }
        assert!(h.collections > 5);
        assert!(h.bytes < 8 << 20, "{} bytes", h.bytes);
        assert_eq!(h.get(last).unwrap().slots[0], (2_000_000 - 1) & 0xff);
    }

    #[test]
    fn array_copy_between_two_objects_in_either_order() {
        let mut h = GcHeap::default();
        let a = h.alloc(0, None, &[1, 2]).unwrap();
        let b = h.alloc(0, None, &[3, 4]).unwrap();
        let (d, s) = h.get_two(a, b).unwrap();
        d.slots.copy_from_slice(s.slots);
        let (d, s) = h.get_two(b, a).unwrap();
        assert_eq!(d.slots, s.slots);
        assert!(h.get_two(a, a).is_none());
    }
}
