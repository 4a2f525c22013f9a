#!/usr/bin/env bash
# Launches the release binary in demo mode under Xvfb, waits for its window,
# checks it is still alive after 10 s, takes a screenshot and checks it is not
# blank. Leaves target/smoke/demo.png for a person to look at.
#   scripts/smoke.sh [path/to/rollout-panel]
#   scripts/smoke.sh --desktop-entry com.zrg.RolloutPanel
# The second form starts an installed panel the way a desktop launcher does:
# gtk-launch finds the entry by its id in the XDG data dirs and runs its Exec
# line (the panel's data and config dirs then point into a scratch folder).
set -euo pipefail
cd "$(dirname "$0")/.."

entry=""
bin=${1:-target/release/rollout-panel}
if [ "$bin" = "--desktop-entry" ]; then
  entry=${2:?"--desktop-entry needs the entry's id"}
fi
out=target/smoke
mkdir -p "$out"
data=$(mktemp -d -t rollout-smoke-XXXXXX)
# A fresh home on every run, as on a new machine: no fontconfig, GTK or Mesa
# caches from an earlier run (the save dialog is slowest then).
export HOME="$data/home"
export XDG_CACHE_HOME="$HOME/.cache" XDG_CONFIG_HOME="$HOME/.config"
export XDG_DATA_HOME="$HOME/.local/share" XDG_STATE_HOME="$HOME/.local/state"
mkdir -p "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME"

