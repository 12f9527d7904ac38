"""Error base classes shared by every service and mapped to HTTP status codes by the gateway.

Each error carries a machine-readable ``code`` and a Chinese ``message`` for people; validation
errors also carry ``fields`` (field name -> list of messages). They cross the RPC boundary as
nameko remote errors and are re-raised as these types on the calling side.
"""


class PlatformError(Exception):
    """Base of every error a person may see; subclasses set ``code`` and ``http_status``."""

    code = "error"
    http_status = 400

    def __init__(self, message, fields=None):
        # Both go into args: nameko sends args over RPC and rebuilds the error from them.
        super().__init__(message, fields or {})
        self.message = message
        self.fields = fields or {}

    def __str__(self):
        return self.message

    def to_dict(self):
        body = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


class ValidationFailed(PlatformError):
    """Raised when input does not satisfy a schema; ``fields`` says what is wrong field by field."""

    code = "validation_failed"
    http_status = 422


class NotAuthenticated(PlatformError):
    """Raised when a request carries no valid credentials."""

    code = "not_authenticated"
    http_status = 401


class PermissionDenied(PlatformError):
    """Raised when the actor's role or organisation does not allow the action."""

    code = "permission_denied"
    http_status = 403


class NotFound(PlatformError):
    """Raised when the thing asked for does not exist (or the caller may not know that it does)."""

    code = "not_found"
    http_status = 404


class Conflict(PlatformError):
    """Raised when the action clashes with the current state: an illegal transition or a lost race."""

    code = "conflict"
    http_status = 409


def all_error_types(base=PlatformError):
    """Every subclass of *base* defined so far (import the modules that define them first)."""
    found = []
    for cls in base.__subclasses__():
        found.append(cls)
        found.extend(all_error_types(cls))
    return found
