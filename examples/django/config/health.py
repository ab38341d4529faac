"""The load balancer's health check.

The target group sends GET HEALTH_PATH over plain HTTP with the task's IP
address as Host. This middleware comes first in MIDDLEWARE and answers before
SecurityMiddleware (which would redirect to HTTPS) and before the request's
host is validated against ALLOWED_HOSTS (request.get_host() is never called).
It must equal djangocdk's `healthCheckPath` (default "/healthz").
"""

from django.http import HttpResponse

HEALTH_PATH = "/healthz"


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return HttpResponse("ok", content_type="text/plain")
        return self.get_response(request)
