//! Compilation units, parsed lazily: unit headers at load, a unit's DIEs and
//! ranges on first use, its line table and function list on first query.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use gimli::{AttributeValue, Reader as _, UnitOffset};
use wdb_engine::Module;

use super::{
    FrameAccess, FunctionInfo, InlineFrame, InlineInstance, LineMatch, R, SourceLoc, VarInfo,
    VarValue,
};

mod cu;
mod files;
mod lines;

pub(crate) use files::attr_to_string;
use files::{
    dwo_candidates, join_path, load_file_sections, normalize_path, path_matches, reader_for,
};

/// Deepest DIE nesting we walk (guards against malformed, cyclic input).
const MAX_DIE_DEPTH: usize = 64;

/// Where a variable lives at one `code_offset`, already resolved through its
/// location list.
#[derive(Debug, Clone)]
pub(crate) enum VarLocation {
    Expr(gimli::Expression<R>),
    /// `DW_AT_const_value`: the bytes of the value (little-endian).
    Const(Vec<u8>),
    OptimizedOut,
}

/// A type DIE: types may live in another unit (`DW_FORM_ref_addr`, as LTO
/// and TinyGo emit), so a type carries its unit.
#[derive(Clone)]
pub(crate) struct Ty {
    pub cu: Arc<Cu>,
    pub off: UnitOffset,
}

impl fmt::Debug for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ty({:#x})", self.off.0)
    }
}

struct UnitSlot {
    header: gimli::UnitHeader<R>,
    cu: OnceLock<Option<Arc<Cu>>>,
}

/// A parsed compilation unit.
pub(crate) struct Cu {
    /// The DWARF the DIEs live in: the module's, or a split unit's (`.dwp`/`.dwo`).
    pub dwarf: Arc<gimli::Dwarf<R>>,
    pub unit: gimli::Unit<R>,
    /// The line program (a split unit's comes from its skeleton).
    line_program: Option<gimli::IncompleteLineProgram<R>>,
    /// The DWARF and unit the line program's strings resolve in: the
    /// module's, and the skeleton unit for a split unit.
    line_dwarf: Arc<gimli::Dwarf<R>>,
    line_unit: Option<gimli::Unit<R>>,
    comp_dir: String,
    pub lang: Option<gimli::DwLang>,
    /// The store, to follow references into other units.
    store: Weak<Store>,
    /// The DIEs are the module's own (not a split unit's).
    in_main_dwarf: bool,
    /// `code_offset` ranges covered by this unit (dead code at 0 removed).
    ranges: Vec<Range<u64>>,
    lines: OnceLock<Lines>,
    /// Rendered `decl_file`/`call_file` paths by file index (`None`: no
    /// such file).
    file_paths: OnceLock<Vec<Option<String>>>,
    funcs: OnceLock<Vec<Func>>,
    /// Every `DW_TAG_inlined_subroutine`, names only (for `break FUNC`).
    inlined: OnceLock<Vec<InlinedName>>,
}

/// Name, linkage name and demangled name of an inlined instance.
type InlinedNames = (String, Option<String>, Option<String>);

/// The names of one `DW_TAG_inlined_subroutine` DIE: what `break FUNC`
/// matches on; the rest of [`Inlined`] is read only for matches.
#[derive(Debug, Clone)]
struct InlinedName {
    offset: UnitOffset,
    name: String,
    linkage: Option<String>,
    qualified: Option<String>,
}

/// One inlined instance, as `break FUNC` needs it.
#[derive(Debug, Clone)]
struct Inlined {
    name: String,
    qualified: Option<String>,
    entry: u64,
    ranges: Vec<Range<u64>>,
    call_site: Option<SourceLoc>,
}

#[derive(Default)]
struct Lines {
    /// Rendered file path per line-program file index.
    files: Vec<String>,
    /// Address-sorted sequences, each with address-sorted rows.
    seqs: Vec<Seq>,
}

