//! One compilation unit's queries: its line table and files, functions and
//! inlined calls, variables and scopes at a `code_offset` (the `impl Cu`
//! half of `units.rs`, which loads units and answers across them).

use super::*;

impl Cu {
    pub(super) fn render_file(
        &self,
        header: &gimli::LineProgramHeader<R>,
        file: &gimli::FileEntry<R>,
    ) -> String {
        let unit = self.line_unit.as_ref().unwrap_or(&self.unit);
        let name = attr_to_string(&self.line_dwarf, unit, file.path_name()).unwrap_or_default();
        let dir = file
            .directory(header)
            .and_then(|d| attr_to_string(&self.line_dwarf, unit, d))
            .unwrap_or_default();
        let base = if file.directory_index() == 0 {
            dir
        } else {
            join_path(&self.comp_dir, &dir)
        };
        normalize_path(&join_path(&base, &name))
    }

    /// Rendered file paths by line-program file index.
    pub(super) fn file_table(&self) -> Vec<String> {
        let Some(program) = &self.line_program else {
            return Vec::new();
        };
        let header = program.header();
        let n = header.file_names().len() as u64;
        // DWARF 4 indexes files from 1, DWARF 5 from 0.
        (0..=n)
            .map(|i| {
                header
                    .file(i)
                    .map(|f| self.render_file(header, f))
                    .unwrap_or_default()
            })
            .collect()
    }

    pub(super) fn file_names(&self) -> Vec<String> {
        match self.lines.get() {
            Some(l) => l.files.clone(),
            None => self.file_table(),
        }
    }

    pub(super) fn lines(&self, code_len: u64) -> &Lines {
        self.lines.get_or_init(|| {
            let Some(program) = self.line_program.clone() else {
                return Lines::default();
            };
            let files = self.file_table();
            let mut seqs = Vec::new();
            let mut rows: Vec<Row> = Vec::new();
            let mut iter = program.rows();
            while let Ok(Some((_, row))) = iter.next_row() {
                let addr = row.address();
                if row.end_sequence() {
                    if let Some(first) = rows.first() {
                        let seq = Seq {
                            start: first.addr,
                            end: addr,
                            rows: std::mem::take(&mut rows),
                        };
                        if live_range(&(seq.start..seq.end), code_len) {
                            seqs.push(seq);
                        }
                    }
                    rows.clear();
                    continue;
                }
                rows.push(Row {
                    addr,
                    file: row.file_index() as u32,
                    line: row.line().map_or(0, |l| l.get() as u32),
                    column: match row.column() {
                        gimli::ColumnType::LeftEdge => 0,
                        gimli::ColumnType::Column(c) => c.get() as u32,
                    },
                    is_stmt: row.is_stmt(),
                    prologue_end: row.prologue_end(),
                });
            }
            for seq in &mut seqs {
                seq.rows.sort_by_key(|r| r.addr);
            }
            seqs.sort_by_key(|s| s.start);
            Lines { files, seqs }
        })
    }

    /// The `decl_file` path for a file index of this unit.
    pub(super) fn file_path(&self, index: u64) -> Option<String> {
        let paths = self.file_paths.get_or_init(|| {
            let Some(program) = &self.line_program else {
                return Vec::new();
            };
            let header = program.header();
            // DWARF 4 indexes files from 1, DWARF 5 from 0.
            (0..=header.file_names().len() as u64)
                .map(|i| header.file(i).map(|f| self.render_file(header, f)))
                .collect()
        });
        paths.get(usize::try_from(index).ok()?).cloned().flatten()
    }

    pub(super) fn funcs(&self, store: &Store) -> &Vec<Func> {
        self.funcs.get_or_init(|| {
            let (funcs, inlined) = self.scan(store);
            let _ = self.inlined.set(inlined);
            funcs
        })
    }

