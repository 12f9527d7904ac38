"""Errors the identity service raises across RPC; each is a shared.errors type with a Chinese message.

Every class is registered with nameko's ``deserialize_to_instance`` so an RPC caller gets the same
type back (``PlatformError`` keeps ``message`` and ``fields`` in its args) instead of a bare
``RemoteError``; that needs the caller to have imported this module.
"""
from nameko.exceptions import deserialize_to_instance

from shared.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied, PlatformError, ValidationFailed


# --- bad input -----------------------------------------------------------------------------------

@deserialize_to_instance
class InvalidInputError(ValidationFailed):
    """Raised when RPC input fails its schema; ``fields`` names each field and what is wrong."""

    code = "validation_failed"


@deserialize_to_instance
class WeakPasswordError(ValidationFailed):
    """Raised when a new password breaks the password policy."""

    code = "weak_password"


@deserialize_to_instance
class WrongCurrentPasswordError(ValidationFailed):
    """Raised when a password change gives the wrong current password."""

    code = "wrong_current_password"


@deserialize_to_instance
class UnsuitableOrganisationError(ValidationFailed):
    """Raised when an organisation is of the wrong kind or state for the action."""

    code = "unsuitable_organisation"


# --- reset codes and throttles ------------------------------------------------------------------

@deserialize_to_instance
class InvalidResetCodeError(ValidationFailed):
    """Raised when an SMS reset code is wrong, expired, used up or was never sent: one answer for all,
    so the reset form does not tell who has an account or a live code."""

    code = "invalid_reset_code"


@deserialize_to_instance
class TooManyAttemptsError(PlatformError):
    """Raised while an address (or a name from that address) must wait after repeated failures;
    ``retry_after`` is the wait in seconds (the gateway sends it as Retry-After)."""

    code = "too_many_attempts"
    http_status = 429

    def __init__(self, message, fields=None, retry_after=60):
        super().__init__(message, fields)
        self.retry_after = max(int(retry_after), 1)
        # nameko rebuilds the error from args on the calling side, so the wait travels with them.
        self.args = (message, self.fields, self.retry_after)


@deserialize_to_instance
class ResetRequestedTooSoonError(TooManyAttemptsError):
    """Raised when a new reset code is asked for before the resend interval has passed (any phone)."""

    code = "reset_requested_too_soon"


# --- duplicates and state ------------------------------------------------------------------------

@deserialize_to_instance
class DuplicateIdNumberError(Conflict):
    """Raised when registering an ID number that already has an account."""

    code = "duplicate_id_number"


@deserialize_to_instance
class DuplicatePhoneError(Conflict):
    """Raised when registering a phone number that already has an account."""

    code = "duplicate_phone"


@deserialize_to_instance
class DuplicateLoginNameError(Conflict):
    """Raised when creating an account with a login name that is taken."""

    code = "duplicate_login_name"


@deserialize_to_instance
class DuplicateCreditCodeError(Conflict):
    """Raised when registering a unit whose credit code is already registered."""

    code = "duplicate_credit_code"


@deserialize_to_instance
class CreditCodeNeedsConfirmationError(Conflict):
    """Raised when approving a unit whose credit code fails its checksum without confirming it."""

    code = "credit_code_needs_confirmation"


@deserialize_to_instance
class StateConflictError(Conflict):
    """Raised when the thing acted on is not in a state that allows the action (e.g. already approved)."""

    code = "state_conflict"


# --- authentication ------------------------------------------------------------------------------

@deserialize_to_instance
class InvalidCredentialsError(NotAuthenticated):
    """Raised when a login's username or password is wrong."""

    code = "invalid_credentials"


@deserialize_to_instance
class AccountDisabledError(NotAuthenticated):
    """Raised when a disabled account logs in or presents a token."""

    code = "account_disabled"


@deserialize_to_instance
class AccountPendingError(NotAuthenticated):
    """Raised when an account created by a sysadmin logs in before the city admin office confirmed it."""

    code = "account_pending"


@deserialize_to_instance
class TokenRefusedError(NotAuthenticated):
    """Raised when an access or refresh token is invalid, expired or revoked."""

    code = "token_refused"


@deserialize_to_instance
class RefreshTokenReusedError(NotAuthenticated):
    """Raised when an already used refresh token comes back; its whole family is revoked."""

    code = "refresh_token_reused"


# --- authorisation -------------------------------------------------------------------------------

@deserialize_to_instance
class ActionNotAllowedError(PermissionDenied):
    """Raised when the actor's role may not perform the action at all."""

    code = "action_not_allowed"


@deserialize_to_instance
class OutOfScopeError(PermissionDenied):
    """Raised when the target organisation lies outside the actor's scope."""

    code = "out_of_scope"


@deserialize_to_instance
class SeparationOfDutiesError(PermissionDenied):
    """Raised when an applicant would become admin of the unit that recommends them."""

    code = "separation_of_duties"


# --- not found -----------------------------------------------------------------------------------

@deserialize_to_instance
class AccountNotFoundError(NotFound):
    """Raised when no account has the given id."""

    code = "account_not_found"


@deserialize_to_instance
class OrganisationNotFoundError(NotFound):
    """Raised when no organisation has the given id."""

    code = "organisation_not_found"


@deserialize_to_instance
class RoleRequestNotFoundError(NotFound):
    """Raised when no role request has the given id."""

    code = "role_request_not_found"


@deserialize_to_instance
class MembershipNotFoundError(NotFound):
    """Raised when no membership request has the given id."""

    code = "membership_not_found"
