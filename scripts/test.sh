#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script).
#
# 1. Installs what the tests need into the repository (scripts/setup.d/*.sh: a Python
#    virtualenv with moto for the live collectors, the npm IAM oracle, Chromium for the
#    report rendering test). Each setup script is idempotent and exports what tests need.
# 2. Checks formatting and lints, then runs every test. One build profile (dev) for all.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export NOBASTION_REQUIRE_TOOLS="${NOBASTION_REQUIRE_TOOLS:-1}"

for setup in scripts/setup.d/*.sh; do
    [ -e "$setup" ] || continue
    echo "== setup: $setup" >&2
    # shellcheck source=/dev/null
    source "$setup"
done

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test" >&2
cargo test --all-targets --locked
# Doc tests (not covered by --all-targets).
cargo test --doc --locked
echo "== all tests passed" >&2
