"""What the auth services refuse, with the HTTP status each maps to (one exception handler in the app
turns them into `{"detail": ...}` answers, so routers stay thin)."""

from __future__ import annotations


class AuthError(Exception):
    status = 400

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers


class InvalidLogin(AuthError):
    status = 401


class Forbidden(AuthError):
    status = 403


class NotFound(AuthError):
    status = 404


class Conflict(AuthError):
    status = 409


class Gone(AuthError):
    status = 410


class TooManyAttempts(AuthError):
    status = 429

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed attempts: try again in {retry_after_s} s",
                         {"Retry-After": str(retry_after_s)})
        self.retry_after_s = retry_after_s