    /// One pass over the unit's DIEs: the functions with code, and the
    /// names of the inlined instances. Only subprogram and inlined-
    /// subroutine DIEs are decoded; the others' attributes are skipped by
    /// form.
    pub(super) fn scan(&self, store: &Store) -> (Vec<Func>, Vec<InlinedName>) {
        let mut funcs = Vec::new();
        let mut inlined = Vec::new();
        let mut by_origin: HashMap<u64, InlinedNames> = HashMap::new();
        let Ok(mut raw) = self.unit.entries_raw(None) else {
            return (funcs, inlined);
        };
        let mut entry = gimli::DebuggingInformationEntry::null();
        while !raw.is_empty() {
            let mut at_entry = raw.clone();
            let tag = match raw.read_abbreviation() {
                Ok(Some(abbrev)) => {
                    let tag = abbrev.tag();
                    if tag != gimli::DW_TAG_subprogram && tag != gimli::DW_TAG_inlined_subroutine {
                        if raw.skip_attributes(abbrev.attributes()).is_err() {
                            break;
                        }
                        continue;
                    }
                    tag
                }
                Ok(None) => continue,
                Err(_) => break,
            };
            if !matches!(at_entry.read_entry(&mut entry), Ok(true)) {
                break;
            }
            raw = at_entry;
            if tag == gimli::DW_TAG_subprogram {
                if let Some(f) = self.func(store, &entry) {
                    funcs.push(f);
                }
            } else {
                inlined.push(self.inlined_name(&entry, &mut by_origin));
            }
        }
        funcs.sort_by_key(|f| f.low);
        (funcs, inlined)
    }

    /// A subprogram DIE with live code.
    pub(super) fn func(
        &self,
        store: &Store,
        entry: &gimli::DebuggingInformationEntry<R>,
    ) -> Option<Func> {
        let mut ranges = Vec::new();
        if let Ok(mut iter) = self.dwarf.die_ranges(&self.unit, entry) {
            while let Ok(Some(r)) = iter.next() {
                let r = r.begin..r.end;
                if live_range(&r, store.code_len) {
                    ranges.push(r);
                }
            }
        }
        if ranges.is_empty() {
            return None;
        }
        let low = ranges.iter().map(|r| r.start).min().unwrap_or(0);
        let high = ranges.iter().map(|r| r.end).max().unwrap_or(0);
        let (name, linkage) = self.die_names(entry);
        let qualified = linkage.as_deref().and_then(|l| demangle(l, self.lang));
        Some(Func {
            offset: entry.offset(),
            ranges,
            low,
            high,
            name: name.unwrap_or_default(),
            linkage,
            qualified,
            decl: self.decl(entry),
        })
    }

    /// Follow `DW_AT_abstract_origin` / `DW_AT_specification` within the unit.
    pub(super) fn origin(
        &self,
        entry: &gimli::DebuggingInformationEntry<R>,
    ) -> Option<gimli::DebuggingInformationEntry<R>> {
        for at in [gimli::DW_AT_abstract_origin, gimli::DW_AT_specification] {
            if let Some(off) = entry.attr_value(at).and_then(|v| self.unit_ref(v)) {
                return self.unit.entry(off).ok();
            }
        }
        None
    }

    /// An attribute, looked up through the origin chain.
    pub fn attr_deep(
        &self,
        entry: &gimli::DebuggingInformationEntry<R>,
        at: gimli::DwAt,
    ) -> Option<AttributeValue<R>> {
        if let Some(v) = entry.attr_value(at) {
            return Some(v);
        }
        let mut cur = self.origin(entry)?;
        for _ in 0..4 {
            if let Some(v) = cur.attr_value(at) {
                return Some(v);
            }
            cur = self.origin(&cur)?;
        }
        None
    }

    pub fn string_attr(
        &self,
        entry: &gimli::DebuggingInformationEntry<R>,
        at: gimli::DwAt,
    ) -> Option<String> {
        let v = self.attr_deep(entry, at)?;
        attr_to_string(&self.dwarf, &self.unit, v)
    }

    pub(super) fn die_names(
        &self,
        entry: &gimli::DebuggingInformationEntry<R>,
    ) -> (Option<String>, Option<String>) {
        let name = self.string_attr(entry, gimli::DW_AT_name);
        let linkage = self
            .string_attr(entry, gimli::DW_AT_linkage_name)
            .or_else(|| self.string_attr(entry, gimli::DW_AT_MIPS_linkage_name));
        (name, linkage)
    }

    pub(super) fn decl(&self, entry: &gimli::DebuggingInformationEntry<R>) -> Option<SourceLoc> {
        let file = self
            .attr_deep(entry, gimli::DW_AT_decl_file)
            .and_then(file_index)?;
        let line = self
            .attr_deep(entry, gimli::DW_AT_decl_line)?
            .udata_value()?;
        Some(SourceLoc {
            file: self.file_path(file)?,
            line: line as u32,
            column: 0,
        })
    }

    pub(super) fn die_contains(
        &self,
        entry: &gimli::DebuggingInformationEntry<R>,
        pc: u64,
    ) -> bool {
        let Ok(mut iter) = self.dwarf.die_ranges(&self.unit, entry) else {
            return false;
        };
        while let Ok(Some(r)) = iter.next() {
            if r.begin <= pc && pc < r.end {
                return true;
            }
        }
        false
    }

