#!/bin/sh
# Run `wdb gui` for real under Xvfb on a C program with DWARF: scroll the
# source view to line 91 (the Line box), set a breakpoint from the source
# gutter, Run, and save a screenshot paused in a C function with source,
# disassembly and DWARF locals (assets/screenshot.png by default).
# Coordinates match the default 1280x800 layout.
set -eu
cd "$(dirname "$0")/.."
OUT=${1:-assets/screenshot.png}
Xvfb :99 -screen 0 1280x800x24 -nolisten tcp & XVFB=$!
export DISPLAY=:99; unset WAYLAND_DISPLAY
XDG_RUNTIME_DIR=$(mktemp -d); export XDG_RUNTIME_DIR; chmod 700 "$XDG_RUNTIME_DIR"
WDB_GUI_CONFIG=$XDG_RUNTIME_DIR/gui.ron; export WDB_GUI_CONFIG
sleep 1
./target/debug/wdb gui fixtures/dwarf/structs.wasm & APP=$!
sleep 8
WID=$(xdotool search --name wdb | head -1)
xdotool windowfocus --sync "$WID" || true
xdotool mousemove --window "$WID" 585 75 click 1; sleep 0.5   # the source Line box
xdotool type --delay 100 91; xdotool key Return; sleep 1.5
xdotool mousemove --window "$WID" 347 378 click 1; sleep 1    # gutter of line 91
xdotool mousemove --window "$WID" 138 12 click 1; sleep 3     # Run
xdotool key F11; sleep 2                                      # step into perimeter()
xdotool mousemove --window "$WID" 700 700; sleep 1
import -window root "$OUT"
convert "$OUT" -format '%k colors\n' info:
kill $APP $XVFB
