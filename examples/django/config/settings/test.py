"""Settings for tests and for the release pipeline's `makemigrations --check`.

Import with nothing but DJANGO_SETTINGS_MODULE set: the pipeline's check runs
`python manage.py makemigrations --check --dry-run` in the image with only
DJANGO_SETTINGS_MODULE, DJANGO_SECRET_KEY, DATABASE_URL (sqlite),
CELERY_BROKER_URL (memory://) and REDIS_URL, and no database or broker.
"""

import os

from .base import *  # noqa: F401,F403
from .base import env

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "test-only-not-secret")
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite://:memory:")}
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
