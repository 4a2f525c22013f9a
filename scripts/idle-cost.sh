#!/usr/bin/env bash
# Measures the window's idle cost: the release binary on the demo under Xvfb
# (software rendering), left alone; after a settling time, the CPU it used
# over a minute (share of one core, from /proc/PID/stat) and its RSS.
#   scripts/idle-cost.sh [path/to/rollout-panel] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/rollout-panel}
secs=${2:-60}
data=$(mktemp -d -t rollout-idle-XXXXXX)
n=140
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
panel=""
cleanup() {
  [ -n "$panel" ] && kill "$panel" 2>/dev/null || true
  kill "$xvfb" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
for _ in $(seq 1 100); do DISPLAY=":$n" xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.1; done
DISPLAY=":$n" "$bin" --data-dir "$data" --log-level "info,rollout_panel::gui::app=debug" >"$data/panel.log" 2>&1 &
panel=$!
# Past the first minute: the frame report of the second minute is all idle.
sleep 62
ticks() { awk '{print $14 + $15}' "/proc/$panel/stat"; }
# Per thread: id, ticks, name (spaces in names become _).
threads() {
  for t in /proc/"$panel"/task/*; do
    local name; name=$(tr ' ' _ <"$t/comm")
    awk -v id="${t##*/}" -v name="$name" '{sub(/^.*\) /, ""); print id, $12 + $13, name}' "$t/stat"
  done
}
hz=$(getconf CLK_TCK)
threads >"$data/before"
t0=$(ticks)
sleep "$secs"
t1=$(ticks)
threads >"$data/after"
# Where it went: ticks per thread name over the run.
join <(sort "$data/before") <(sort "$data/after") | awk -v hz="$hz" -v s="$secs" '
  { used[$3] += $4 - $2 }
  END { for (n in used) if (used[n] > 0) printf "  %5.2f %%  %s\n", 100 * used[n] / hz / s, n }' | sort -rn
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$panel/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$panel/status")
grep -ho 'drew [0-9]* frames in [0-9]* s.*' "$data/panel.log" "$data"/logs/*.log 2>/dev/null | tail -1 || true
awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$secs" -v rss="$rss" -v hwm="$hwm" 'BEGIN {
  printf "idle CPU: %.2f %% of a core over %d s; RSS %.1f MB (peak %.1f MB)\n", 100 * d / hz / s, s, rss / 1024, hwm / 1024 }'
