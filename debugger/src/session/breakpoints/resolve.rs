//! Resolving a location (`FUNC`, `FUNC+OFFSET`, `*CODE_OFFSET`,
//! `FILE:LINE`) to the code offsets a breakpoint patches.

use super::*;

impl Session {
    pub(in crate::session) fn resolve_function(&self, module: &Module, name: &str) -> Res<u32> {
        match self.resolve_functions(module, name)?.as_slice() {
            [one] => Ok(*one),
            many => Err(err(
                BadArgument,
                format!(
                    "\"{name}\" is ambiguous: {}",
                    many.iter()
                        .map(|i| format!("func[{i}]"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }

    /// Every function `name` names (an export, a name-section name, a
    /// mangled name, `func[N]`), sorted; an error when there is none.
    pub(in crate::session) fn resolve_functions(
        &self,
        module: &Module,
        name: &str,
    ) -> Res<Vec<u32>> {
        let mut found: Vec<u32> = Vec::new();
        for (&i, n) in &module.names.functions {
            if n == name {
                found.push(i);
            }
        }
        if let Ok(l) = self.loaded() {
            found.extend(
                l.mangled
                    .iter()
                    .filter(|(_, n)| *n == name)
                    .map(|(&i, _)| i),
            );
        }
        for e in &module.exports {
            if e.kind == ExternKind::Func && e.name == name {
                found.push(e.index);
            }
        }
        if let Some(idx) = name
            .strip_prefix("func[")
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|n| n.parse().ok())
        {
            found.push(idx);
        }
        // A name only DWARF knows (C's `main` is `__original_main` in the
        // name section).
        if found.is_empty()
            && let Ok(l) = self.loaded()
        {
            found.extend(
                l.source
                    .info
                    .functions_named(name)
                    .into_iter()
                    .filter_map(|fi| module.func_at_code_offset(fi.low_pc)),
            );
        }
        found.sort();
        found.dedup();
        match found.as_slice() {
            [] => {
                let mut cands: Vec<&str> = module
                    .names
                    .functions
                    .values()
                    .map(String::as_str)
                    .chain(
                        module
                            .exports
                            .iter()
                            .filter(|e| e.kind == ExternKind::Func)
                            .map(|e| e.name.as_str()),
                    )
                    .filter(|n| n.contains(name))
                    .collect();
                cands.sort();
                cands.dedup();
                if cands.is_empty() {
                    Err(err(NotFound, format!("Function \"{name}\" not defined.")))
                } else {
                    cands.truncate(10);
                    Err(err(
                        NotFound,
                        format!(
                            "Function \"{name}\" not defined. Did you mean: {}",
                            cands.join(", ")
                        ),
                    ))
                }
            }
            _ => Ok(found),
        }
    }

    /// Where a function's code starts for a breakpoint: after its prologue
    /// when DWARF says where that ends (gdb's rule), else at its first
    /// instruction.
    pub(in crate::session) fn function_entry(
        &self,
        module: &Module,
        f: u32,
        name: Option<&str>,
    ) -> Res<u32> {
        let first =
            disasm::first_instruction(module, f).ok_or("cannot decode the function body")?;
        let body = module
            .body(f)
            .ok_or_else(|| err(Unsupported, "an imported function has no code"))?
            .range
            .clone();
        let info = &self.loaded()?.source.info;
        let in_body = |fi: &crate::dwarf::FunctionInfo| {
            body.contains(&module.module_offset_from_code_offset(fi.low_pc))
        };
        let by_name = name.and_then(|n| {
            info.functions_named(n)
                .into_iter()
                .find(|fi| in_body(fi))
                .and_then(|fi| fi.entry_after_prologue)
        });
        let by_place = || {
            info.function_at(first)
                .filter(|fi| in_body(fi))
                .and_then(|fi| fi.entry_after_prologue)
        };
        Ok(by_name.or_else(by_place).unwrap_or(first))
    }

    pub(in crate::session) fn resolve_spec(&self, spec: &BreakSpec) -> Res<BpKind> {
        let spec = &self.with_default_file(spec)?;
        let module = self.module()?;
        let mut more = Vec::new();
        let (func_index, code_offset) = match spec {
            BreakSpec::Function(name) => {
                // Inlined copies (DWARF) are locations too; a function that
                // was only inlined has no wasm function of its own.
                let inlined: Vec<(u32, u32)> = self
                    .loaded()?
                    .source
                    .info
                    .inline_instances_named(name)
                    .into_iter()
                    .filter_map(|i| Some((module.func_at_code_offset(i.entry)?, i.entry)))
                    .collect();
                let funcs = match self.resolve_functions(&module, name) {
                    Ok(f) => f,
                    Err(e) => {
                        let Some((&first, rest)) = inlined.split_first() else {
                            return Err(e);
                        };
                        return Ok(BpKind::Code {
                            spec: spec.clone(),
                            func_index: first.0,
                            code_offset: first.1,
                            more: rest.to_vec(),
                        });
                    }
                };
                // Every function the name matches is a location (in a Rust
                // module: the function and its export wrapper), as gdb's 1.1, 1.2.
                let defined: Vec<u32> = funcs
                    .into_iter()
                    .filter(|&f| module.body(f).is_some())
                    .collect();
                let Some((&f, others)) = defined.split_first() else {
                    return Err(err(
                        Unsupported,
                        format!(
                            "\"{name}\" is an imported function: use `catch wasi` to stop at host calls"
                        ),
                    ));
                };
                for &g in others {
                    more.push((g, self.function_entry(&module, g, Some(name))?));
                }
                more.extend(inlined);
                (f, self.function_entry(&module, f, Some(name))?)
            }
            BreakSpec::FuncOffset(name, off) => {
                let f = self.resolve_function(&module, name)?;
                let body = module.body(f).ok_or_else(|| {
                    err(Unsupported, format!("\"{name}\" is an imported function"))
                })?;
                let co = module.code_offset_from_module_offset(body.range.start) + off;
                if module.module_offset_from_code_offset(co) >= body.range.end {
                    return Err(err(
                        BadArgument,
                        format!(
                            "offset {off:#x} is past the end of {name} ({} bytes)",
                            body.range.len()
                        ),
                    ));
                }
                (f, co)
            }
            BreakSpec::CodeOffset(co) => {
                let f = module.func_at_code_offset(*co).ok_or_else(|| {
                    err(
                        NotFound,
                        format!("code_offset {co:#x} is not inside a function body"),
                    )
                })?;
                // A function's start (its body, or its first instruction)
                // means after its prologue, as `break FUNC`.
                let body_start = module.code_offset_from_module_offset(
                    module.body(f).expect("found in a body").range.start,
                );
                let first = disasm::first_instruction(&module, f);
                if *co == body_start || Some(*co) == first {
                    (f, self.function_entry(&module, f, None)?)
                } else {
                    (f, *co)
                }
            }
            BreakSpec::Line(file, line) => {
                let l = self.loaded()?;
                let offs = l.source.resolve_line(file, *line)?;
                let co = *offs
                    .first()
                    .ok_or_else(|| err(NotFound, format!("no code for {file}:{line}")))?;
                let f = module
                    .func_at_code_offset(co)
                    .ok_or_else(|| err(NotFound, "line maps outside any function"))?;
                // The opening line of a function starts at its prologue, where
                // arguments are not yet in place: stop after it, as `break FUNC` does.
                let co = l
                    .source
                    .info
                    .function_at(co)
                    .filter(|fi| fi.low_pc == co)
                    .and_then(|fi| fi.entry_after_prologue)
                    .unwrap_or(co);
                (f, co)
            }
        };
        more.retain(|&(_, co)| co != code_offset);
        Ok(BpKind::Code {
            spec: spec.clone(),
            func_index,
            code_offset,
            more,
        })
    }
}
