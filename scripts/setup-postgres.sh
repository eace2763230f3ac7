#!/usr/bin/env bash
# Starts Debian's PostgreSQL 15 cluster (package `postgresql`) and makes the role and database the case-store tests
# use: FRAUDSTREAM_TEST_PG=postgres://fraudstream:fraudstream@127.0.0.1:5432/fraudstream_test (the tests' default).
# Idempotent; run as root (CI) or with sudo. The tests fail, never skip, when this server is unreachable.
set -euo pipefail
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
command -v pg_ctlcluster >/dev/null || { echo "pg_ctlcluster not found: apt-get install -y postgresql" >&2; exit 1; }
if ! pg_lsclusters -h | awk '$1 == "15" && $2 == "main" { found = 1 } END { exit !found }'; then
  $SUDO pg_createcluster 15 main
fi
pg_lsclusters -h | awk '$1 == "15" && $2 == "main" && $4 == "online" { up = 1 } END { exit !up }' || $SUDO pg_ctlcluster 15 main start
AS_POSTGRES="sudo -u postgres"; [ "$(id -u)" -eq 0 ] && AS_POSTGRES="runuser -u postgres --"
psql_admin() { $AS_POSTGRES psql -v ON_ERROR_STOP=1 -Atq "$@"; }
for _ in $(seq 1 30); do psql_admin -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.5; done
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'fraudstream'")" != "1" ]; then
  psql_admin -c "CREATE ROLE fraudstream LOGIN PASSWORD 'fraudstream'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'fraudstream_test'")" != "1" ]; then
  psql_admin -c "CREATE DATABASE fraudstream_test OWNER fraudstream"
fi
echo "PostgreSQL ready: postgres://fraudstream:fraudstream@127.0.0.1:5432/fraudstream_test"
