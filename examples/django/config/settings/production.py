"""Production settings: read exactly what djangocdk's task definitions give.

Plain variables: DJANGO_SETTINGS_MODULE, DJANGO_ADMIN_URL,
DJANGO_SECURE_PROXY_SSL_HEADER, GUNICORN_CMD_ARGS (read by gunicorn).
Secrets (Secrets Manager / SSM): DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS,
POSTGRES_HOST/PORT/DB/USER/PASSWORD (the entrypoint turns them into
DATABASE_URL), REDIS_URL, CELERY_BROKER_URL (both complete, with the AUTH
token), DJANGO_AWS_STORAGE_BUCKET_NAME, DJANGO_AWS_STATIC_BUCKET_NAME,
DJANGO_AWS_S3_REGION_NAME, SENTRY_DSN (may be empty), and whatever else the
third-party secret holds. No AWS access keys: boto3 uses the task role.
"""

import os

from .base import *  # noqa: F401,F403
from .base import INSTALLED_APPS, env

# GENERAL
# As the template reads it: djangocdk generates the key without "$", which
# django-environ would read as the name of another variable.
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
ADMIN_URL = env("DJANGO_ADMIN_URL")

# DATABASES
# DATABASE_URL is built by compose/production/django/entrypoint from POSTGRES_*.
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # used from Django 4.1 on
# RDS takes TLS; PGSSLMODE (libpq's own variable) overrides the default.
DATABASES["default"]["OPTIONS"] = {"sslmode": os.environ.get("PGSSLMODE", "require")}


# CACHES
# rediss://:TOKEN@host:port/0?ssl_cert_reqs=required (TLS, AUTH).
REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient", "IGNORE_EXCEPTIONS": True},
    },
}

# CELERY
# Celery itself reads CELERY_BROKER_URL from the environment before any
# setting: the URL must come complete (with the AUTH token) in the variable.
CELERY_BROKER_URL = env("CELERY_BROKER_URL")

# SECURITY
# The load balancer (or CloudFront in front of it) says which scheme the
# viewer used in this header; djangocdk names it (e.g.
# HTTP_CLOUDFRONT_FORWARDED_PROTO).
SECURE_PROXY_SSL_HEADER = (env("DJANGO_SECURE_PROXY_SSL_HEADER", default="HTTP_X_FORWARDED_PROTO"), "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = ["https://" + host.lstrip(".") for host in ALLOWED_HOSTS]  # Django 3.2: bare hosts also work
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60)
SECURE_CONTENT_TYPE_NOSNIFF = True

# STORAGE (django-storages, S3). No access keys: boto3 takes the task role's
# credentials. CloudFront serves /static/* and /media/* from the two buckets
# with the path kept, hence the locations "static/" and "media/".
AWS_STORAGE_BUCKET_NAME = env("DJANGO_AWS_STORAGE_BUCKET_NAME")
AWS_STATIC_BUCKET_NAME = env("DJANGO_AWS_STATIC_BUCKET_NAME")
AWS_S3_REGION_NAME = env("DJANGO_AWS_S3_REGION_NAME", default=None)
AWS_DEFAULT_ACL = None
AWS_QUERYSTRING_AUTH = False
AWS_S3_CUSTOM_DOMAIN = env("DJANGO_AWS_S3_CUSTOM_DOMAIN", default=ALLOWED_HOSTS[0].lstrip("."))
AWS_S3_OBJECT_PARAMETERS = {"CacheControl": "max-age=604800, s-maxage=604800, must-revalidate"}
DEFAULT_FILE_STORAGE = "config.storages.MediaStorage"
STATICFILES_STORAGE = "config.storages.StaticStorage"
STATIC_URL = f"https://{AWS_S3_CUSTOM_DOMAIN}/static/"
MEDIA_URL = f"https://{AWS_S3_CUSTOM_DOMAIN}/media/"

# SENTRY (optional: empty disables)
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(dsn=SENTRY_DSN, integrations=[DjangoIntegration(), CeleryIntegration()])

INSTALLED_APPS = INSTALLED_APPS + ["storages"]
