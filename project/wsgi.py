"""WSGI entry point: gunicorn serves every HTTP request through it (project/gunicorn_config.py);
websockets go to daphne (project/asgi.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

application = get_wsgi_application()
