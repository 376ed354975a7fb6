#!/usr/bin/env bash
# Checks docker-compose.yml without a Docker engine: `config -q` parses, interpolates and
# validates it against the Compose schema, once without profiles and once with every
# profile it declares (gpu, dashboards, …), so a service behind a profile is checked too.
# Uses `docker compose` (v2 plugin) or `docker-compose` (Debian's, v1.29), whichever is
# present; with --install, installs Debian's docker-compose when neither is. Building and
# running the images is not checked here (that needs an engine).
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif [ "${1:-}" = "--install" ]; then
  echo "== apt: docker-compose (no Compose found)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
  compose=(docker-compose)
else
  echo "check-compose: neither \`docker compose\` nor \`docker-compose\` is installed (run with --install)" >&2
  exit 3
fi
file="${COMPOSE_FILE:-docker-compose.yml}"
profiles=$("${compose[@]}" -f "$file" config --profiles)
args=()
for p in $profiles; do args+=(--profile "$p"); done
"${compose[@]}" -f "$file" config -q
"${compose[@]}" -f "$file" "${args[@]}" config -q
echo "compose: $file valid without profiles and with ${profiles//$'\n'/, } (${compose[*]})"
