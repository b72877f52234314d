#!/bin/sh
# One image for web and worker: wait for the services this configuration uses (database,
# Redis, search when ELASTICSEARCH_URL is set, storage), then, unless RUN_SETUP=0 (workers),
# apply migrations and create the search index when missing; then run the container's command.
set -eu

python manage.py wait_for_services --timeout "${WAIT_FOR_SERVICES_TIMEOUT:-120}"

if [ "${RUN_SETUP:-1}" = "1" ]; then
    python manage.py migrate --noinput
    # Creates and fills the Elasticsearch index when it does not exist yet; a no-op when the
    # index exists or search runs on the database.
    python manage.py ensure_search_index
fi

exec "$@"
