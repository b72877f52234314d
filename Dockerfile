# syntax=docker/dockerfile:1
# Build stage: install the locked runtime dependencies into a virtual environment.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY requirements/base.txt /tmp/requirements.txt
RUN python -m venv /venv && /venv/bin/pip install --require-hashes -r /tmp/requirements.txt

# Runtime stage: the app, its static files, a non-root user; no secrets baked in.
FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_DEBUG=false
RUN useradd --system --create-home --uid 10001 app
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=app:app . .
# collectstatic needs settings to load; the key is a throwaway that exists only in this step.
RUN DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && chown -R app:app /app/staticfiles
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["/app/docker-entrypoint.sh"]
CMD ["daphne", "--bind", "0.0.0.0", "--port", "8000", "--proxy-headers", "project.asgi:application"]