    /// Resolve a location attribute at `pc` (through a location list).
    pub(super) fn location_at(&self, value: AttributeValue<R>, pc: u64) -> VarLocation {
        if let Some(expr) = value.exprloc_value() {
            return VarLocation::Expr(expr);
        }
        if let Ok(Some(mut iter)) = self.dwarf.attr_locations(&self.unit, value) {
            while let Ok(Some(entry)) = iter.next() {
                if entry.range.begin <= pc && pc < entry.range.end {
                    return VarLocation::Expr(entry.data);
                }
            }
        }
        VarLocation::OptimizedOut
    }

    pub(super) fn walk_scopes(
        self: &Arc<Self>,
        store: &Store,
        func: UnitOffset,
        pc: u64,
        scopes: &mut Scopes,
    ) {
        let Ok(mut tree) = self.unit.entries_tree(Some(func)) else {
            return;
        };
        let Ok(root) = tree.root() else { return };
        let frame_base = match root.entry().attr_value(gimli::DW_AT_frame_base) {
            Some(v) => match self.location_at(v, pc) {
                VarLocation::Expr(e) => Some(e),
                _ => None,
            },
            None => None,
        };
        let _ = store;
        self.walk_node(root, pc, 0, frame_base.as_ref(), scopes);
    }

    /// Variables and inlined calls under `node` that contain `pc`. `depth`
    /// counts nested scopes; `scopes.inlines.len()` is the inline level a
    /// variable belongs to (0: the function itself).
    pub(super) fn walk_node(
        self: &Arc<Self>,
        node: gimli::EntriesTreeNode<'_, '_, R>,
        pc: u64,
        depth: usize,
        frame_base: Option<&gimli::Expression<R>>,
        scopes: &mut Scopes,
    ) {
        if depth > MAX_DIE_DEPTH {
            return;
        }
        let mut children = node.children();
        while let Ok(Some(child)) = children.next() {
            let entry = child.entry().clone();
            match entry.tag() {
                gimli::DW_TAG_formal_parameter | gimli::DW_TAG_variable => {
                    let is_param = entry.tag() == gimli::DW_TAG_formal_parameter;
                    if let Some(v) = self.make_var(scopes.unit, &entry, pc, frame_base, is_param) {
                        scopes.vars.push((depth, scopes.inlines.len(), v));
                    }
                }
                gimli::DW_TAG_lexical_block if self.die_contains(&entry, pc) => {
                    self.walk_node(child, pc, depth + 1, frame_base, scopes);
                }
                gimli::DW_TAG_inlined_subroutine if self.die_contains(&entry, pc) => {
                    let inl = self.inlined_instance(&entry);
                    if !inl.ranges.iter().any(|r| r.contains(&pc)) {
                        continue;
                    }
                    let id = entry
                        .offset()
                        .to_debug_info_offset(&self.unit.header)
                        .map_or(entry.offset().0 as u64, |o| o.0 as u64);
                    scopes.inlines.push(InlineFrame {
                        name: inl.display_name(),
                        call_site: inl.call_site,
                        id,
                        ranges: inl
                            .ranges
                            .iter()
                            .map(|r| r.start as u32..r.end as u32)
                            .collect(),
                        entry: inl.entry as u32,
                    });
                    self.walk_node(child, pc, depth + 1, frame_base, scopes);
                }
                _ => {}
            }
        }
    }

    /// Name, ranges, entry and call site of an inlined-subroutine DIE.
    /// Name, linkage name and language of an inlined-subroutine DIE.
    pub(super) fn inlined_names(
        &self,
        entry: &gimli::DebuggingInformationEntry<R>,
    ) -> (Option<String>, Option<String>, Option<gimli::DwLang>) {
        let (mut name, mut linkage) = self.die_names(entry);
        let mut lang = self.lang;
        // The abstract origin may live in another unit (TinyGo, LTO).
        if name.is_none()
            && linkage.is_none()
            && let Some(AttributeValue::DebugInfoRef(target)) =
                entry.attr_value(gimli::DW_AT_abstract_origin)
            && self.in_main_dwarf
            && let Some(store) = self.store.upgrade()
            && let Some(cu) = store.unit_containing(target).and_then(|i| store.cu(i))
            && let Some(off) = target.to_unit_offset(&cu.unit.header)
            && let Ok(origin) = cu.unit.entry(off)
        {
            (name, linkage) = cu.die_names(&origin);
            lang = cu.lang;
        }
        (name, linkage, lang)
    }

