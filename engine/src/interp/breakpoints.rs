//! Breakpoint and pc-map services on the store's translated code: code
//! translated on first use, breakpoints patched into it (`Op::Breakpoint`,
//! the original kept in `Code::patched`) with their conditions
//! ([`BreakCheck`]), and `pc` <-> `code_offset`.

use std::sync::Arc;

use super::BreakCheck;
use crate::error::{Error, Result};
use crate::ir::{Code, Op};
use crate::runtime::Store;
use crate::runtime::store::FuncKind;
use crate::value::FuncAddr;

/// Breakpoint and pc-map services on the store's translated code.
impl Store {
    /// The translated code of wasm function `func`, translating it now if needed.
    pub(crate) fn code(&mut self, func: FuncAddr) -> Result<Arc<Code>> {
        let f = self
            .funcs
            .get(func as usize)
            .ok_or_else(|| Error::usage(format!("no function at address {func}")))?;
        match &f.kind {
            FuncKind::Wasm { code: Some(c), .. } => Ok(c.clone()),
            FuncKind::Wasm {
                instance, index, ..
            } => {
                let mut code =
                    crate::translate::translate(&self.instances[instance.0 as usize], *index)?;
                self.patch_new_code(&mut code);
                let code = Arc::new(code);
                if let FuncKind::Wasm { code: slot, .. } = &mut self.funcs[func as usize].kind {
                    *slot = Some(code.clone());
                }
                Ok(code)
            }
            FuncKind::Host(_) => Err(Error::usage(format!(
                "function {func} is a host function and has no code"
            ))),
        }
    }

    /// Already-translated code, if any.
    pub(crate) fn compiled(&self, func: FuncAddr) -> Option<&Arc<Code>> {
        match &self.funcs.get(func as usize)?.kind {
            FuncKind::Wasm { code, .. } => code.as_ref(),
            FuncKind::Host(_) => None,
        }
    }

    pub(super) fn code_mut(&mut self, func: FuncAddr) -> Result<&mut Code> {
        self.code(func)?;
        match &mut self.funcs[func as usize].kind {
            FuncKind::Wasm { code: Some(c), .. } => Ok(Arc::make_mut(c)),
            _ => unreachable!("code() translated it"),
        }
    }

    /// The translated code of wasm function `func` (translating it if
    /// needed), for tools that look at the IR (op statistics, benches).
    pub fn translated_code(&mut self, func: FuncAddr) -> Result<Arc<Code>> {
        self.code(func)
    }

    /// Number of IR ops of a wasm function (translating it if needed).
    pub fn code_len(&mut self, func: FuncAddr) -> Result<u32> {
        Ok(self.code(func)?.ops.len() as u32)
    }

    /// Patch a breakpoint at `pc` of wasm function `func` (translating it first if needed).
    pub fn set_breakpoint(&mut self, func: FuncAddr, pc: u32) -> Result<()> {
        let code = self.code_mut(func)?;
        // No superinstruction may run past a breakpoint.
        code.unfuse_at(pc);
        let Some(op) = code.ops.get(pc as usize).copied() else {
            return Err(Error::usage(format!(
                "pc {pc} is past the end of the function ({} ops)",
                code.ops.len()
            )));
        };
        if op != Op::Breakpoint {
            code.patched.insert(pc, op);
            code.ops[pc as usize] = Op::Breakpoint;
        }
        Ok(())
    }
    pub fn clear_breakpoint(&mut self, func: FuncAddr, pc: u32) {
        if self.compiled(func).is_none() {
            return;
        }
        if let Ok(code) = self.code_mut(func)
            && let Some(op) = code.patched.remove(&pc)
        {
            code.ops[pc as usize] = op;
        }
        self.break_checks.map.remove(&(func, pc));
    }

    /// Attach a condition and ignore count to the breakpoint patched at
    /// `pc` of `func`: the executor then decides its hits itself (see
    /// [`pred`]) and pauses only when the check says so. Replaces an
    /// earlier check; clearing the breakpoint removes it.
    pub fn set_break_check(&mut self, func: FuncAddr, pc: u32, check: BreakCheck) -> Result<()> {
        let Some(&orig) = self.compiled(func).and_then(|c| c.patched.get(&pc)) else {
            return Err(Error::usage(format!(
                "no breakpoint at pc {pc} of function {func} to attach a check to"
            )));
        };
        self.break_checks.map.insert((func, pc), (check, orig));
        Ok(())
    }

    /// Remove the check of the breakpoint at `pc` of `func` (the breakpoint
    /// stays and pauses every time), returning it with its counts.
    pub fn take_break_check(&mut self, func: FuncAddr, pc: u32) -> Option<BreakCheck> {
        self.break_checks.map.remove(&(func, pc)).map(|(c, _)| c)
    }

    pub fn break_check(&self, func: FuncAddr, pc: u32) -> Option<&BreakCheck> {
        self.break_checks.map.get(&(func, pc)).map(|(c, _)| c)
    }

    pub fn break_check_mut(&mut self, func: FuncAddr, pc: u32) -> Option<&mut BreakCheck> {
        self.break_checks.map.get_mut(&(func, pc)).map(|(c, _)| c)
    }
    /// `code_offset` of the instruction at `pc`.
    pub fn code_offset_from_pc(&mut self, func: FuncAddr, pc: u32) -> Option<u32> {
        self.code(func).ok()?.offsets.get(pc as usize).copied()
    }
    /// The first `pc` whose `code_offset` is >= `code_offset` within `func`.
    pub fn pc_from_code_offset(&mut self, func: FuncAddr, code_offset: u32) -> Option<u32> {
        let code = self.code(func).ok()?;
        let i = code.offsets.partition_point(|&o| o < code_offset);
        (i < code.offsets.len()).then_some(i as u32)
    }
}
