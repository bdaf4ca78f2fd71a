//! A lifted (`canon lift`ed) component function: how the host, or another
//! component's `canon lower`, calls it (arguments lowered into its memory,
//! results lifted out, `post-return`), and the per-instance state it shares.

use std::sync::{Arc, Mutex};

use wasmparser::ValType;

use super::StringEncoding;
use super::abi::{self, Cx, HandleTable, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, call_wasm};
use super::types::{FuncTy, Ty, Val};
use crate::runtime::{HostError, Store};
use crate::value::{FuncAddr, Value};

/// State of one component instance: its resource handle table.
pub struct CompState {
    pub handles: Mutex<HandleTable>,
}

/// A lifted (exported) component function.
pub struct Lifted {
    pub core: FuncAddr,
    pub ty: FuncTy,
    pub memory: Option<u32>,
    pub realloc: Option<FuncAddr>,
    pub post_return: Option<FuncAddr>,
    pub encoding: StringEncoding,
    pub state: Arc<CompState>,
    /// The parameters' core types, flattened (worked out once: every
    /// call of a composed component's export lowers through them).
    pub(super) flat_params: Vec<ValType>,
    /// The parameter types as one tuple (passed in memory when they
    /// flatten to more than `MAX_FLAT_PARAMS` values).
    pub(super) params_tuple: Ty,
}

impl std::fmt::Debug for Lifted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lifted(func {} {})", self.core, self.ty)
    }
}

impl Lifted {
    pub(super) fn new(
        core: FuncAddr,
        ty: FuncTy,
        (memory, realloc, post_return): (Option<u32>, Option<FuncAddr>, Option<FuncAddr>),
        encoding: StringEncoding,
        state: Arc<CompState>,
    ) -> Lifted {
        let mut flat_params = Vec::new();
        for (_, t) in &ty.params {
            abi::flatten(t, &mut flat_params);
        }
        let params_tuple = Ty::Tuple(ty.params.iter().map(|(_, t)| t.clone()).collect());
        Lifted {
            core,
            ty,
            memory,
            realloc,
            post_return,
            encoding,
            state,
            flat_params,
            params_tuple,
        }
    }

    fn cx<'a>(&'a self, store: &'a mut Store) -> Cx<'a> {
        Cx {
            store,
            memory: self.memory,
            realloc: self.realloc,
            encoding: self.encoding,
            handles: &self.state.handles,
        }
    }

    /// The core arguments for a call with `args` (strings and lists are
    /// copied in through the function's `realloc`).
    pub fn lower_args(
        &self,
        store: &mut Store,
        args: &[Val],
    ) -> std::result::Result<Vec<Value>, HostError> {
        if args.len() != self.ty.params.len() {
            return abi::trap(format!(
                "{} expects {} argument(s), given {}",
                self.ty,
                self.ty.params.len(),
                args.len()
            ));
        }
        let mut cx = self.cx(store);
        if self.flat_params.len() <= MAX_FLAT_PARAMS {
            let mut bits = Vec::with_capacity(self.flat_params.len());
            for ((_, t), v) in self.ty.params.iter().zip(args) {
                cx.lower_flat(t, v, &mut bits)?;
            }
            Ok(self
                .flat_params
                .iter()
                .zip(bits)
                .map(|(t, b)| abi::bits_to_value(*t, b))
                .collect())
        } else {
            let tuple = &self.params_tuple;
            let p = cx.alloc(abi::align(tuple), abi::size(tuple))?;
            cx.store(tuple, &Val::Tuple(args.to_vec()), p)?;
            Ok(vec![Value::I32(p as i32)])
        }
    }

    /// Lift the core results of a call, then run `post-return` (if any).
    pub fn lift_results(
        &self,
        store: &mut Store,
        results: &[Value],
    ) -> std::result::Result<Option<Val>, HostError> {
        let out = match &self.ty.result {
            None => None,
            Some(t) => {
                let bits: Vec<u64> = results.iter().map(abi::value_to_bits).collect();
                let mut cx = self.cx(store);
                if abi::flat_count(t) <= MAX_FLAT_RESULTS {
                    Some(cx.lift_flat(t, &mut bits.iter())?)
                } else {
                    let p = bits.first().copied().unwrap_or(0) as u32;
                    Some(cx.load(t, p)?)
                }
            }
        };
        if let Some(pr) = self.post_return {
            call_wasm(store, pr, results)?;
        }
        Ok(out)
    }
}
