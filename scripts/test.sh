#!/usr/bin/env bash
# README command 2 (and what CI runs): install if needed, make sure Postgres/Redis answer,
# typecheck, then every unit, integration and end-to-end test against the real services.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/fastify ] || ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
bash scripts/ensure-services.sh
export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sonde_test}"
export SONDE_QUEUE_PREFIX="${SONDE_QUEUE_PREFIX:-sonde-test}"
export SONDE_DATA_DIR="${SONDE_DATA_DIR:-$PWD/.sonde/test-data}"
# Opt-in: a python with pandas, pyarrow and polars at .sonde/py (or SONDE_TEST_PYTHON) also checks
# docs/exports.md's one-liners; CI never needs Python (DuckDB is the independent Parquet reader).
[ -z "${SONDE_TEST_PYTHON:-}" ] && [ -x .sonde/py/bin/python ] && export SONDE_TEST_PYTHON="$PWD/.sonde/py/bin/python"
npm run -s typecheck
shopt -s nullglob
files=(test/unit/*.test.ts test/integration/*.test.ts test/e2e/*.test.ts)
exec node --import tsx --test --test-concurrency=1 --test-timeout=600000 "${files[@]}"
