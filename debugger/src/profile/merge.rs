//! JIT/AOT figures beside the interpreter's, and where two modes' outputs
//! first differ.

use super::*;

/// Put the JIT/AOT figures beside the interpreter's, by function index.
/// Calls must be equal in every mode (the same program ran): a difference
/// is reported like a stdout difference.
pub(super) fn merge_native(
    rows: &mut [FuncRow],
    profiles: &[NativeProfile],
    num_imported: u32,
    interp_sampled_ms: f64,
    plain_cpu: Option<(f64, f64)>,
    name_of: &dyn Fn(u32) -> String,
    mismatches: &mut Vec<String>,
) {
    for np in profiles {
        let mut missing: Vec<(u32, NativeFunc)> = Vec::new();
        let mut found = std::collections::HashSet::new();
        for row in rows.iter_mut() {
            let Some(i) = row.func_index else { continue };
            let f = np.funcs.get(&i).copied().unwrap_or_default();
            found.insert(i);
            // Calls to imports through a table are not counted by the JIT
            // instrumentation (see `jit`), so only wasm functions and
            // directly called imports are compared.
            if f.calls != row.calls && (f.calls != 0 || i >= num_imported) {
                mismatches.push(format!(
                    "{}: {} calls to {} (the interpreter counted {})",
                    np.mode, f.calls, row.name, row.calls
                ));
            }
            match np.mode.as_str() {
                "jit" => row.jit = Some(f),
                _ => row.aot = Some(f),
            }
        }
        for (&i, f) in &np.funcs {
            if !found.contains(&i) {
                missing.push((i, *f));
            }
        }
        missing.sort_by_key(|m| m.0);
        for (i, f) in missing {
            mismatches.push(format!(
                "{}: {} calls to {} (the interpreter counted 0)",
                np.mode,
                f.calls,
                name_of(i)
            ));
        }
    }
    let jit = profiles.iter().find(|p| p.mode == "jit");
    for row in rows.iter_mut() {
        row.jit_vs_interp = match (jit, row.jit, plain_cpu) {
            (Some(jp), Some(j), Some((interp_cpu, jit_cpu)))
                if j.samples > 0 && row.samples > 0 && interp_sampled_ms > 0.0 =>
            {
                let interp_est = row.self_ms / interp_sampled_ms * interp_cpu;
                let jit_est = j.self_ms / jp.sampled_ms * jit_cpu;
                (jit_est > 0.0).then(|| interp_est / jit_est)
            }
            _ => None,
        };
    }
}

/// `, first difference at byte N` for two outputs.
pub(super) fn first_difference(a: &[u8], b: &[u8]) -> String {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => format!(", first difference at byte {i}"),
        None if a.len() != b.len() => format!(
            ", one is a prefix of the other up to byte {}",
            a.len().min(b.len())
        ),
        None => String::new(),
    }
}
