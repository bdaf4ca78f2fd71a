//! The interpreter's instrumented run: exact instruction and call counts
//! per function, call stacks, sampled time, and the rows and folded stacks
//! made from them.

use super::*;

/// The interpreter's instrumented run: exact counts, stacks, sampled time.
pub(super) struct Instrumented {
    pub(super) outcome: String,
    pub(super) stdout: Vec<u8>,
    pub(super) instructions: u64,
    pub(super) counters: FuncCounters,
    pub(super) stacks: StackProfile,
    pub(super) memory_bytes: Option<u64>,
    /// Function address -> (module function index, display name).
    pub(super) names: HashMap<FuncAddr, (Option<u32>, String)>,
    /// Per function address, per pc: code_offset (for `--lines`).
    pub(super) pc_offsets: HashMap<FuncAddr, Vec<u32>>,
}

pub(super) fn display_name(module: &Module, index: u32) -> String {
    if index < module.num_imported_funcs {
        let mut n = 0;
        for imp in &module.imports {
            if let wdb_engine::module::ImportKind::Func(_) = imp.kind {
                if n == index {
                    return format!("{}::{}", imp.module, imp.name);
                }
                n += 1;
            }
        }
    }
    match module.func_name(index) {
        Some(n) => crate::demangle::display(n),
        None => format!("func[{index}]"),
    }
}

pub(super) fn run_instrumented(
    cfg: &ProfileConfig,
    module: &Arc<Module>,
) -> Result<Instrumented, ProfileError> {
    let e = |m: String| ProfileError(m);
    let (out, buf) = capture();
    let Prepared {
        mut store,
        inst,
        start,
        ..
    } = Prepared::new(
        module,
        &cfg.file.display().to_string(),
        HostOptions {
            wasi: cfg.wasi(out),
            ..cfg.host()
        },
    )
    .map_err(|x| e(x.message))?;
    let _cancel = cfg
        .cancel
        .clone()
        .map(|c| runner::forward_interrupt(c, store.interrupt_handle()));
    let export = |store: &Store, name: &str| match store.instance_export(inst, name) {
        Some(Extern::Func(f)) => Some(f),
        _ => None,
    };
    let mut steps: Vec<(FuncAddr, Vec<Value>)> = Vec::new();
    if let Some(s) = start {
        steps.push((s, Vec::new()));
    }
    let main = match &cfg.invoke {
        Some((name, args)) => {
            if let Some(init) = export(&store, "_initialize") {
                steps.push((init, Vec::new()));
            }
            let f = export(&store, name).ok_or_else(|| {
                e(format!(
                    "no exported function `{name}`; function exports:\n  {}",
                    runner::function_exports(module).join("\n  ")
                ))
            })?;
            let idx = module.exported_func(name).expect("exported");
            let vals = wdb_engine::args::parse_args_named(name, module.func_type(idx), args)
                .map_err(|x| e(x.message))?;
            steps.push((f, vals));
            f
        }
        None => {
            let f = export(&store, "_start").ok_or_else(|| {
                e(format!(
                    "{} has no `_start` export (is it a reactor? use --invoke FUNC); function exports:\n  {}",
                    cfg.file.display(),
                    runner::function_exports(module).join("\n  ")
                ))
            })?;
            steps.push((f, Vec::new()));
            f
        }
    };
    let mut ctl = RunControl {
        count_instructions: true,
        profile: Some(FuncCounters::default()),
        stacks: Some(StackProfile::new(cfg.sample_every, cfg.lines)),
        ..RunControl::default()
    };
    let mut outcome = RunOutcome::Returned(Vec::new());
    let mut results = Vec::new();
    for (func, args) in steps {
        let mut exec = Execution::new(&mut store, func, &args).map_err(|x| e(x.to_string()))?;
        outcome = loop {
            match exec.run(&mut store, &mut ctl) {
                RunOutcome::Paused(PauseReason::HostRequested) => continue,
                o => break o,
            }
        };
        match &outcome {
            RunOutcome::Returned(v) if func == main => results = v.clone(),
            RunOutcome::Returned(_) => {}
            _ => break,
        }
    }
    let memory_bytes = store
        .instance_memory(inst)
        .map(|m| store.memory(m).len() as u64);
    let mut names = HashMap::new();
    let nfuncs = module.func_types.len() as u32;
    for i in 0..nfuncs {
        names.insert(
            store.instance_func(inst, i),
            (Some(i), display_name(module, i)),
        );
    }
    let stacks = ctl.stacks.take().expect("set above");
    let mut pc_offsets = HashMap::new();
    if cfg.lines {
        for (f, counts) in stacks.pc_counts.iter().enumerate() {
            if counts.is_empty() {
                continue;
            }
            let f = f as FuncAddr;
            let offs = (0..counts.len() as u32)
                .map(|pc| store.code_offset_from_pc(f, pc).unwrap_or(0))
                .collect();
            pc_offsets.insert(f, offs);
        }
    }
    Ok(Instrumented {
        outcome: outcome_text(&outcome, &results),
        stdout: take(&buf),
        instructions: ctl.instructions,
        counters: ctl.profile.take().expect("set above"),
        stacks,
        memory_bytes,
        names,
        pc_offsets,
    })
}

