//! A virtualised hex view over the whole linear memory: only the visible
//! rows are fetched from the worker (`ReadMemory`, in aligned chunks), bytes
//! changed since the previous stop are highlighted, and a data inspector
//! decodes the bytes at the cursor.

use wdb_debugger::api::{Command, ExamineFormat, WatchKind, parse_u64};

use crate::app::ViewState;
use crate::state::{DebugState, MemoryCache, RunState};

const BYTES_PER_ROW: u32 = 16;
const ROW_HEIGHT: f32 = 16.0;

pub fn memory_ui(ui: &mut egui::Ui, state: &mut DebugState, view: &mut ViewState) -> Vec<Command> {
    let mut out = Vec::new();
    let count = state.module.as_ref().map_or(0, |m| m.memories.len()) as u32;
    if state.memory_index >= count.max(1) {
        select_memory(state, 0);
    }
    if count > 1 {
        memory_selector_ui(ui, state, count);
    }
    let size = memory_size(state);
    if size == 0 {
        ui.weak("(this module has no linear memory)");
        return out;
    }
    let can_read = !matches!(state.run_state(), RunState::Running | RunState::NoModule);
    // `x N:ADDR`: the worker reads the selected memory.
    // With several memories, always by index (the default is the one
    // exported as `memory`).
    let mem = state.memory_index;
    let prefixed = count > 1;
    let at = move |a: u64| {
        if prefixed {
            format!("{mem}:{a:#x}")
        } else {
            format!("{a:#x}")
        }
    };

    ui.horizontal(|ui| {
        let l = ui.label("Go to:");
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut view.mem_goto)
                    .desired_width(110.0)
                    .hint_text("0x1000"),
            )
            .labelled_by(l.id);
        let parsed = parse_u64(&view.mem_goto).filter(|a| *a < size);
        let go = ui
            .add_enabled(parsed.is_some(), egui::Button::new("Go"))
            .clicked()
            || (r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)));
        if go && let Some(a) = parsed {
            goto(view, a as u32);
        }
        let ptr = state
            .memory
            .read(view.mem_cursor, 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        if ui
            .add_enabled(
                ptr.is_some_and(|p| u64::from(p) < size),
                egui::Button::new("Follow pointer"),
            )
            .on_hover_text("Go to the address stored (u32, little-endian) at the cursor")
            .clicked()
            && let Some(p) = ptr
        {
            goto(view, p);
        }
        let (lo, hi) = selection(view);
        if ui
            .add_enabled(
                can_read && mem == 0,
                egui::Button::new(format!("Watch {} byte(s)", hi - lo + 1)),
            )
            .on_hover_text("Stop when the selection is written (shift-click extends it)")
            .on_disabled_hover_text("Watchpoints watch memory 0 only")
            .clicked()
        {
            out.push(Command::Watch {
                addr: format!("{lo:#x}"),
                len: hi - lo + 1,
                kind: WatchKind::Write,
            });
        }
        if ui
            .add_enabled(can_read, egui::Button::new("Save..."))
            .on_hover_text("Save a range of memory to a file (the selection by default)")
            .clicked()
        {
            view.mem_save = Some(SaveForm {
                start: format!("{lo:#x}"),
                end: format!("{:#x}", u64::from(hi) + 1),
                path: String::from("memory.bin"),
            });
        }
        ui.label(format!("{} KiB", size / 1024));
    });
    if let Some(cmd) = save_form_ui(ui, view, size, can_read, prefixed.then_some(mem)) {
        out.push(cmd);
    }
    ui.separator();

    // The typed inspector in a column of its own; the hex view scrolls
    // sideways under its own bar when the two do not fit.
    egui::Panel::right("inspector")
        .resizable(true)
        .default_size(130.0)
        .size_range(110.0..=400.0)
        .show(ui, |ui| inspector_ui(ui, &state.memory, view.mem_cursor));

    // Our own virtual scrolling over a row index: egui's ScrollArea keeps
    // its offset in f32 pixels, which at 4 GiB (2^28 rows, ~5e9 px) rounds
    // to hundreds of pixels, so the wheel would stall near the end.
    let total_rows = size / u64::from(BYTES_PER_ROW);
    // The height a row really takes (measured last frame: labels may be
    // taller than ROW_HEIGHT with a bigger font), so the rows shown fit.
    let row_step = if view.mem_row_step > 0.0 {
        view.mem_row_step
    } else {
        ROW_HEIGHT + ui.spacing().item_spacing.y
    };
    let visible = ((ui.available_height() / row_step).floor() as u64).clamp(1, 512);
    let max_top = total_rows.saturating_sub(visible);
    if let Some(a) = view.mem_scroll_to.take() {
        view.mem_top_row = (u64::from(a / BYTES_PER_ROW)).saturating_sub(2);
    }
    let area = ui.available_rect_before_wrap();
    let hover = ui.interact(area, ui.scope_id().with("hex_wheel"), egui::Sense::hover());
    if hover.contains_pointer() {
        let (dy, keys) = ui.input(|i| {
            let page = visible.saturating_sub(1).max(1) as f32 * row_step;
            let mut keys = 0.0;
            if i.key_pressed(egui::Key::PageDown) {
                keys -= page;
            }
            if i.key_pressed(egui::Key::PageUp) {
                keys += page;
            }
            (i.smooth_scroll_delta.y, keys)
        });
        view.mem_scroll_px -= dy + keys;
        let whole = (view.mem_scroll_px / row_step).trunc();
        view.mem_scroll_px -= whole * row_step;
        view.mem_top_row = if whole < 0.0 {
            view.mem_top_row.saturating_sub((-whole) as u64)
        } else {
            view.mem_top_row.saturating_add(whole as u64)
        };
    }
    view.mem_top_row = view.mem_top_row.min(max_top);
    let first = view.mem_top_row;
    let rows = first..(first + visible).min(total_rows);
    let (lo, hi) = selection(view);
    let changed_color = ui.visuals().warn_fg_color;
    let sel_bg = ui.visuals().selection.bg_fill;
    ui.horizontal_top(|ui| {
        // The scroll bar: a vertical slider over the row index (top at the top).
        let bar = egui::Slider::new(&mut view.mem_top_row, max_top..=0)
            .vertical()
            .show_value(false);
        ui.spacing_mut().slider_width = (visible as f32 * row_step).max(40.0);
        ui.add(bar).on_hover_text("Scroll through the whole memory");
        // The wheel scrolls rows (above), so this area only takes its bar.
        egui::ScrollArea::horizontal()
            .scroll_source(egui::scroll_area::ScrollSource::SCROLL_BAR)
            .auto_shrink(false)
            .show(ui, |ui| {
                ui.vertical(|ui| {
                    ui.spacing_mut().item_spacing.x = 3.0;
                    for row in rows {
                        let addr = row as u32 * BYTES_PER_ROW;
                        let base = addr - addr % MemoryCache::CHUNK;
                        if can_read
                            && !state.memory.chunks.contains_key(&base)
                            && state.memory.requested.insert(base)
                        {
                            out.push(Command::ReadMemory {
                                addr: at(u64::from(base)),
                                format: ExamineFormat {
                                    count: MemoryCache::CHUNK,
                                    letter: 'x',
                                    unit: 1,
                                },
                            });
                        }
                        let row_top = ui.cursor().top();
                        ui.horizontal(|ui| {
                            ui.set_height(ROW_HEIGHT);
                            ui.monospace(format!("{addr:08x}"));
                            ui.add_space(6.0);
                            let mut ascii = String::with_capacity(16);
                            for i in 0..BYTES_PER_ROW {
                                let a = addr + i;
                                let byte = state.memory.byte(a);
                                let mut text = egui::RichText::new(
                                    byte.map_or("--".into(), |b| format!("{b:02x}")),
                                )
                                .monospace();
                                if state.memory.changed(a) {
                                    text = text.color(changed_color).strong();
                                }
                                if (lo..=hi).contains(&a) {
                                    text = text.background_color(sel_bg);
                                }
                                let r = ui.add(egui::Label::new(text).sense(egui::Sense::click()));
                                if r.clicked() {
                                    if ui.input(|i| i.modifiers.shift) {
                                        view.mem_sel_end = a;
                                    } else {
                                        view.mem_cursor = a;
                                        view.mem_sel_end = a;
                                    }
                                }
                                if i == 7 {
                                    ui.add_space(4.0);
                                }
                                ascii.push(match byte {
                                    Some(b) if b.is_ascii_graphic() || b == b' ' => b as char,
                                    Some(_) => '.',
                                    None => ' ',
                                });
                            }
                            ui.add_space(6.0);
                            ui.monospace(ascii);
                        });
                        let step = ui.cursor().top() - row_top;
                        if step > 0.0 && (step - view.mem_row_step).abs() > 0.5 {
                            view.mem_row_step = step;
                            ui.ctx().request_repaint();
                        }
                    }
                })
            });
    });
    out
}

