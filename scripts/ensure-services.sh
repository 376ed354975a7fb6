#!/usr/bin/env bash
# Makes sure Postgres and Redis answer on the configured addresses; starts the local
# Debian services when they are down (CI and this project's dev machines). On other
# machines run `docker compose up -d postgres redis` first.
set -euo pipefail
pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; }
if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if ! redis_up && command -v redis-server >/dev/null 2>&1; then
  redis-server --daemonize yes --port 6379 --bind 127.0.0.1 --appendonly yes --dir /tmp --maxmemory-policy noeviction >/dev/null || true
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
fi
pg_up || { echo "Postgres is not reachable on 127.0.0.1:5432 (docker compose up -d postgres redis)" >&2; exit 3; }
redis_up || { echo "Redis is not reachable on 127.0.0.1:6379 (docker compose up -d postgres redis)" >&2; exit 3; }
