#!/bin/sh
# One image for every app service: wait for the services this configuration uses (database,
# Redis, search when ELASTICSEARCH_URL is set, storage), then run the container's command.
# The command `setup` (compose's one-shot `migrate` service, once per deployment) applies the
# migrations and creates the search index when it is missing, then exits.
set -eu

python manage.py wait_for_services --timeout "${WAIT_FOR_SERVICES_TIMEOUT:-120}"

if [ "$#" -eq 1 ] && [ "$1" = "setup" ]; then
    python manage.py migrate --noinput
    # Creates and fills the Elasticsearch index when it does not exist yet; a no-op when the
    # index exists or search runs on the database.
    python manage.py ensure_search_index
    exit 0
fi

exec "$@"
