#!/usr/bin/env bash
# Builds the Debian package from this checkout:
#   packaging/build-deb.sh            -> target/debian/rollout-panel_<version>-1_<arch>.deb
# Installs cargo-deb (pinned) when it is missing, builds the release binary
# (incrementally; a cold build takes ~17 min on 2 cores), packs the binary, the
# desktop entry, the AppStream metainfo and the hicolor icons (see
# [package.metadata.deb] in Cargo.toml), and prints the package's path and size.
# Check it with packaging/check-deb.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

packaging/cargo-tool.sh cargo-deb 3.8.0

# cargo-deb runs `cargo build --release` itself; --locked keeps Cargo.lock as committed.
# --no-strip keeps the symbol table (cargo already dropped the debug info): a crash
# report's backtrace then names the functions instead of "<unknown>" (+10 MB installed).
# stdout is the package's path only.
deb=$(cargo deb --locked --no-strip --output target/debian/ | tail -1)
[ -f "$deb" ] || { echo "build-deb: cargo deb did not report a package (got: $deb)" >&2; exit 1; }
size=$(stat -c %s "$deb")
echo "build-deb: $deb ($size bytes, $(numfmt --to=iec-i --suffix=B --format=%.1f --round=nearest "$size"))"
echo "$deb" > target/debian/LATEST
