#!/usr/bin/env bash
# Checks a built .deb the way a desktop would see it, then smoke-tests the
# installed binary:
#   packaging/check-deb.sh [target/debian/rollout-panel_….deb]
# 1. unpacks it into a scratch root and checks every file is where the Desktop
#    Entry, Icon Theme and AppStream specs expect it, with the right sizes;
# 2. validates the desktop entry (desktop-file-validate) and the metainfo
#    (appstreamcli validate --no-net) as installed, and that the entry's Icon and
#    Exec and the metainfo's launchable resolve inside the package;
# 3. installs it for real with apt-get when root (or passwordless sudo) is
#    available — so its Depends must resolve — checks dpkg's file list and that
#    AppStream finds the component, launches /usr/bin/rollout-panel under Xvfb in
#    demo mode (scripts/smoke.sh) and removes the package again
#    (KEEP_INSTALLED=1 keeps it). Without root the scratch root's binary is smoked.
set -euo pipefail
cd "$(dirname "$0")/.."

app_id=com.zrg.RolloutPanel
deb=${1:-$(cat target/debian/LATEST 2>/dev/null || true)}
[ -f "$deb" ] || { echo "check-deb: no package given and none built (run packaging/build-deb.sh)" >&2; exit 1; }
fail() { echo "check-deb: FAIL: $*" >&2; exit 1; }
ok() { echo "check-deb: ok: $*"; }

root=$(mktemp -d -t rollout-deb-XXXXXX)
installed=""
sudo=""
cleanup() {
  if [ -n "$installed" ] && [ "${KEEP_INSTALLED:-0}" != 1 ]; then
    $sudo dpkg --remove rollout-panel >/dev/null && echo "check-deb: removed the package again"
  fi
  rm -rf "$root"
}
trap cleanup EXIT

echo "check-deb: $deb ($(stat -c %s "$deb") bytes)"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p' | sed 's/^/  /'
[ "$(dpkg-deb -f "$deb" Package)" = rollout-panel ] || fail "the package is not named rollout-panel"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libgl1 libegl1 libxkbcommon-x11-0 libxcursor1 libxi6 libxrandr2; do
  grep -qE "(^|, )$lib( |,|$)" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
ok "Depends computed by dpkg-shlibdeps (libc6 …) plus the dlopen'ed libraries"

# 1. files where the specs expect them
dpkg-deb -x "$deb" "$root"
expect_file() { [ -f "$root/$1" ] || fail "missing /$1"; }
expect_file usr/bin/rollout-panel
expect_file "usr/share/doc/rollout-panel/examples/rollout-panel-watch@.service"
[ -x "$root/usr/bin/rollout-panel" ] || fail "/usr/bin/rollout-panel is not executable"
expect_file "usr/share/applications/$app_id.desktop"
expect_file "usr/share/metainfo/$app_id.metainfo.xml"
expect_file "usr/share/icons/hicolor/scalable/apps/$app_id.svg"
for size in 32 48 64 128 256; do
  png="usr/share/icons/hicolor/${size}x${size}/apps/$app_id.png"
  expect_file "$png"
  dims=$(file -b "$root/$png" | grep -oE '[0-9]+ x [0-9]+')
  [ "$dims" = "$size x $size" ] || fail "/$png is $dims, not $size x $size"
done
ok "binary, desktop entry, metainfo, scalable + 5 hicolor PNG icons at their sizes"
# Nothing outside those folders (their parents are listed as directories too).
unexpected=$(dpkg-deb -c "$deb" | awk '{print $6}' \
  | grep -vE '^\./((usr/|usr/share/)|usr/bin/.*|usr/share/(applications|metainfo|icons|doc)/.*)?$' || true)
[ -z "$unexpected" ] || fail "files outside the expected folders: $unexpected"