/// The "Save memory" form: `[start, end)` and a file name.
#[derive(Debug, Clone, Default)]
pub struct SaveForm {
    pub start: String,
    pub end: String,
    pub path: String,
}

/// A save asked for: the bytes are read through the session and written
/// when they arrive (see [`crate::app::WdbApp`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSave {
    pub addr: u32,
    pub len: u32,
    pub path: std::path::PathBuf,
}

/// Bigger ranges are refused: they would be copied through the event
/// channel in one piece.
pub const MAX_SAVE: u64 = 64 << 20;

/// `[start, end)` of the form, checked against the memory's size.
pub fn save_range(form: &SaveForm, size: u64) -> Result<(u32, u32), String> {
    let start =
        parse_u64(&form.start).ok_or_else(|| format!("`{}` is not an address", form.start))?;
    let end = parse_u64(&form.end).ok_or_else(|| format!("`{}` is not an address", form.end))?;
    if end <= start {
        return Err("the end must be after the start".into());
    }
    if end > size {
        return Err(format!("the memory ends at {size:#x}"));
    }
    if end - start > MAX_SAVE {
        return Err(format!("at most {} MiB at a time", MAX_SAVE >> 20));
    }
    Ok((start as u32, (end - start) as u32))
}

fn save_form_ui(
    ui: &mut egui::Ui,
    view: &mut ViewState,
    size: u64,
    can_read: bool,
    mem: Option<u32>,
) -> Option<Command> {
    let form = view.mem_save.as_mut()?;
    let mut command = None;
    let mut close = false;
    ui.horizontal_wrapped(|ui| {
        let l = ui.label("Save from:");
        ui.add(egui::TextEdit::singleline(&mut form.start).desired_width(90.0))
            .labelled_by(l.id);
        let l = ui.label("to (exclusive):");
        ui.add(egui::TextEdit::singleline(&mut form.end).desired_width(90.0))
            .labelled_by(l.id);
        let l = ui.label("file:");
        ui.add(egui::TextEdit::singleline(&mut form.path).desired_width(160.0))
            .labelled_by(l.id);
        let range = save_range(form, size);
        let ok = range.is_ok() && !form.path.trim().is_empty() && can_read;
        let save = ui.add_enabled(ok, egui::Button::new("Save"));
        let save = match &range {
            Err(e) => save.on_disabled_hover_text(e),
            Ok(_) => save,
        };
        if save.clicked()
            && let Ok((addr, len)) = range
        {
            view.mem_save_pending = Some(PendingSave {
                addr,
                len,
                path: std::path::PathBuf::from(form.path.trim()),
            });
            command = Some(Command::ReadMemory {
                addr: match mem {
                    Some(m) => format!("{m}:{addr:#x}"),
                    None => format!("{addr:#x}"),
                },
                format: ExamineFormat {
                    count: len,
                    letter: 'x',
                    unit: 1,
                },
            });
            close = true;
        }
        if ui.button("Cancel").clicked() {
            close = true;
        }
    });
    if close {
        view.mem_save = None;
    }
    command
}

