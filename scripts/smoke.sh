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
echo "smoke: ok (process alive after 10 s, screenshot not blank)"
