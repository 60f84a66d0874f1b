#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1 and the test database exists.
# Starts the local cluster when it is installed but stopped; installs it from Debian when missing.
set -euo pipefail
HOST=${GUICHET_TEST_PGHOST:-127.0.0.1}
PORT=${GUICHET_TEST_PGPORT:-5432}
DB=${GUICHET_TEST_PGDATABASE:-guichet_test}
export PGPASSWORD=${PGPASSWORD:-postgres}

ready() { pg_isready -h "$HOST" -p "$PORT" -q 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_isready >/dev/null 2>&1; then
  echo "PostgreSQL is not installed: installing it from Debian's packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fresh=1
fi
export PATH="$PATH:$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n 1)"

if ! ready; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$version" ]; then
    echo "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
ready || { echo "PostgreSQL does not answer on $HOST:$PORT" >&2; exit 1; }

if [ "${fresh:-0}" = 1 ]; then
  su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" || true
fi
if ! psql -h "$HOST" -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB'" postgres | grep -q 1; then
  createdb -h "$HOST" -p "$PORT" -U postgres "$DB"
fi
echo "PostgreSQL ready: postgresql://postgres@$HOST:$PORT/$DB"
