"""S3 storages for Django 3.2 (DEFAULT_FILE_STORAGE / STATICFILES_STORAGE).

From Django 4.2 and django-storages 1.14 the same is written as
STORAGES = {"default": {"BACKEND": "storages.backends.s3.S3Storage",
"OPTIONS": {"location": "media", "file_overwrite": False}}, "staticfiles":
{"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name":
<static bucket>, "location": "static"}}}.
"""

from django.conf import settings
from storages.backends.s3boto3 import S3Boto3Storage


class StaticStorage(S3Boto3Storage):
    location = "static"
    default_acl = None

    def __init__(self, **kwargs):
        kwargs.setdefault("bucket_name", settings.AWS_STATIC_BUCKET_NAME)
        super().__init__(**kwargs)


class MediaStorage(S3Boto3Storage):
    location = "media"
    default_acl = None
    file_overwrite = False