    pub(super) fn inlined_instance(&self, entry: &gimli::DebuggingInformationEntry<R>) -> Inlined {
        let (name, linkage, lang) = self.inlined_names(entry);
        let qualified = linkage.as_deref().and_then(|l| demangle(l, lang));
        let mut ranges = Vec::new();
        if let Ok(mut iter) = self.dwarf.die_ranges(&self.unit, entry) {
            while let Ok(Some(r)) = iter.next() {
                // Dead code is at 0; a range past 4 GiB is broken (TinyGo
                // writes high_pc 2^32).
                if r.begin != 0 && r.begin < r.end && r.end <= u64::from(u32::MAX) {
                    ranges.push(r.begin..r.end);
                }
            }
        }
        ranges.sort_by_key(|r| r.start);
        let low = ranges.first().map_or(0, |r| r.start);
        let entry_pc = match entry.attr_value(gimli::DW_AT_entry_pc) {
            Some(AttributeValue::Addr(a)) => Some(a),
            Some(AttributeValue::DebugAddrIndex(i)) => self.dwarf.address(&self.unit, i).ok(),
            // DWARF 5: a constant is an offset from the low address.
            Some(v) => v.udata_value().map(|o| low + o),
            None => None,
        };
        let call_file = entry
            .attr_value(gimli::DW_AT_call_file)
            .and_then(file_index);
        let call_line = entry
            .attr_value(gimli::DW_AT_call_line)
            .and_then(|v| v.udata_value());
        let call_column = entry
            .attr_value(gimli::DW_AT_call_column)
            .and_then(|v| v.udata_value());
        let call_site = match (call_file.and_then(|f| self.file_path(f)), call_line) {
            (Some(file), Some(line)) => Some(SourceLoc {
                file,
                line: line as u32,
                column: call_column.unwrap_or(0) as u32,
            }),
            _ => None,
        };
        Inlined {
            name: name.unwrap_or_else(|| "<inlined>".to_string()),
            qualified,
            entry: entry_pc
                .filter(|e| ranges.iter().any(|r| r.contains(e)))
                .unwrap_or(low),
            ranges,
            call_site,
        }
    }

    /// The names of every inlined instance in this unit (liveness is
    /// checked for the matches only). Names come from the instance's own
    /// attributes or its abstract origin; one origin serves many instances,
    /// so its names are resolved and demangled once.
    pub(super) fn inlined(&self, store: &Store) -> &Vec<InlinedName> {
        self.inlined.get_or_init(|| {
            let (funcs, inlined) = self.scan(store);
            let _ = self.funcs.set(funcs);
            inlined
        })
    }

    /// The names of an inlined-subroutine DIE. `by_origin` caches them
    /// per abstract origin for DIEs whose names all come from it.
    pub(super) fn inlined_name(
        &self,
        entry: &gimli::DebuggingInformationEntry<R>,
        by_origin: &mut HashMap<u64, InlinedNames>,
    ) -> InlinedName {
        let own = entry.attr_value(gimli::DW_AT_name).is_some()
            || entry.attr_value(gimli::DW_AT_linkage_name).is_some()
            || entry.attr_value(gimli::DW_AT_MIPS_linkage_name).is_some()
            || entry.attr_value(gimli::DW_AT_specification).is_some();
        let origin = match entry.attr_value(gimli::DW_AT_abstract_origin) {
            Some(AttributeValue::UnitRef(o)) => o
                .to_debug_info_offset(&self.unit.header)
                .map(|o| o.0 as u64),
            Some(AttributeValue::DebugInfoRef(o)) => Some(o.0 as u64),
            _ => None,
        };
        let make = || {
            let (name, linkage, lang) = self.inlined_names(entry);
            let qualified = linkage.as_deref().and_then(|l| demangle(l, lang));
            (
                name.unwrap_or_else(|| "<inlined>".to_string()),
                linkage,
                qualified,
            )
        };
        let (name, linkage, qualified) = match origin.filter(|_| !own) {
            Some(key) => by_origin.entry(key).or_insert_with(make).clone(),
            None => make(),
        };
        InlinedName {
            offset: entry.offset(),
            name,
            linkage,
            qualified,
        }
    }

