#!/usr/bin/env bash
# The whole test suite, as CI runs it on a fresh machine:
#   1. system packages (apt-get), 2. cargo fmt --check, 3. clippy -D warnings,
#   4. every test, with a throwaway PostgreSQL and a real Secret Service,
#   5. the Debian package (packaging/build-deb.sh builds the release binary and
#      the .deb), checked, installed and launched under Xvfb (packaging/check-deb.sh,
#      which runs scripts/smoke.sh on the installed binary), and the macOS/Windows
#      packaging configuration as far as Linux can check it (packaging/check-packager.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-always}
started=$(date +%s)
step() { echo; echo "=== $* ($(( $(date +%s) - started )) s)"; }

step "system packages"
scripts/install-deps.sh

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --all-targets --locked -- -D warnings

step "tests (PostgreSQL + Secret Service)"
if cargo nextest --version >/dev/null 2>&1; then
  runner=(cargo nextest run --locked --no-fail-fast)
else
  runner=(cargo test --locked --no-fail-fast)
fi
scripts/with-keyring.sh scripts/with-postgres.sh "${runner[@]}"

step "release build + Debian package"
packaging/build-deb.sh

step "package checks, install, Xvfb smoke of the installed binary"
packaging/check-deb.sh "$(cat target/debian/LATEST)"

step "macOS/Windows packaging configuration (as far as Linux goes)"
packaging/check-packager.sh

step "all passed"
