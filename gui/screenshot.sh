#!/bin/sh
# Run `wdb gui` for real under Xvfb, set a breakpoint from the code gutter,
# call fibArray 10, and save a screenshot (assets/screenshot.png by default).
# Coordinates match the default 1280x800 layout (the test harness adds an 8 px margin).
set -eu
cd "$(dirname "$0")/.."
OUT=${1:-assets/screenshot.png}
Xvfb :99 -screen 0 1280x800x24 -nolisten tcp & XVFB=$!
export DISPLAY=:99; unset WAYLAND_DISPLAY
XDG_RUNTIME_DIR=$(mktemp -d); export XDG_RUNTIME_DIR; chmod 700 "$XDG_RUNTIME_DIR"
WDB_GUI_CONFIG=$XDG_RUNTIME_DIR/gui.ron; export WDB_GUI_CONFIG
sleep 1
./target/debug/wdb gui fixtures/fib.wasm & APP=$!
sleep 8
WID=$(xdotool search --name wdb | head -1)
xdotool windowfocus --sync "$WID" || true
xdotool mousemove --window "$WID" 347 142 click 1; sleep 1     # gutter: global.get in fibArray
xdotool mousemove --window "$WID" 79 191 click 1; sleep 0.5    # fibArray's i32 input
xdotool type --delay 100 10; sleep 0.5
xdotool mousemove --window "$WID" 140 191 click 1; sleep 2     # Call
xdotool mousemove --window "$WID" 700 700; sleep 1
import -window root "$OUT"
convert "$OUT" -format '%k colors\n' info:
kill $APP $XVFB
