#!/usr/bin/env bash
# Makes sure a pinned cargo subcommand is installed:
#   packaging/cargo-tool.sh cargo-deb 3.8.0
# Does nothing when `cargo <sub> --version` already prints that version;
# otherwise `cargo install --locked` it (from crates.io).
set -euo pipefail
crate=${1:?crate}
version=${2:?version}
if ! cargo "${crate#cargo-}" --version 2>/dev/null | grep -q "^$crate $version\$"; then
  echo "cargo-tool: installing $crate $version"
  cargo install --locked "$crate" --version "$version"
fi