struct Seq {
    start: u64,
    end: u64,
    rows: Vec<Row>,
}

#[derive(Debug, Clone, Copy)]
struct Row {
    addr: u64,
    file: u32,
    line: u32,
    column: u32,
    is_stmt: bool,
    prologue_end: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Func {
    pub offset: UnitOffset,
    ranges: Vec<Range<u64>>,
    low: u64,
    high: u64,
    pub name: String,
    linkage: Option<String>,
    /// Demangled without hash, when a linkage name demangles.
    qualified: Option<String>,
    decl: Option<SourceLoc>,
}

impl Func {
    fn contains(&self, pc: u64) -> bool {
        self.ranges.iter().any(|r| r.contains(&pc))
    }
    fn display_name(&self) -> String {
        self.qualified.clone().unwrap_or_else(|| self.name.clone())
    }
}

/// All DWARF of one module.
pub(crate) struct Store {
    /// This store, for units to reach their siblings without a cycle.
    me: Weak<Store>,
    dwarf: Arc<gimli::Dwarf<R>>,
    dwp: Option<gimli::DwarfPackage<R>>,
    module_dir: Option<PathBuf>,
    units: Vec<UnitSlot>,
    /// Length of the code section payload: valid `code_offset`s are below it.
    code_len: u64,
    /// Sorted, non-dead unit ranges: (start, end, unit index).
    addr_index: OnceLock<Vec<(u64, u64, usize)>>,
    /// Set once every unit's DIEs have been scanned ([`Store::scan_all`]).
    scanned: OnceLock<()>,
    /// Global variables by name: (unit, DIE).
    globals: OnceLock<HashMap<String, Vec<(usize, UnitOffset)>>>,
}

fn empty_reader() -> R {
    gimli::EndianArcSlice::new(Arc::from(&[][..]), gimli::LittleEndian)
}

/// Dead code is described at address 0 (or a tombstone past the end).
fn live_range(r: &Range<u64>, code_len: u64) -> bool {
    r.start != 0 && r.start < r.end && r.start < code_len
}

impl Store {
    pub fn load(
        module: &Module,
        module_path: Option<&Path>,
        warnings: &mut Vec<String>,
    ) -> Option<Arc<Store>> {
        let sections: HashMap<String, Range<usize>> = module
            .custom_sections
            .iter()
            .filter(|c| c.name.starts_with(".debug_"))
            .map(|c| (c.name.clone(), c.data.clone()))
            .collect();
        if !sections.contains_key(".debug_info") {
            return None;
        }
        let bytes = module.bytes.clone();
        let dwarf = gimli::Dwarf::load(|id| -> Result<R, gimli::Error> {
            Ok(reader_for(&bytes, &sections, id.name()))
        })
        .ok()?;
        let mut units = Vec::new();
        let mut iter = dwarf.units();
        loop {
            match iter.next() {
                Ok(Some(header)) => units.push(UnitSlot {
                    header,
                    cu: OnceLock::new(),
                }),
                Ok(None) => break,
                Err(e) => {
                    warnings.push(format!(
                        "DWARF: stopped reading .debug_info unit headers: {e}"
                    ));
                    break;
                }
            }
        }
        let code_len = module
            .bodies
            .last()
            .map_or(0, |b| (b.range.end - module.code_section_start) as u64);
        let module_dir = module_path.and_then(|p| p.parent()).map(Path::to_path_buf);
        let mut dwp = None;
        if let Some(path) = module_path {
            let mut candidates = vec![PathBuf::from(format!("{}.dwp", path.display()))];
            candidates.push(path.with_extension("dwp"));
            for cand in candidates {
                if !cand.is_file() {
                    continue;
                }
                match load_file_sections(&cand) {
                    Some((bytes, secs)) => {
                        let loaded = gimli::DwarfPackage::load(
                            |id| -> Result<R, gimli::Error> {
                                Ok(reader_for(
                                    &bytes,
                                    &secs,
                                    id.dwo_name().unwrap_or(id.name()),
                                ))
                            },
                            empty_reader(),
                        );
                        match loaded {
                            Ok(p) => {
                                dwp = Some(p);
                                break;
                            }
                            Err(e) => {
                                warnings.push(format!("DWARF: cannot read {}: {e}", cand.display()))
                            }
                        }
                    }
                    None => warnings.push(format!("DWARF: {} is not a wasm file", cand.display())),
                }
            }
        }
        if units.is_empty() {
            warnings.push("DWARF: .debug_info has no units".to_string());
        }
        // Split DWARF without its other half: say so once, at load (only the
        // first unit is parsed for this).
        if dwp.is_none()
            && let Some(first) = units.first()
            && let Ok(skeleton) = dwarf.unit(first.header.clone())
            && skeleton.dwo_id.is_some()
        {
            let candidates = dwo_candidates(&dwarf, &skeleton, module_dir.as_deref());
            if !candidates.iter().any(|c| c.is_file()) {
                let dwo = candidates
                    .first()
                    .map_or_else(|| "its .dwo".to_string(), |c| c.display().to_string());
                warnings.push(format!(
                    "DWARF: split debug info, but no .dwp beside the module and no {dwo}: \
                     functions and variables are unavailable (line tables still work)"
                ));
            }
        }
        Some(Arc::new_cyclic(|me| Store {
            me: me.clone(),
            dwarf: Arc::new(dwarf),
            dwp,
            module_dir,
            units,
            code_len,
            addr_index: OnceLock::new(),
            scanned: OnceLock::new(),
            globals: OnceLock::new(),
        }))
    }

