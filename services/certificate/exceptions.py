"""The errors this service raises. They cross RPC, so they are published in
``shared/contracts/certificate_errors.py``; this module names them for the service's own code."""
from shared.contracts.certificate_errors import (  # noqa: F401
    CertificateNotFound,
    CertificateNotAllowedError,
    CertificateNotDueError,
    CertificateNotReadyError,
    CertificateFeeUnpaidError,
    CommitteeUnknownError,
)