/// Per-function rows from the calling-context tree: self figures summed
/// over every context of the function, inclusive figures over the subtrees
/// of its outermost contexts (so recursion is counted once).
pub(super) fn function_rows(ins: &Instrumented) -> (Vec<FuncRow>, Vec<String>) {
    let st = &ins.stacks;
    let n = st.nodes.len();
    // Subtree totals, children after parents in `nodes`, so walk backwards.
    let mut sub_instr = vec![0u64; n];
    let mut sub_nanos = vec![0u64; n];
    let mut sub_samples = vec![0u64; n];
    for i in (0..n).rev() {
        let node = &st.nodes[i];
        sub_instr[i] += node.self_instructions;
        sub_nanos[i] += node.self_nanos;
        sub_samples[i] += node.samples;
        if i != 0 {
            let p = node.parent as usize;
            sub_instr[p] += sub_instr[i];
            sub_nanos[p] += sub_nanos[i];
            sub_samples[p] += sub_samples[i];
        }
    }
    #[derive(Default)]
    struct Acc {
        calls: u64,
        self_i: u64,
        incl_i: u64,
        self_ns: u64,
        incl_ns: u64,
        samples: u64,
    }
    let mut acc: HashMap<FuncAddr, Acc> = HashMap::new();
    // Depth-first with the multiset of functions on the current path.
    let mut on_path: HashMap<FuncAddr, u32> = HashMap::new();
    let mut todo: Vec<(u32, bool)> = vec![(0, false)];
    while let Some((i, leaving)) = todo.pop() {
        let node = &st.nodes[i as usize];
        if i != 0 {
            if leaving {
                if let Some(c) = on_path.get_mut(&node.func) {
                    *c -= 1;
                }
                continue;
            }
            let a = acc.entry(node.func).or_default();
            a.calls += node.calls;
            a.self_i += node.self_instructions;
            a.self_ns += node.self_nanos;
            a.samples += node.samples;
            let depth = on_path.entry(node.func).or_insert(0);
            if *depth == 0 {
                a.incl_i += sub_instr[i as usize];
                a.incl_ns += sub_nanos[i as usize];
            }
            *depth += 1;
            todo.push((i, true));
        }
        for &(_, c) in node.children.iter().rev() {
            todo.push((c, false));
        }
    }
    // The engine's flat counters must agree with the tree.
    let mut disagreements = Vec::new();
    let get = |v: &Vec<u64>, f: FuncAddr| v.get(f as usize).copied().unwrap_or(0);
    for (&f, a) in &acc {
        let (calls, self_i) = (
            get(&ins.counters.calls, f),
            get(&ins.counters.self_instructions, f),
        );
        if (calls, self_i) != (a.calls, a.self_i) {
            disagreements.push(format!(
                "internal: function {f}: call-stack profile says {} calls / {} instructions, flat counters {calls} / {self_i}",
                a.calls, a.self_i
            ));
        }
    }
    let mut rows: Vec<FuncRow> = acc
        .into_iter()
        .map(|(f, a)| {
            let (func_index, name) = ins
                .names
                .get(&f)
                .cloned()
                .unwrap_or((None, format!("host#{f}")));
            FuncRow {
                func_index,
                name,
                calls: a.calls,
                self_instructions: a.self_i,
                incl_instructions: a.incl_i,
                self_ms: a.self_ns as f64 / 1e6,
                incl_ms: a.incl_ns as f64 / 1e6,
                samples: a.samples,
                jit: None,
                aot: None,
                jit_vs_interp: None,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.incl_instructions
            .cmp(&a.incl_instructions)
            .then(b.self_instructions.cmp(&a.self_instructions))
            .then(b.calls.cmp(&a.calls))
            .then(a.name.cmp(&b.name))
    });
    (rows, disagreements)
}

/// A frame name for folded stacks: `;` separates frames and the last space
/// the count, so neither may appear in a name.
pub(super) fn folded_name(name: &str) -> String {
    name.replace(';', ":").replace(' ', "\u{a0}")
}

/// Folded stacks (`outer;inner WEIGHT`), one line per context with weight.
pub(super) fn folded(
    ins: &Instrumented,
    weight: impl Fn(&wdb_engine::interp::profile::StackNode) -> u64,
) -> Vec<String> {
    let st = &ins.stacks;
    let mut out = Vec::new();
    for (i, node) in st.nodes.iter().enumerate().skip(1) {
        let w = weight(node);
        if w == 0 {
            continue;
        }
        let names: Vec<String> = st
            .stack_of(i as u32)
            .into_iter()
            .map(|f| {
                folded_name(
                    &ins.names
                        .get(&f)
                        .map(|n| n.1.clone())
                        .unwrap_or_else(|| format!("host#{f}")),
                )
            })
            .collect();
        out.push(format!("{} {w}", names.join(";")));
    }
    out.sort();
    out
}