    /// The unit whose `.debug_info` bytes contain `target`.
    fn unit_containing(&self, target: gimli::DebugInfoOffset) -> Option<usize> {
        let start = |s: &UnitSlot| s.header.offset().0;
        let i = self
            .units
            .partition_point(|s| start(s) <= target.0)
            .checked_sub(1)?;
        Some(i)
    }

    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    pub fn has_units(&self) -> bool {
        !self.units.is_empty()
    }

    /// The parsed unit `index`, or `None` when it cannot be parsed.
    pub fn cu(&self, index: usize) -> Option<&Arc<Cu>> {
        let slot = self.units.get(index)?;
        slot.cu
            .get_or_init(|| self.parse_unit(&slot.header).map(Arc::new))
            .as_ref()
    }

    fn parse_unit(&self, header: &gimli::UnitHeader<R>) -> Option<Cu> {
        let skeleton = self.dwarf.unit(header.clone()).ok()?;
        let lang = |dwarf: &gimli::Dwarf<R>, unit: &gimli::Unit<R>| -> Option<gimli::DwLang> {
            let _ = dwarf;
            let mut entries = unit.entries();
            let root = entries.next_dfs().ok()??;
            match root.attr_value(gimli::DW_AT_language) {
                Some(AttributeValue::Language(l)) => Some(l),
                _ => None,
            }
        };
        let mut ranges: Vec<Range<u64>> = Vec::new();
        if let Ok(mut iter) = self.dwarf.unit_ranges(&skeleton) {
            while let Ok(Some(r)) = iter.next() {
                ranges.push(r.begin..r.end);
            }
        }
        let comp_dir = skeleton
            .comp_dir
            .as_ref()
            .and_then(|d| d.to_string_lossy().ok().map(|s| s.into_owned()))
            .unwrap_or_default();
        let line_program = skeleton.line_program.clone();
        let (dwarf, unit, line_unit) = match self.split_unit(&skeleton) {
            Some((dwarf, unit)) => (dwarf, unit, Some(skeleton)),
            None => (self.dwarf.clone(), skeleton, None),
        };
        let lang = lang(&dwarf, &unit);
        let in_main_dwarf = line_unit.is_none();
        let mut cu = Cu {
            store: self.me.clone(),
            in_main_dwarf,
            dwarf,
            unit,
            line_dwarf: self.dwarf.clone(),
            line_unit,
            line_program,
            comp_dir,
            lang,
            ranges: Vec::new(),
            lines: OnceLock::new(),
            file_paths: OnceLock::new(),
            funcs: OnceLock::new(),
            inlined: OnceLock::new(),
        };
        ranges.retain(|r| live_range(r, self.code_len));
        if ranges.is_empty() {
            // No unit ranges: fall back to the line table's sequences.
            ranges = cu
                .lines(self.code_len)
                .seqs
                .iter()
                .map(|s| s.start..s.end)
                .collect();
        }
        cu.ranges = ranges;
        Some(cu)
    }

