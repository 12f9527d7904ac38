"""Errors the certificate service raises; they cross the RPC boundary and map to HTTP codes at the gateway."""
from shared.errors import Conflict, NotFound, PermissionDenied


class CertificateNotFound(NotFound):
    """Raised when no certificate has the number, or the dossier has no certificate (yet)."""

    code = "certificate_not_found"


class CertificateNotAllowedError(PermissionDenied):
    """Raised when the actor may not download or revoke this certificate."""

    code = "certificate_not_allowed"


class CertificateNotDueError(Conflict):
    """Raised when a dossier is not in a state where its certificate may be issued (not approved)."""

    code = "certificate_not_due"


class CertificateNotReadyError(Conflict):
    """Raised when the certificate is issued but its PDF is not stored yet (it will be shortly)."""

    code = "certificate_not_ready"


class CertificateFeeUnpaidError(Conflict):
    """Raised when the year's policy charges a certificate fee (证书工本费) and its order is not paid yet:
    the certificate is issued once it is (docs/domain-rules.md R8.3)."""

    code = "certificate_fee_unpaid"


class CommitteeUnknownError(Conflict):
    """Raised when the dossier does not record the name of the committee that reviewed it, which the
    certificate must print (docs/domain-rules.md R9.6)."""

    code = "committee_unknown"
