#!/usr/bin/env bash
# `npm run test:fuzz`: the schema-driven fuzz at full size (6,000 requests generated from
# openapi.yaml; SONDE_FUZZ_REQUESTS, SONDE_FUZZ_SEED to change or replay), against the same
# Postgres/Redis set-up as `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/fastify ] || ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
bash scripts/ensure-services.sh
export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sonde_test}"
export SONDE_QUEUE_PREFIX="${SONDE_QUEUE_PREFIX:-sonde-test}"
export SONDE_DATA_DIR="${SONDE_DATA_DIR:-$PWD/.sonde/test-data}"
export SONDE_FUZZ_REQUESTS="${SONDE_FUZZ_REQUESTS:-6000}"
export SONDE_FUZZ_SEED="${SONDE_FUZZ_SEED:-$RANDOM$RANDOM}"
echo "schema fuzz: $SONDE_FUZZ_REQUESTS requests, seed $SONDE_FUZZ_SEED"
exec node --import tsx --test --test-timeout=3600000 test/integration/fuzz.test.ts
