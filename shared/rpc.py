"""RPC helpers: platform errors travel over nameko RPC and come back as their own types."""
from nameko.exceptions import registry

from . import deadlines  # noqa: F401  (DeadlineExceeded comes back as itself too)
from .errors import PlatformError, all_error_types


def register_platform_errors():
    """Let nameko re-raise remote PlatformErrors as local types (instead of RemoteError).

    Call after importing the modules whose errors a client expects; idempotent.
    """
    for cls in [PlatformError, *all_error_types()]:
        registry[f"{cls.__module__}.{cls.__name__}"] = cls