    /// The split unit of a skeleton, from the `.dwp` or a `.dwo` file.
    fn split_unit(
        &self,
        skeleton: &gimli::Unit<R>,
    ) -> Option<(Arc<gimli::Dwarf<R>>, gimli::Unit<R>)> {
        let dwo_id = skeleton.dwo_id?;
        let split = if let Some(dwp) = &self.dwp {
            dwp.find_cu(dwo_id, &self.dwarf).ok()?
        } else {
            None
        };
        let split = match split {
            Some(s) => s,
            None => {
                let found = dwo_candidates(&self.dwarf, skeleton, self.module_dir.as_deref())
                    .iter()
                    .find_map(|cand| load_file_sections(cand));
                let (bytes, secs) = found?;
                let mut dwo = gimli::Dwarf::load(|id| -> Result<R, gimli::Error> {
                    Ok(reader_for(
                        &bytes,
                        &secs,
                        id.dwo_name().unwrap_or(id.name()),
                    ))
                })
                .ok()?;
                dwo.make_dwo(&self.dwarf);
                dwo
            }
        };
        let header = split.units().next().ok()??;
        let mut unit = split.unit(header).ok()?;
        unit.copy_relocated_attributes(skeleton);
        Some((Arc::new(split), unit))
    }

    fn addr_index(&self) -> &Vec<(u64, u64, usize)> {
        self.addr_index.get_or_init(|| {
            let mut idx = Vec::new();
            for i in 0..self.units.len() {
                if let Some(cu) = self.cu(i) {
                    for r in &cu.ranges {
                        idx.push((r.start, r.end, i));
                    }
                }
            }
            idx.sort_unstable();
            idx
        })
    }

    /// Units whose ranges contain `pc` (usually one).
    fn units_at(&self, pc: u64) -> Vec<usize> {
        let idx = self.addr_index();
        let end = idx.partition_point(|&(start, _, _)| start <= pc);
        let mut out: Vec<usize> = Vec::new();
        // Overlapping ranges are rare; look back a little for them.
        for &(start, stop, unit) in idx[..end].iter().rev().take(64) {
            if start <= pc && pc < stop && !out.contains(&unit) {
                out.push(unit);
            }
        }
        out
    }

    /// The innermost function with code at `pc`, and its unit.
    pub(crate) fn func_at(&self, pc: u64) -> Option<(usize, Arc<Cu>, Func)> {
        for u in self.units_at(pc) {
            let cu = self.cu(u)?.clone();
            let best = cu
                .funcs(self)
                .iter()
                .filter(|f| f.contains(pc))
                .min_by_key(|f| f.high - f.low)
                .cloned();
            if let Some(f) = best {
                return Some((u, cu, f));
            }
        }
        None
    }

    fn function_info(&self, cu: &Cu, f: &Func) -> FunctionInfo {
        let lines = cu.lines(self.code_len);
        FunctionInfo {
            name: f.display_name(),
            linkage_name: f.linkage.clone(),
            low_pc: f.low as u32,
            high_pc: f.high as u32,
            decl: f.decl.clone(),
            entry_after_prologue: lines.after_prologue(f.low, f.high).map(|a| a as u32),
        }
    }