n=99
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
display=":$n"

Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$out/xvfb.log" 2>&1 &
xvfb=$!
panel=""
cleanup() {
  [ -n "$panel" ] && kill "$panel" 2>/dev/null || true
  kill "$xvfb" 2>/dev/null || true
  wait "$xvfb" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

# Ready means a client can connect (the socket file alone can be a stale one).
for _ in $(seq 1 100); do
  kill -0 "$xvfb" 2>/dev/null || { echo "smoke: Xvfb exited" >&2; cat "$out/xvfb.log" >&2; exit 1; }
  DISPLAY=$display xdotool getdisplaygeometry >/dev/null 2>&1 && break
  sleep 0.1
done
DISPLAY=$display xdotool getdisplaygeometry >/dev/null 2>&1 \
  || { echo "smoke: Xvfb on $display accepts no connection" >&2; cat "$out/xvfb.log" >&2; exit 1; }

if [ -n "$entry" ]; then
  # gtk-launch returns once the panel is spawned; the panel is found by its window.
  DISPLAY=$display XDG_DATA_HOME="$data/share" XDG_CONFIG_HOME="$data/config" \
    gtk-launch "$entry" >"$out/panel.log" 2>&1 \
    || { echo "smoke: gtk-launch could not start $entry" >&2; cat "$out/panel.log" >&2; exit 1; }
else
  DISPLAY=$display "$bin" --data-dir "$data" >"$out/panel.log" 2>&1 &
  panel=$!
fi

window=""
for _ in $(seq 1 120); do
  window=$(DISPLAY=$display xdotool search --name '^rollout-panel$' 2>/dev/null | head -1 || true)
  [ -n "$window" ] && break
  if [ -n "$panel" ]; then
    kill -0 "$panel" 2>/dev/null || { echo "smoke: the panel exited early" >&2; cat "$out/panel.log" >&2; exit 1; }
  fi
  sleep 0.5
done
[ -n "$window" ] || { echo "smoke: no window titled rollout-panel after 60 s" >&2; cat "$out/panel.log" >&2; exit 1; }
if [ -n "$entry" ]; then
  panel=$(DISPLAY=$display xdotool getwindowpid "$window")
  echo "smoke: window $window is up, launched from the desktop entry $entry: $(readlink "/proc/$panel/exe") $(tr '\0' ' ' <"/proc/$panel/cmdline")"
else
  echo "smoke: window $window is up"
fi

# The window carries the app icon (_NET_WM_ICON, 256x256 first) and a class a
# launcher can match to the desktop entry (StartupWMClass).
# (eframe's own default icon is 512x512; xprop prints the icon's width,height.)
props=$(DISPLAY=$display xprop -id "$window" -f _NET_WM_ICON 32c '=$0,$1' WM_CLASS _NET_WM_ICON 2>&1 | head -c 400)
grep -q '^_NET_WM_ICON(CARDINAL)=256,256$' <<<"$props" \
  || { echo "smoke: the window has no 256x256 icon: $props" >&2; exit 1; }
wm_class=$(sed -n 's/^WM_CLASS(STRING) = //p' <<<"$props")
want_class=$(sed -n 's/^StartupWMClass=//p' packaging/com.zrg.RolloutPanel.desktop)
grep -q "\"$want_class\"" <<<"$wm_class" \
  || { echo "smoke: WM_CLASS $wm_class does not match the desktop entry's StartupWMClass=$want_class" >&2; exit 1; }
echo "smoke: window icon 256x256 set; WM_CLASS $wm_class matches StartupWMClass"

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
# dialog) when no desktop portal runs. Ctrl+4 (the Drafts tab), Ctrl+E (Export
# CSV…), type a path into the dialog, Enter, and the file must parse as CSV.
# Every step waits for a condition, not for time, and is tried again: the
# first sample may not be drawn yet, and a cold dialog maps before it takes
# keystrokes.
x() { DISPLAY=$display xdotool "$@"; }
target="$data/smoke-export.csv"
# Waits up to $1 tenths of a second for the command after it to succeed.
wait_for() {
  local tenths=$1; shift
  for _ in $(seq 1 "$tenths"); do "$@" && return 0; sleep 0.1; done
  return 1
}
find_dialog() { dialog=$(x search --onlyvisible --name '^zenity$' 2>/dev/null | tail -1 || true); [ -n "$dialog" ]; }
focused() { [ "$(x getwindowfocus 2>/dev/null || true)" = "$1" ]; }
# Rendered and settled: two captures a moment apart are the same and not blank.
settled() {
  import -display "$display" -window "$dialog" "$data/d1.png" 2>/dev/null || return 1
  sleep 0.3
  import -display "$display" -window "$dialog" "$data/d2.png" 2>/dev/null || return 1
  [ "$(compare -metric AE "$data/d1.png" "$data/d2.png" null: 2>&1 || true)" = "0" ] || return 1
  [ "$(convert "$data/d2.png" -format '%k' info:)" -ge 8 ]
}
wait_for 50 bash -c "DISPLAY=$display xdotool windowfocus $window 2>/dev/null; [ \"\$(DISPLAY=$display xdotool getwindowfocus)\" = $window ]" \
  || { echo "smoke: the panel's window never took the focus" >&2; exit 1; }
x key ctrl+4    # the Drafts tab
dialog=""
for attempt in 1 2 3 4 5 6; do
  if ! find_dialog; then
    x windowfocus "$window" 2>/dev/null || true
    x key ctrl+e  # Export CSV… (does nothing until the first sample is drawn)
    wait_for 100 find_dialog || { echo "smoke: attempt $attempt: no save dialog yet"; continue; }
  fi
  wait_for 60 settled || { echo "smoke: attempt $attempt: the dialog never settled"; continue; }
  x windowfocus "$dialog" 2>/dev/null || true
  wait_for 50 focused "$dialog" || { echo "smoke: attempt $attempt: the dialog does not take the focus"; continue; }
  x key ctrl+a
  x type --delay 30 "$target"
  x key Return
  wait_for 100 test -s "$target" && break
  echo "smoke: attempt $attempt: no file at the typed path yet; trying the dialog again"
done
[ -n "$dialog" ] || { echo "smoke: Export CSV… showed no save dialog (is zenity installed?)" >&2; cat "$out/panel.log" >&2; exit 1; }
[ -s "$target" ] || { echo "smoke: the export did not arrive at the typed path" >&2; cat "$out/panel.log" >&2; exit 1; }
python3 - "$data/smoke-export.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert rows[0][0] == "draft_id" and len(rows[0]) == 16, rows[0]
assert len(rows) > 1 and all(len(r) == 16 for r in rows), "ragged or empty"
print(f"smoke: the export through the save dialog parsed: {len(rows) - 1} rows")
PY
wait_for 50 bash -c "! DISPLAY=$display xdotool search --onlyvisible --name '^zenity$' >/dev/null 2>&1" || true
import -display "$display" -window root "$out/drafts.png"
kill -0 "$panel" 2>/dev/null || { echo "smoke: the panel died during the export" >&2; cat "$out/panel.log" >&2; exit 1; }

echo "smoke: ok (process alive after 10 s, screenshot not blank, export through the save dialog parsed)"
