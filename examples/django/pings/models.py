from django.db import models


class Ping(models.Model):
    """One row per executed task: who sent it (a queue name or "beat")."""

    source = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.source} at {self.created_at:%Y-%m-%d %H:%M:%S}"