    pub fn function_at(&self, pc: u64) -> Option<FunctionInfo> {
        let (_, cu, f) = self.func_at(pc)?;
        Some(self.function_info(&cu, &f))
    }

    /// Scan every unit's DIEs (functions and inlined names), on all cores:
    /// what a lookup by name needs. Once per store.
    fn scan_all(&self) {
        self.scanned.get_or_init(|| {
            let n = self.units.len();
            let threads = std::thread::available_parallelism().map_or(1, |t| t.get().min(4));
            if threads < 2 || n < 2 {
                return;
            }
            let next = AtomicUsize::new(0);
            std::thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(|| {
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= n {
                                break;
                            }
                            if let Some(cu) = self.cu(i) {
                                cu.funcs(self);
                            }
                        }
                    });
                }
            });
        });
    }

    pub fn functions_named(&self, query: &str) -> Vec<FunctionInfo> {
        self.scan_all();
        let mut out: Vec<FunctionInfo> = Vec::new();
        for i in 0..self.units.len() {
            let Some(cu) = self.cu(i) else { continue };
            for f in cu.funcs(self) {
                if name_matches(f, query) && !out.iter().any(|o| o.low_pc == f.low as u32) {
                    out.push(self.function_info(cu, f));
                }
            }
        }
        out.sort_by_key(|f| f.low_pc);
        out
    }

    pub fn inline_frames(&self, pc: u64) -> Vec<InlineFrame> {
        let Some((_, cu, f)) = self.func_at(pc) else {
            return Vec::new();
        };
        let mut scopes = Scopes::default();
        cu.walk_scopes(self, f.offset, pc, &mut scopes);
        scopes.inlines.reverse();
        scopes.inlines
    }

    pub fn variables(&self, pc: u64) -> Vec<VarInfo> {
        self.variables_in_frame(pc, None)
    }

    /// Variables at `pc` of one inline frame (0 = innermost; see
    /// [`super::DebugInfo::variables_in_frame`]), or of every scope.
    pub fn variables_in_frame(&self, pc: u64, frame: Option<usize>) -> Vec<VarInfo> {
        let Some((u, cu, f)) = self.func_at(pc) else {
            return Vec::new();
        };
        let mut scopes = Scopes {
            unit: u,
            ..Scopes::default()
        };
        cu.walk_scopes(self, f.offset, pc, &mut scopes);
        // Inline level counted from the function outwards-in.
        let level = match frame {
            Some(n) => match scopes.inlines.len().checked_sub(n) {
                Some(l) => Some(l),
                None => return Vec::new(),
            },
            None => None,
        };
        let mut params: Vec<(usize, VarInfo)> = Vec::new();
        let mut locals: Vec<(usize, VarInfo)> = Vec::new();
        for (depth, var_level, v) in scopes.vars {
            if level.is_some_and(|l| l != var_level) {
                continue;
            }
            if v.is_param {
                params.push((depth, v))
            } else {
                locals.push((depth, v))
            }
        }
        // Innermost scope first; declaration order within a scope (stable sort).
        params.sort_by_key(|p| std::cmp::Reverse(p.0));
        locals.sort_by_key(|p| std::cmp::Reverse(p.0));
        params.into_iter().chain(locals).map(|p| p.1).collect()
    }

    pub fn inline_instances_named(&self, query: &str) -> Vec<InlineInstance> {
        self.scan_all();
        let mut out: Vec<InlineInstance> = Vec::new();
        for i in 0..self.units.len() {
            let Some(cu) = self.cu(i) else { continue };
            for lite in cu.inlined(self) {
                if !names_match(
                    &lite.name,
                    lite.linkage.as_deref(),
                    lite.qualified.as_deref(),
                    query,
                ) {
                    continue;
                }
                let Ok(entry) = cu.unit.entry(lite.offset) else {
                    continue;
                };
                let mut inl = cu.inlined_instance(&entry);
                inl.ranges.retain(|r| live_range(r, self.code_len));
                if inl.ranges.is_empty() || !live_range(&(inl.entry..inl.entry + 1), self.code_len)
                {
                    continue;
                }
                if !out.iter().any(|o| o.entry == inl.entry as u32) {
                    out.push(InlineInstance {
                        name: inl.display_name(),
                        entry: inl.entry as u32,
                        ranges: inl
                            .ranges
                            .iter()
                            .map(|r| r.start as u32..r.end as u32)
                            .collect(),
                        call_site: inl.call_site.clone(),
                    });
                }
            }
        }
        out.sort_by_key(|i| i.entry);
        out
    }

    pub fn read_var(&self, var: &VarInfo, frame: &dyn FrameAccess) -> VarValue {
        super::types::read_var(self, var, frame)
    }

    /// Global variables named `name` (first match per unit).
    pub fn global_named(&self, name: &str) -> Option<VarInfo> {
        let globals = self.globals.get_or_init(|| {
            let mut map: HashMap<String, Vec<(usize, UnitOffset)>> = HashMap::new();
            for i in 0..self.units.len() {
                if let Some(cu) = self.cu(i) {
                    cu.collect_globals(i, &mut map);
                }
            }
            map
        });
        let &(u, off) = globals.get(name)?.first()?;
        let cu = self.cu(u)?;
        let entry = cu.unit.entry(off).ok()?;
        cu.make_var(u, &entry, 0, None, false)
    }

    /// Every global variable as (name, type name), sorted by name.
    pub fn global_variables(&self) -> Vec<(String, String)> {
        let _ = self.global_named("");
        let Some(globals) = self.globals.get() else {
            return Vec::new();
        };
        let mut out: Vec<(String, String)> = globals
            .iter()
            .filter_map(|(name, places)| {
                let &(u, off) = places.first()?;
                let cu = self.cu(u)?;
                let entry = cu.unit.entry(off).ok()?;
                let v = cu.make_var(u, &entry, 0, None, false)?;
                Some((name.clone(), v.type_name))
            })
            .collect();
        out.sort();
        out
    }

    /// The named types of every unit (`struct node`, `typedef ... size_t`
    /// as `size_t`, base types), sorted, without duplicates.
    pub fn type_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for i in 0..self.units.len() {
            if let Some(cu) = self.cu(i) {
                cu.collect_type_names(&mut out);
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

fn name_matches(f: &Func, query: &str) -> bool {
    names_match(&f.name, f.linkage.as_deref(), f.qualified.as_deref(), query)
}

fn names_match(name: &str, linkage: Option<&str>, qualified: Option<&str>, query: &str) -> bool {
    if name == query || linkage == Some(query) {
        return true;
    }
    let Some(q) = qualified else { return false };
    // C++ demangled names carry parameters: match on the part before them.
    let base = q.split('(').next().unwrap_or(q);
    [q, base]
        .iter()
        .any(|n| *n == query || n.ends_with(&format!("::{query}")))
}

#[derive(Default)]
struct Scopes {
    unit: usize,
    /// (scope depth, inline level, variable).
    vars: Vec<(usize, usize, VarInfo)>,
    /// Outermost first while walking.
    inlines: Vec<InlineFrame>,
}

impl Inlined {
    fn display_name(&self) -> String {
        self.qualified.clone().unwrap_or_else(|| self.name.clone())
    }
}

fn demangle(linkage: &str, lang: Option<gimli::DwLang>) -> Option<String> {
    use crate::demangle::Lang;
    let lang = if lang == Some(gimli::DW_LANG_Rust) {
        Lang::Rust
    } else {
        Lang::Other
    };
    crate::demangle::demangle(linkage, lang)
}
