"""Make every service's errors come back from RPC as their own types (so the error table sees them)."""
import services.certificate.exceptions  # noqa: F401
import services.dossier.exceptions  # noqa: F401
import services.dossier.policy_errors  # noqa: F401
import services.identity.exceptions  # noqa: F401
import services.payment.exceptions  # noqa: F401
import services.review.exceptions  # noqa: F401
import shared.idempotency  # noqa: F401  (a reused Idempotency-Key, refused by any service)
from shared.rpc import register_platform_errors

register_platform_errors()
