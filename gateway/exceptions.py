"""Errors raised by the gateway itself (uploads, authentication), with their HTTP status codes."""
from shared.errors import PlatformError


class UnsupportedFileType(PlatformError):
    """Raised when an upload is not a readable, unencrypted PDF (checked by content, never by name)."""

    code = "unsupported_media_type"
    http_status = 415


class FileTooLarge(PlatformError):
    """Raised when an upload exceeds the configured size limit."""

    code = "file_too_large"
    http_status = 413


class TooManyRequests(PlatformError):
    """Raised when a caller exceeds a public route's rate limit; says when to try again."""

    code = "rate_limited"
    http_status = 429

    def __init__(self, message, fields=None, retry_after=60):
        super().__init__(message, fields)
        self.retry_after = retry_after


class RequestTooLarge(PlatformError):
    """Raised when a JSON request body exceeds the gateway's bound (uploads have their own, FileTooLarge)."""

    code = "request_too_large"
    http_status = 413


class ExportTooLarge(PlatformError):
    """Raised when a search matches more dossiers than one export may hold (``AUDIT.EXPORT_MAX_ROWS``)."""

    code = "export_too_large"
    http_status = 422
