from celery import shared_task

from .models import Ping


@shared_task(name="pings.tasks.record_ping")
def record_ping(source):
    """Writes one row: proof that a worker ran the task."""
    return Ping.objects.create(source=source).pk
