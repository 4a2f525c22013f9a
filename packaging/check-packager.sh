#!/usr/bin/env bash
# Checks packaging/packager.toml (the macOS and Windows configuration) on Linux,
# as far as Linux allows: cargo-packager parses the whole file (it refuses
# unknown fields) and lays out the macOS bundle from it — Info.plist and the
# .icns built from the PNGs — around the Linux binary. The result is not a
# usable Mac app (that needs a macOS build; a .dmg needs hdiutil) and the MSI
# needs WiX on Windows: see packaging/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

packaging/cargo-tool.sh cargo-packager 0.11.8
rm -rf target/packager/rollout-panel.app
cargo packager -c packaging/packager.toml --formats app
app=target/packager/rollout-panel.app/Contents
plist="$app/Info.plist"
fail() { echo "check-packager: FAIL: $*" >&2; exit 1; }
[ -x "$app/MacOS/rollout-panel" ] || fail "no Contents/MacOS/rollout-panel"
grep -A1 '<key>CFBundleIdentifier</key>' "$plist" | grep -q '<string>com.zrg.RolloutPanel</string>' \
  || fail "CFBundleIdentifier is not com.zrg.RolloutPanel"
icns=$(grep -A1 '<key>CFBundleIconFile</key>' "$plist" | sed -n 's/.*<string>\(.*\)<\/string>.*/\1/p')
[ -s "$app/Resources/$icns" ] || fail "the icon $icns is missing from Resources"
head -c 4 "$app/Resources/$icns" | grep -q icns || fail "$icns is not an icns file"
echo "check-packager: ok: packager.toml parses; the .app layout has Info.plist (com.zrg.RolloutPanel, macOS >= $(grep -A1 LSMinimumSystemVersion "$plist" | sed -n 's/.*<string>\(.*\)<\/string>.*/\1/p')) and $icns ($(stat -c %s "$app/Resources/$icns") bytes)"
