"""What the web app keeps of its own: failed logins, for the lock-out (shared by every web process)."""

from __future__ import annotations

from django.db import models


class LoginFailure(models.Model):
    """One failed login: the name tried and the client address; the password is never kept."""

    #: The username as typed (lower-cased, cut to 150), whether or not such a user exists.
    username = models.CharField(max_length=150)
    ip = models.CharField(max_length=45)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["username", "at"], name="login_failure_user"),
            models.Index(fields=["ip", "at"], name="login_failure_ip"),
            models.Index(fields=["at"], name="login_failure_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} from {self.ip} at {self.at:%Y-%m-%d %H:%M:%S}"
