#!/usr/bin/env bash
# README command 1: install if needed, make sure Postgres/Redis answer, run the default job
# end to end and print the comparison table.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/fastify ] || ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
bash scripts/ensure-services.sh
exec node --import tsx cli/sonde.ts demo "$@"
