from django.contrib import admin

from .models import Ping

admin.site.register(Ping)
