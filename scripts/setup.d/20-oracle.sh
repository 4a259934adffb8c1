# shellcheck shell=bash
# Sourced by scripts/test.sh: installs the IAM oracle (@cloud-copilot/iam-simulate, AGPL-3.0,
# test-only and run out of process) for tests/policy_differential.rs, and exports
# NOBASTION_ORACLE, the driver script that test runs. Idempotent: `npm ci` runs only when
# tests/oracle/node_modules is missing or older than package-lock.json.

_nb_oracle_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tests/oracle" && pwd)"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "20-oracle: node/npm not found; the IAM differential test will not run" >&2
else
    if [ ! -f "$_nb_oracle_dir/node_modules/@cloud-copilot/iam-simulate/package.json" ] ||
        [ "$_nb_oracle_dir/package-lock.json" -nt "$_nb_oracle_dir/node_modules/.package-lock.json" ]; then
        echo "20-oracle: npm ci in tests/oracle" >&2
        (cd "$_nb_oracle_dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
    export NOBASTION_ORACLE="$_nb_oracle_dir/run.mjs"
fi
unset _nb_oracle_dir