# 2. validators, and the cross references
desktop="$root/usr/share/applications/$app_id.desktop"
metainfo="$root/usr/share/metainfo/$app_id.metainfo.xml"
echo "check-deb: desktop-file-validate $app_id.desktop"
desktop-file-validate "$desktop" || fail "desktop-file-validate"
ok "desktop-file-validate: no errors or warnings"
echo "check-deb: appstreamcli validate --no-net $app_id.metainfo.xml"
appstreamcli validate --no-net --explain "$metainfo" || fail "appstreamcli validate"
icon=$(sed -n 's/^Icon=//p' "$desktop")
[ "$icon" = "$app_id" ] || fail "Icon=$icon is not the app id"
exec_bin=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$desktop")
[ -x "$root/usr/bin/$exec_bin" ] || fail "Exec=$exec_bin is not in /usr/bin"
grep -q "<launchable type=\"desktop-id\">$app_id.desktop</launchable>" "$metainfo" \
  || fail "the metainfo's launchable is not $app_id.desktop"
grep -q "<id>$app_id</id>" "$metainfo" || fail "the metainfo's id is not $app_id"
ok "Icon=$icon and Exec=$exec_bin resolve in the package; the metainfo launches $app_id.desktop"
"$root/usr/bin/rollout-panel" --version || fail "the packaged binary does not run"

# A crash of the packaged binary leaves a report whose backtrace names our functions
# (the package keeps the symbol table; see build-deb.sh).
crash_home=$(mktemp -d -p "$root")
"$root/usr/bin/rollout-panel" --data-dir "$crash_home" debug-panic >/dev/null 2>&1 && fail "debug-panic did not fail"
report=$(ls "$crash_home"/crash-reports/crash-*.txt 2>/dev/null | head -1)
[ -n "$report" ] || fail "no crash report under $crash_home/crash-reports"
grep -q 'rollout_panel::' "$report" || fail "the crash report's backtrace names no rollout_panel function: $report"
ok "a panic of the packaged binary left $(basename "$report") with symbolised frames ($(grep -c 'rollout_panel::' "$report") of ours)"

# 3. a real install when we may
if [ "$(id -u)" -ne 0 ] && sudo -n true 2>/dev/null; then sudo=sudo; fi
if [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; then
  abs=$(readlink -f "$deb")
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$abs" \
    || fail "apt-get could not install the package (its Depends?)"
  installed=1
  [ "$(dpkg-query -W -f='${Status}' rollout-panel)" = "install ok installed" ] || fail "dpkg does not list it as installed"
  [ "$(command -v rollout-panel)" = /usr/bin/rollout-panel ] || fail "rollout-panel is not /usr/bin/rollout-panel on PATH"
  for f in "/usr/share/applications/$app_id.desktop" "/usr/share/metainfo/$app_id.metainfo.xml" \
           "/usr/share/icons/hicolor/48x48/apps/$app_id.png"; do
    dpkg -L rollout-panel | grep -qx "$f" || fail "dpkg -L lacks $f"
  done
  ok "installed with apt-get; dpkg lists the entry, the metainfo and the icons"
  # What a software centre sees: AppStream's cache built from the installed metainfo.
  $sudo appstreamcli refresh-cache --force >/dev/null 2>&1 || true
  if appstreamcli get "$app_id" >"$root/as-get.txt" 2>&1; then
    sed 's/^/  /' "$root/as-get.txt"
    ok "appstreamcli finds $app_id after installation"
  else
    sed 's/^/  /' "$root/as-get.txt"
    fail "appstreamcli does not find $app_id after installation"
  fi
  # What GTK-based launchers use to find the icon by name: the hicolor cache,
  # refreshed by the package's trigger.
  cache=/usr/share/icons/hicolor/icon-theme.cache
  if [ -f "$cache" ]; then
    grep -qa "$app_id" "$cache" || fail "the hicolor icon cache does not list $app_id"
    ok "the hicolor icon cache lists $app_id"
  fi
  # Launched as a desktop launcher does: by the entry's id, through its Exec line.
  scripts/smoke.sh --desktop-entry "$app_id"
  ok "the installed panel, launched from its desktop entry, ran under Xvfb in demo mode"
else
  echo "check-deb: not root and no passwordless sudo: smoke-testing the scratch root's binary instead of installing"
  scripts/smoke.sh "$root/usr/bin/rollout-panel"
  ok "the packaged binary ran under Xvfb in demo mode"
fi
