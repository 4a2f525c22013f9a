#!/usr/bin/env bash
# Launches the release binary in demo mode under Xvfb, waits for its window,
# checks it is still alive after 10 s, takes a screenshot and checks it is not
# blank. Leaves target/smoke/demo.png for a person to look at.
#   scripts/smoke.sh [path/to/rollout-panel]
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${1:-target/release/rollout-panel}
out=target/smoke
mkdir -p "$out"
data=$(mktemp -d -t rollout-smoke-XXXXXX)

n=99
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
display=":$n"

Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$out/xvfb.log" 2>&1 &
xvfb=$!
panel=""
cleanup() {
  [ -n "$panel" ] && kill "$panel" 2>/dev/null || true
  kill "$xvfb" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 1 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
[ -e "/tmp/.X11-unix/X$n" ] || { echo "smoke: Xvfb did not start" >&2; cat "$out/xvfb.log" >&2; exit 1; }

DISPLAY=$display "$bin" --data-dir "$data" >"$out/panel.log" 2>&1 &
panel=$!

window=""
for _ in $(seq 1 120); do
  window=$(DISPLAY=$display xdotool search --name '^rollout-panel$' 2>/dev/null | head -1 || true)
  [ -n "$window" ] && break
  kill -0 "$panel" 2>/dev/null || { echo "smoke: the panel exited early" >&2; cat "$out/panel.log" >&2; exit 1; }
  sleep 0.5
done
[ -n "$window" ] || { echo "smoke: no window titled rollout-panel after 60 s" >&2; cat "$out/panel.log" >&2; exit 1; }
echo "smoke: window $window is up"

sleep 10
kill -0 "$panel" 2>/dev/null || { echo "smoke: the panel died within 10 s" >&2; cat "$out/panel.log" >&2; exit 1; }

import -display "$display" -window root "$out/demo.png"
colors=$(convert "$out/demo.png" -format '%k' info:)
stddev=$(convert "$out/demo.png" -colorspace Gray -format '%[fx:standard_deviation]' info:)
echo "smoke: screenshot $out/demo.png: $colors colours, grey stddev $stddev"
if [ "$colors" -lt 16 ] || awk "BEGIN{exit !($stddev < 0.02)}"; then
  echo "smoke: the screenshot looks blank" >&2
  exit 1
fi
if grep -q "panicked" "$out/panel.log"; then
  echo "smoke: the panel panicked" >&2; cat "$out/panel.log" >&2; exit 1
fi

# The export through the real save dialog: rfd falls back to zenity (a GTK
# dialog) when no desktop portal runs. Drafts tab, Export CSV…, type a path
# into the dialog, Enter, and the file must parse as CSV. Clicks hold the
# button briefly: an instant move+click can be missed on a busy machine.
click() {
  DISPLAY=$display xdotool mousemove "$1" "$2"; sleep 0.3
  DISPLAY=$display xdotool mousedown 1; sleep 0.15; DISPLAY=$display xdotool mouseup 1
}
click 244 37    # the Drafts tab
sleep 5         # the first sample is drawn
click 246 133   # Export CSV…
dialog=""
for _ in $(seq 1 60); do
  dialog=$(DISPLAY=$display xdotool search --name '^zenity$' 2>/dev/null | tail -1 || true)
  [ -n "$dialog" ] && break
  sleep 0.5
done
[ -n "$dialog" ] || { echo "smoke: Export CSV… showed no save dialog (is zenity installed?)" >&2; cat "$out/panel.log" >&2; exit 1; }
sleep 1
DISPLAY=$display xdotool windowfocus "$dialog" 2>/dev/null || true
DISPLAY=$display xdotool key ctrl+a
DISPLAY=$display xdotool type --delay 30 "$data/smoke-export.csv"
DISPLAY=$display xdotool key Return
for _ in $(seq 1 40); do [ -s "$data/smoke-export.csv" ] && break; sleep 0.5; done
[ -s "$data/smoke-export.csv" ] || { echo "smoke: the export did not arrive at the typed path" >&2; cat "$out/panel.log" >&2; exit 1; }
python3 - "$data/smoke-export.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert rows[0][0] == "draft_id" and len(rows[0]) == 16, rows[0]
assert len(rows) > 1 and all(len(r) == 16 for r in rows), "ragged or empty"
print(f"smoke: the export through the save dialog parsed: {len(rows) - 1} rows")
PY
sleep 1
import -display "$display" -window root "$out/drafts.png"
kill -0 "$panel" 2>/dev/null || { echo "smoke: the panel died during the export" >&2; cat "$out/panel.log" >&2; exit 1; }

echo "smoke: ok (process alive after 10 s, screenshot not blank, export through the save dialog parsed)"
