//! DWARF location expressions, evaluated against a paused wasm frame.
//!
//! A small evaluator over `gimli::Operation` rather than gimli's
//! `Evaluation`: in wasm, `DW_OP_WASM_location` names a local, global or
//! operand-stack slot, and a location that *ends* with one means "the value
//! is in that slot" (like a register), which gimli would report as a memory
//! address. Here that case is a [`Place::Bytes`] holding the slot's value.

use gimli::{Operation, Reader as _};
use wdb_engine::Value;

use super::{FrameAccess, R};

/// Where an object's bytes are.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Place {
    /// In linear memory at this address.
    Memory(u64),
    /// Not addressable: the bytes themselves (a wasm local, a stack value,
    /// a constant, or pieces put together).
    Bytes(Vec<u8>),
}

const MAX_OPS: usize = 1000;
const MAX_STACK: usize = 1000;
/// Total bytes a value may be assembled from with `DW_OP_piece`.
const MAX_PIECES_BYTES: usize = 1 << 16;

fn value_bytes(v: Value) -> Vec<u8> {
    match v {
        Value::I32(x) => x.to_le_bytes().to_vec(),
        Value::I64(x) => x.to_le_bytes().to_vec(),
        Value::F32(x) => x.to_le_bytes().to_vec(),
        Value::F64(x) => x.to_le_bytes().to_vec(),
        Value::V128(x) => x.to_le_bytes().to_vec(),
        Value::FuncRef(r) | Value::ExternRef(r) | Value::ExnRef(r) => {
            r.map_or(0u32, |a| a.wrapping_add(1)).to_le_bytes().to_vec()
        }
        Value::AnyRef(r) => r.unwrap_or(0).to_le_bytes().to_vec(),
    }
}

fn value_u64(v: Value) -> u64 {
    match v {
        Value::I32(x) => x as u32 as u64,
        Value::I64(x) => x as u64,
        Value::F32(x) => x as u64,
        Value::F64(x) => x,
        Value::V128(x) => x as u64,
        Value::FuncRef(r) | Value::ExternRef(r) | Value::ExnRef(r) => r.map_or(0, |a| a as u64 + 1),
        Value::AnyRef(r) => r.unwrap_or(0),
    }
}

fn le_u64(bytes: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = bytes.len().min(8);
    b[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(b)
}

/// What the evaluator resolves addresses from (`DW_OP_addrx`).
pub(crate) struct ExprContext<'a> {
    pub dwarf: &'a gimli::Dwarf<R>,
    pub unit: &'a gimli::Unit<R>,
    pub frame_base: Option<u64>,
}

