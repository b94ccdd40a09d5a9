#!/bin/sh
# Run once by the `temporal-schema` service (temporalio/admin-tools image): creates Temporal's two
# databases on the compose PostgreSQL and brings their schemas up to date. Safe to re-run.
set -eu
SQL="temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 -u ${POSTGRES_USER} --pw ${POSTGRES_PASSWORD}"
SCHEMA=/etc/temporal/schema/postgresql/v12
until nc -z postgresql 5432; do echo "waiting for postgresql"; sleep 1; done
for db in temporal temporal_visibility; do
  $SQL --db "$db" create || true   # exists already on a restart
done
$SQL --db temporal setup-schema -v 0.0 || true
$SQL --db temporal update-schema -d "$SCHEMA/temporal/versioned"
$SQL --db temporal_visibility setup-schema -v 0.0 || true
$SQL --db temporal_visibility update-schema -d "$SCHEMA/visibility/versioned"
echo "temporal schema ready"