    /// A variable DIE at `pc`; `None` for nameless or artificial-only DIEs.
    pub(crate) fn make_var(
        self: &Arc<Self>,
        unit_index: usize,
        entry: &gimli::DebuggingInformationEntry<R>,
        pc: u64,
        frame_base: Option<&gimli::Expression<R>>,
        is_param: bool,
    ) -> Option<VarInfo> {
        let name = self.string_attr(entry, gimli::DW_AT_name)?;
        let ty = match self.attr_deep(entry, gimli::DW_AT_type) {
            Some(v) => self.resolve(v),
            None => None,
        };
        let location = if let Some(v) = entry.attr_value(gimli::DW_AT_location) {
            self.location_at(v, pc)
        } else if let Some(v) = self.attr_deep(entry, gimli::DW_AT_const_value) {
            const_bytes(&v).map_or(VarLocation::OptimizedOut, VarLocation::Const)
        } else {
            VarLocation::OptimizedOut
        };
        Some(VarInfo {
            name,
            is_param,
            type_name: crate::dwarf::types::type_name(ty.as_ref(), 0),
            decl: self.decl(entry),
            unit: unit_index,
            ty,
            location,
            frame_base: frame_base.cloned(),
            encoding: self.unit.encoding(),
        })
    }

    pub(super) fn collect_globals(
        &self,
        unit_index: usize,
        map: &mut HashMap<String, Vec<(usize, UnitOffset)>>,
    ) {
        let mut entries = self.unit.entries();
        // Depth of the subprogram we are inside, if any: its variables are not globals.
        let mut in_func: Option<isize> = None;
        while let Ok(Some(entry)) = entries.next_dfs() {
            let depth = entry.depth();
            if in_func.is_some_and(|d| depth <= d) {
                in_func = None;
            }
            if in_func.is_some() {
                continue;
            }
            match entry.tag() {
                gimli::DW_TAG_subprogram | gimli::DW_TAG_lexical_block => in_func = Some(depth),
                gimli::DW_TAG_variable if entry.attr_value(gimli::DW_AT_location).is_some() => {
                    if let Some(name) = self.string_attr(entry, gimli::DW_AT_name) {
                        map.entry(name)
                            .or_default()
                            .push((unit_index, entry.offset()));
                    }
                }
                _ => {}
            }
        }
    }

    pub(super) fn collect_type_names(&self, out: &mut Vec<String>) {
        let mut entries = self.unit.entries();
        while let Ok(Some(entry)) = entries.next_dfs() {
            let prefix = match entry.tag() {
                gimli::DW_TAG_structure_type => "struct ",
                gimli::DW_TAG_union_type => "union ",
                gimli::DW_TAG_enumeration_type => "enum ",
                gimli::DW_TAG_class_type => "class ",
                gimli::DW_TAG_typedef | gimli::DW_TAG_base_type => "",
                _ => continue,
            };
            if let Some(name) = self.string_attr(entry, gimli::DW_AT_name) {
                out.push(format!("{prefix}{name}"));
            }
        }
    }

    /// A reference to a DIE of this unit (`DW_FORM_ref*`, or a
    /// `DW_FORM_ref_addr` that lands inside this unit).
    pub fn unit_ref(&self, v: AttributeValue<R>) -> Option<UnitOffset> {
        match v {
            AttributeValue::UnitRef(off) => Some(off),
            AttributeValue::DebugInfoRef(off) => off.to_unit_offset(&self.unit.header),
            _ => None,
        }
    }

    /// A reference to a DIE anywhere in the module's `.debug_info`.
    pub fn resolve(self: &Arc<Self>, v: AttributeValue<R>) -> Option<Ty> {
        if let Some(off) = self.unit_ref(v.clone()) {
            return Some(Ty {
                cu: self.clone(),
                off,
            });
        }
        let AttributeValue::DebugInfoRef(target) = v else {
            return None;
        };
        if !self.in_main_dwarf {
            return None;
        }
        let store = self.store.upgrade()?;
        let index = store.unit_containing(target)?;
        let cu = store.cu(index)?.clone();
        let off = target.to_unit_offset(&cu.unit.header)?;
        Some(Ty { cu, off })
    }

    pub fn address_size(&self) -> u8 {
        self.unit.header.address_size()
    }
}

fn file_index(v: AttributeValue<R>) -> Option<u64> {
    match v {
        AttributeValue::FileIndex(i) => Some(i),
        other => other.udata_value(),
    }
}

fn const_bytes(v: &AttributeValue<R>) -> Option<Vec<u8>> {
    match v {
        AttributeValue::Block(b) => b.to_slice().ok().map(|s| s.into_owned()),
        AttributeValue::Sdata(i) => Some(i.to_le_bytes().to_vec()),
        AttributeValue::Udata(u) => Some(u.to_le_bytes().to_vec()),
        AttributeValue::Data1(u) => Some(vec![*u]),
        AttributeValue::Data2(u) => Some(u.to_le_bytes().to_vec()),
        AttributeValue::Data4(u) => Some(u.to_le_bytes().to_vec()),
        AttributeValue::Data8(u) => Some(u.to_le_bytes().to_vec()),
        _ => None,
    }
}
