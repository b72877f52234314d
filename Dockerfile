# syntax=docker/dockerfile:1
# Stages: build (locked dependencies) -> static (collectstatic) -> nginx (the proxy with the
# static files of the same build) -> app (gunicorn, daphne or an RQ worker: one image, the
# command picks). `app` is last, so a plain `docker build .` gives the app image; compose builds
# each service's `target`.

# Build stage: the locked runtime dependencies in a virtual environment, wheels only
# (the slim image has no compiler) and every file checked against the lock's hashes.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY requirements/base.txt /tmp/requirements.txt
RUN python -m venv /venv \
    && /venv/bin/pip install --require-hashes --only-binary :all: --no-deps -r /tmp/requirements.txt

# Static stage: collectstatic with the production storage (hashed names and .gz copies).
# Settings refuse to load without a key when DEBUG is off; this one lives only in this step.
FROM python:3.11-slim AS static
COPY --from=build /venv /venv
WORKDIR /app
COPY . .
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=collectstatic-only \
    /venv/bin/python manage.py collectstatic --noinput

# nginx stage: the official image renders templates/*.template after sourcing the .envsh.
FROM nginx:1.28-alpine AS nginx
COPY nginx/snippets/ /etc/nginx/snippets/
COPY nginx/templates/ /etc/nginx/templates/
COPY --chmod=0755 nginx/docker-entrypoint.d/15-upload-limits.envsh /docker-entrypoint.d/
COPY --from=static /app/staticfiles /srv/static
ENV NGINX_LISTEN_PORT=80 NGINX_HTTP_UPSTREAM=web:8000 NGINX_WEBSOCKET_UPSTREAM=websocket:8000 \
    NGINX_STATIC_ROOT=/srv/static \
    NGINX_ENVSUBST_FILTER=^NGINX_
# nginx itself answers (a static file): the app's health is the web container's check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD wget -q -O /dev/null "http://127.0.0.1:${NGINX_LISTEN_PORT}/static/css/app.css" || exit 1

# App stage: the code (owned by root, read-only to the app), the venv, the static files and a
# non-root user. No secret is baked in: configuration comes from the environment at run time.
FROM python:3.11-slim AS app
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_DEBUG=false
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app
# pg_dump and pg_restore for `manage.py backup_site` and `restore_site` (Debian's client: the
# same major as compose's PostgreSQL or a newer one, which reads and writes older servers).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /venv /venv
WORKDIR /app
COPY . .
COPY --from=static /app/staticfiles /app/staticfiles
# Media on the local disk when no bucket is configured (mount a volume there).
RUN install -d -o app -g app /app/media
USER app
EXPOSE 8000
# /healthz answers 503 when a part is down; Django wants an allowed Host, so take the first.
# Both servers answer it on port 8000: gunicorn (the default command) and daphne (compose's
# websocket service, which serves HTTP too).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c 'import os, urllib.request as r; h = os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")[0].strip().lstrip("*.") or "localhost"; r.urlopen(r.Request("http://127.0.0.1:8000/healthz", headers={"Host": h}), timeout=4)'
ENTRYPOINT ["/app/docker-entrypoint.sh"]
# HTTP: gunicorn's gthread workers (project/gunicorn_config.py; WEB_CONCURRENCY processes).
CMD ["gunicorn", "--config", "python:project.gunicorn_config", "--bind", "0.0.0.0:8000"]
