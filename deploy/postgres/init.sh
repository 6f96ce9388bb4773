#!/bin/sh
# Run by the postgres image on first start: the roles and databases of init.sql, with
# the services' password passed as a psql variable rather than written in a file.
set -eu
: "${SERVICES_DB_PASSWORD:?set SERVICES_DB_PASSWORD}"
psql -v ON_ERROR_STOP=1 -v db_password="$SERVICES_DB_PASSWORD" \
    --username "$POSTGRES_USER" --dbname postgres -f /sopdesk/init.sql
