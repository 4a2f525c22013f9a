#!/usr/bin/env bash
# The whole test suite, as CI runs it on a fresh machine:
#   1. system packages (apt-get), 2. cargo fmt --check, 3. clippy -D warnings,
#   4. every test, with a throwaway PostgreSQL and a real Secret Service,
#   5. a release build launched under Xvfb (scripts/smoke.sh).
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

step "release build"
cargo build --release --locked

step "Xvfb smoke"
scripts/smoke.sh target/release/rollout-panel

step "all passed"