/// Evaluate a location expression. `Ok(None)`: the value is not available
/// (an empty expression, `DW_OP_entry_value`).
pub(crate) fn evaluate(
    expr: &gimli::Expression<R>,
    ctx: &ExprContext<'_>,
    frame: &dyn FrameAccess,
) -> Result<Option<Place>, String> {
    let encoding = ctx.unit.encoding();
    let addr_mask: u64 = if encoding.address_size >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * encoding.address_size as u32)) - 1
    };
    let mut pc = expr.0.clone();
    if pc.is_empty() {
        return Ok(None);
    }
    let mut stack: Vec<u64> = Vec::new();
    // The current piece is a whole wasm slot's value (set by DW_OP_WASM_location).
    let mut slot_value: Option<Vec<u8>> = None;
    let mut stack_value = false;
    let mut implicit: Option<Vec<u8>> = None;
    let mut pieces: Vec<u8> = Vec::new();
    let mut had_piece = false;
    let pop = |stack: &mut Vec<u64>| {
        stack
            .pop()
            .ok_or_else(|| "DWARF expression stack underflow".to_string())
    };
    for _ in 0..MAX_OPS {
        if pc.is_empty() {
            break;
        }
        let op = Operation::parse(&mut pc, encoding)
            .map_err(|e| format!("bad DWARF expression: {e}"))?;
        if stack.len() > MAX_STACK {
            return Err("DWARF expression stack overflow".to_string());
        }
        let wasm = |v: Option<Value>, what: &str, index: u32| -> Result<Value, String> {
            v.ok_or_else(|| format!("{what} {index} is not available in this frame"))
        };
        // Only an expression that *ends* on a slot (or a piece right after
        // one) means "the value is the slot"; any other op consumes it.
        let prev_slot = slot_value.take();
        match op {
            Operation::WasmLocal { index } => {
                let v = wasm(frame.local(index), "local", index)?;
                stack.push(value_u64(v));
                slot_value = Some(value_bytes(v));
            }
            Operation::WasmGlobal { index } => {
                let v = wasm(frame.global(index), "global", index)?;
                stack.push(value_u64(v));
                slot_value = Some(value_bytes(v));
            }
            Operation::WasmStack { index } => {
                let v = wasm(frame.operand(index), "operand stack slot", index)?;
                stack.push(value_u64(v));
                slot_value = Some(value_bytes(v));
            }
            Operation::FrameOffset { offset } => {
                let base = ctx
                    .frame_base
                    .ok_or("the function has no frame base here")?;
                stack.push(base.wrapping_add(offset as u64) & addr_mask);
            }
            Operation::StackValue => stack_value = true,
            Operation::ImplicitValue { data } => {
                implicit = Some(data.to_slice().map_err(|e| e.to_string())?.into_owned());
            }
            Operation::Piece { size_in_bits, .. } => {
                let size = usize::try_from(size_in_bits / 8)
                    .ok()
                    .filter(|&s| pieces.len() + s <= MAX_PIECES_BYTES)
                    .ok_or("DWARF piece too large")?;
                let mut bytes = if let Some(b) = implicit.take() {
                    b
                } else if stack_value {
                    stack.pop().unwrap_or(0).to_le_bytes().to_vec()
                } else if let Some(b) = prev_slot {
                    stack.pop();
                    b
                } else if let Some(addr) = stack.pop() {
                    frame
                        .read_memory(addr, size)
                        .ok_or_else(|| format!("cannot read memory at {addr:#x}"))?
                } else {
                    // An empty piece: that part is optimized out; show zeros.
                    vec![0; size]
                };
                bytes.resize(size, 0);
                pieces.extend_from_slice(&bytes);
                had_piece = true;
                stack_value = false;
            }
            Operation::UnsignedConstant { value } => stack.push(value),
            Operation::SignedConstant { value } => stack.push(value as u64),
            Operation::Address { address } => stack.push(address),
            Operation::AddressIndex { index } | Operation::ConstantIndex { index } => {
                let a = ctx
                    .dwarf
                    .address(ctx.unit, index)
                    .map_err(|e| e.to_string())?;
                stack.push(a);
            }
            Operation::PlusConstant { value } => {
                let a = pop(&mut stack)?;
                stack.push(a.wrapping_add(value));
            }
            Operation::Deref { size, .. } => {
                let addr = pop(&mut stack)? & addr_mask;
                let size = if size == 0 {
                    encoding.address_size
                } else {
                    size
                }
                .min(8);
                let bytes = frame
                    .read_memory(addr, size as usize)
                    .ok_or_else(|| format!("cannot read memory at {addr:#x}"))?;
                stack.push(le_u64(&bytes));
            }
            Operation::Drop => {
                pop(&mut stack)?;
            }
            Operation::Pick { index } => {
                let i = stack
                    .len()
                    .checked_sub(1 + index as usize)
                    .ok_or("DWARF expression stack underflow")?;
                stack.push(stack[i]);
            }
            Operation::Swap => {
                let a = pop(&mut stack)?;
                let b = pop(&mut stack)?;
                stack.push(a);
                stack.push(b);
            }
            Operation::Rot => {
                let a = pop(&mut stack)?;
                let b = pop(&mut stack)?;
                let c = pop(&mut stack)?;
                stack.push(a);
                stack.push(c);
                stack.push(b);
            }
            Operation::Neg => {
                let a = pop(&mut stack)?;
                stack.push((a as i64).wrapping_neg() as u64);
            }
            Operation::Not => {
                let a = pop(&mut stack)?;
                stack.push(!a);
            }
            Operation::Abs => {
                let a = pop(&mut stack)?;
                stack.push((a as i64).unsigned_abs());
            }
            Operation::Plus
            | Operation::Minus
            | Operation::Mul
            | Operation::Div
            | Operation::Mod
            | Operation::And
            | Operation::Or
            | Operation::Xor
            | Operation::Shl
            | Operation::Shr
            | Operation::Shra
            | Operation::Eq
            | Operation::Ne
            | Operation::Lt
            | Operation::Le
            | Operation::Gt
            | Operation::Ge => {
                let b = pop(&mut stack)?;
                let a = pop(&mut stack)?;
                let r = match op {
                    Operation::Plus => a.wrapping_add(b),
                    Operation::Minus => a.wrapping_sub(b),
                    Operation::Mul => a.wrapping_mul(b),
                    Operation::Div => (a as i64)
                        .checked_div(b as i64)
                        .ok_or("division by zero in DWARF expression")?
                        as u64,
                    Operation::Mod => a
                        .checked_rem(b)
                        .ok_or("division by zero in DWARF expression")?,
                    Operation::And => a & b,
                    Operation::Or => a | b,
                    Operation::Xor => a ^ b,
                    Operation::Shl => a.checked_shl(b as u32).unwrap_or(0),
                    Operation::Shr => a.checked_shr(b as u32).unwrap_or(0),
                    Operation::Shra => (a as i64)
                        .checked_shr(b as u32)
                        .unwrap_or(if (a as i64) < 0 { -1 } else { 0 })
                        as u64,
                    Operation::Eq => (a == b) as u64,
                    Operation::Ne => (a != b) as u64,
                    Operation::Lt => ((a as i64) < (b as i64)) as u64,
                    Operation::Le => ((a as i64) <= (b as i64)) as u64,
                    Operation::Gt => ((a as i64) > (b as i64)) as u64,
                    _ => ((a as i64) >= (b as i64)) as u64,
                };
                stack.push(r);
            }
            Operation::Nop => {}
            Operation::EntryValue { .. } => return Ok(None),
            other => return Err(format!("unsupported DWARF operation {other:?}")),
        }
    }
    if !pc.is_empty() {
        return Err("DWARF expression too long".to_string());
    }
    if had_piece {
        return Ok(Some(Place::Bytes(pieces)));
    }
    if let Some(b) = implicit {
        return Ok(Some(Place::Bytes(b)));
    }
    if stack_value {
        let top = pop(&mut stack)?;
        return Ok(Some(Place::Bytes(top.to_le_bytes().to_vec())));
    }
    if let Some(b) = slot_value
        && stack.len() == 1
    {
        // The expression ended on a wasm slot: the value is in the slot.
        return Ok(Some(Place::Bytes(b)));
    }
    let top = pop(&mut stack)?;
    Ok(Some(Place::Memory(top & addr_mask)))
}

/// The frame base as an address: a location in a slot gives the slot's value.
pub(crate) fn frame_base(
    expr: &gimli::Expression<R>,
    ctx: &ExprContext<'_>,
    frame: &dyn FrameAccess,
) -> Option<u64> {
    match evaluate(expr, ctx, frame).ok()?? {
        Place::Memory(a) => Some(a),
        Place::Bytes(b) => Some(le_u64(&b)),
    }
}
