//! Line-table queries across units: the row at a `pc`, statement
//! boundaries, a line's code offsets, the source files.

use super::*;

impl Store {
    pub(super) fn row_at(&self, pc: u64) -> Option<(Arc<Cu>, usize, usize)> {
        for u in self.units_at(pc) {
            let cu = self.cu(u)?.clone();
            let lines = cu.lines(self.code_len);
            if let Some((s, r)) = lines.find(pc) {
                return Some((cu, s, r));
            }
        }
        None
    }

    pub fn location(&self, pc: u64) -> Option<SourceLoc> {
        let (cu, s, r) = self.row_at(pc)?;
        let lines = cu.lines(self.code_len);
        let row = lines.seqs[s].rows[r];
        if row.line == 0 {
            return None;
        }
        Some(SourceLoc {
            file: lines
                .files
                .get(row.file as usize)
                .cloned()
                .unwrap_or_default(),
            line: row.line,
            column: row.column,
        })
    }

    pub fn is_stmt_boundary(&self, pc: u64) -> bool {
        let Some((cu, s, _)) = self.row_at(pc) else {
            return false;
        };
        let rows = &cu.lines(self.code_len).seqs[s].rows;
        let first = rows.partition_point(|r| r.addr < pc);
        let at: Vec<&Row> = rows[first..].iter().take_while(|r| r.addr == pc).collect();
        let Some(last) = at.last() else { return false };
        if last.line == 0 || !at.iter().any(|r| r.is_stmt) {
            return false;
        }
        match first.checked_sub(1).map(|i| rows[i]) {
            Some(prev) => prev.line != last.line || prev.file != last.file,
            None => true,
        }
    }

    pub fn line_range(&self, pc: u64) -> Option<Range<u32>> {
        let (cu, s, r) = self.row_at(pc)?;
        let seq = &cu.lines(self.code_len).seqs[s];
        let rows = &seq.rows;
        let key = (rows[r].file, rows[r].line);
        let mut lo = r;
        while lo > 0 && (rows[lo - 1].file, rows[lo - 1].line) == key {
            lo -= 1;
        }
        let mut hi = r + 1;
        while hi < rows.len() && (rows[hi].file, rows[hi].line) == key {
            hi += 1;
        }
        let end = rows.get(hi).map_or(seq.end, |row| row.addr);
        Some(rows[lo].addr as u32..end as u32)
    }

    pub fn source_files(&self) -> Vec<String> {
        let mut set = BTreeSet::new();
        for i in 0..self.units.len() {
            if let Some(cu) = self.cu(i) {
                for f in cu.file_names() {
                    if !f.is_empty() {
                        set.insert(f);
                    }
                }
            }
        }
        set.into_iter().collect()
    }

    pub fn resolve_line(&self, file: &str, line: u32) -> Result<LineMatch, String> {
        // Match file names on line-table headers first: only matching units'
        // rows get decoded.
        let mut matched_files = BTreeSet::new();
        let mut units = Vec::new();
        for i in 0..self.units.len() {
            let Some(cu) = self.cu(i) else { continue };
            let names = cu.file_names();
            let hits: Vec<String> = names
                .into_iter()
                .filter(|f| path_matches(f, file))
                .collect();
            if !hits.is_empty() {
                matched_files.extend(hits);
                units.push(i);
            }
        }
        if matched_files.is_empty() {
            return Err(format!("no source file matches `{file}`"));
        }
        if matched_files.len() > 1 {
            let list: Vec<String> = matched_files.into_iter().collect();
            return Err(format!("`{file}` is ambiguous: {}", list.join(", ")));
        }
        let full = matched_files.into_iter().next().expect("one file matched");
        // Every (line, code_offset) where a run of rows for the file starts.
        let mut starts: Vec<(u32, u64, bool)> = Vec::new();
        for &u in &units {
            let Some(cu) = self.cu(u) else { continue };
            let lines = cu.lines(self.code_len);
            for seq in &lines.seqs {
                let mut prev: Option<(u32, u32)> = None;
                for row in &seq.rows {
                    let is_file = lines
                        .files
                        .get(row.file as usize)
                        .is_some_and(|f| *f == full);
                    let key = (row.file, row.line);
                    if is_file && row.line != 0 && prev != Some(key) {
                        starts.push((row.line, row.addr, row.is_stmt));
                    }
                    prev = Some(key);
                }
            }
        }
        let target = starts.iter().filter(|s| s.0 >= line).map(|s| s.0).min();
        let Some(target) = target else {
            return Err(format!("{full} has no code at or after line {line}"));
        };
        let mut offsets: Vec<u32> = starts
            .iter()
            .filter(|s| s.0 == target && s.2)
            .map(|s| s.1 as u32)
            .collect();
        if offsets.is_empty() {
            offsets = starts
                .iter()
                .filter(|s| s.0 == target)
                .map(|s| s.1 as u32)
                .collect();
        }
        offsets.sort_unstable();
        offsets.dedup();
        Ok(LineMatch {
            file: full,
            requested_line: line,
            line: target,
            code_offsets: offsets,
        })
    }
}

impl Lines {
    /// (sequence, row) of the row covering `pc`.
    pub(super) fn find(&self, pc: u64) -> Option<(usize, usize)> {
        let s = self
            .seqs
            .partition_point(|s| s.start <= pc)
            .checked_sub(1)?;
        // Sequences do not overlap once dead code is dropped; check a few back
        // in case they do.
        for si in (s.saturating_sub(4)..=s).rev() {
            let seq = &self.seqs[si];
            if pc >= seq.start && pc < seq.end {
                let r = seq.rows.partition_point(|r| r.addr <= pc).checked_sub(1)?;
                return Some((si, r));
            }
        }
        None
    }

    pub(super) fn after_prologue(&self, low: u64, high: u64) -> Option<u64> {
        // Rows of the function, from every sequence overlapping it (some
        // producers start the line table only after the prologue).
        let first = self.seqs.partition_point(|s| s.end <= low);
        let rows: Vec<&Row> = self.seqs[first.min(self.seqs.len())..]
            .iter()
            .take_while(|s| s.start < high)
            .flat_map(|s| s.rows.iter())
            .filter(|r| r.addr >= low && r.addr < high)
            .collect();
        if let Some(r) = rows.iter().find(|r| r.prologue_end) {
            return Some(r.addr);
        }
        rows.iter()
            .find(|r| r.addr > low && r.is_stmt && r.line != 0)
            .map(|r| r.addr)
    }
}
