#!/bin/sh
# Same image for web and worker: wait for the services, migrate (web only), then run the command.
set -eu

python manage.py wait_for_services --timeout "${WAIT_FOR_SERVICES_TIMEOUT:-90}"

if [ "${RUN_MIGRATIONS:-1}" = "1" ]; then
    python manage.py migrate --noinput
fi

exec "$@"