fn goto(view: &mut ViewState, addr: u32) {
    view.mem_cursor = addr;
    view.mem_sel_end = addr;
    view.mem_scroll_to = Some(addr);
}

/// The inclusive selected range, in address order.
fn selection(view: &ViewState) -> (u32, u32) {
    let (a, b) = (view.mem_cursor, view.mem_sel_end);
    (a.min(b), a.max(b))
}

fn inspector_ui(ui: &mut egui::Ui, mem: &MemoryCache, cursor: u32) {
    ui.strong(format!("At {cursor:#010x}"));
    let bytes: Vec<Option<u8>> = (0..8)
        .map(|i| cursor.checked_add(i).and_then(|a| mem.byte(a)))
        .collect();
    let take = |n: usize| -> Option<Vec<u8>> { bytes[..n].iter().copied().collect() };
    let rows: Vec<(&str, Option<String>)> = vec![
        ("i8", take(1).map(|b| (b[0] as i8).to_string())),
        ("u8", take(1).map(|b| b[0].to_string())),
        (
            "i16",
            take(2).map(|b| i16::from_le_bytes([b[0], b[1]]).to_string()),
        ),
        (
            "u16",
            take(2).map(|b| u16::from_le_bytes([b[0], b[1]]).to_string()),
        ),
        (
            "i32",
            take(4).map(|b| i32::from_le_bytes(arr(&b)).to_string()),
        ),
        (
            "u32",
            take(4).map(|b| u32::from_le_bytes(arr(&b)).to_string()),
        ),
        (
            "i64",
            take(8).map(|b| i64::from_le_bytes(arr(&b)).to_string()),
        ),
        (
            "u64",
            take(8).map(|b| u64::from_le_bytes(arr(&b)).to_string()),
        ),
        (
            "f32",
            take(4).map(|b| f32::from_le_bytes(arr(&b)).to_string()),
        ),
        (
            "f64",
            take(8).map(|b| f64::from_le_bytes(arr(&b)).to_string()),
        ),
        ("C string", c_string(mem, cursor)),
    ];
    egui::Grid::new("inspector_grid")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for (name, value) in rows {
                ui.label(name);
                ui.monospace(value.unwrap_or_else(|| "-".into()));
                ui.end_row();
            }
        });
}

fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0; N];
    a.copy_from_slice(&b[..N]);
    a
}

/// Up to 64 cached bytes before a NUL, shown with escapes.
fn c_string(mem: &MemoryCache, addr: u32) -> Option<String> {
    let mut s = Vec::new();
    for i in 0..64 {
        match mem.byte(addr.checked_add(i)?)? {
            0 => return Some(format!("\"{}\"", s.escape_ascii())),
            b => s.push(b),
        }
    }
    Some(format!("\"{}\"...", s.escape_ascii()))
}

/// The live memory's size from the last read (it follows `memory.grow`),
/// else the selected memory's initial size.
pub fn memory_size(state: &DebugState) -> u64 {
    state
        .memory_size
        .or_else(|| {
            let m = state.module.as_ref()?;
            m.memories
                .get(state.memory_index as usize)
                .copied()
                .or(m.memory_bytes)
        })
        .unwrap_or(0)
        .min(1 << 32)
}

/// Show memory `index`: its bytes are read afresh.
pub fn select_memory(state: &mut DebugState, index: u32) {
    if state.memory_index != index {
        state.memory_index = index;
        state.memory.clear();
        state.memory_size = None;
    }
}

/// "Memory: [memory 1]" for a module with several memories.
fn memory_selector_ui(ui: &mut egui::Ui, state: &mut DebugState, count: u32) {
    let mut chosen = state.memory_index;
    ui.horizontal(|ui| {
        let l = ui.label("Memory:");
        egui::ComboBox::from_id_salt("memory_index")
            .selected_text(format!("memory {chosen}"))
            .show_ui(ui, |ui| {
                for i in 0..count {
                    ui.selectable_value(&mut chosen, i, format!("memory {i}"));
                }
            })
            .response
            .labelled_by(l.id);
    });
    select_memory(state, chosen);
}
