"""Make every service's errors come back from RPC as their own types (so the error table sees them).

The errors are published in shared/contracts/*_errors.py; importing them registers them with nameko.
"""
import shared.contracts.certificate_errors  # noqa: F401
import shared.contracts.dossier_errors  # noqa: F401
import shared.contracts.identity_errors  # noqa: F401
import shared.contracts.notification_errors  # noqa: F401
import shared.contracts.payment_errors  # noqa: F401
import shared.contracts.review_errors  # noqa: F401
import shared.idempotency  # noqa: F401  (a reused Idempotency-Key, refused by any service)
from shared.rpc import register_platform_errors

register_platform_errors()
