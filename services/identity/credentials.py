"""Secrets identity handles: argon2id password hashes, opaque refresh tokens and SMS reset codes."""
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError


@dataclass(frozen=True)
class Argon2Settings:
    """argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile)."""

    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 4


class PasswordHasher:
    """Hashes and checks passwords with argon2id.

    *offload* runs the CPU-heavy call elsewhere (the nameko dependency passes eventlet's thread
    pool so one login does not stall every other request in the process).
    """

    def __init__(self, settings=None, offload=None):
        settings = settings or Argon2Settings()
        self._argon2 = Argon2Hasher(
            time_cost=settings.time_cost,
            memory_cost=settings.memory_cost_kib,
            parallelism=settings.parallelism,
            type=Type.ID,
        )
        self._offload = offload or (lambda function, *args: function(*args))
        # Checked against when the username is unknown, so both cases take the same time.
        self._decoy = self._argon2.hash(secrets.token_hex(16))

    def hash(self, password):
        return self._offload(self._argon2.hash, password)

    def verify(self, password_hash, password):
        """True when *password* matches; a corrupt hash counts as a mismatch."""
        try:
            return self._offload(self._argon2.verify, password_hash or self._decoy, password)
        except (VerificationError, InvalidHashError):
            return False

    def waste_time(self, password):
        """Spend what a real check costs, for a username that does not exist."""
        self.verify(self._decoy, password)

    def needs_rehash(self, password_hash):
        return self._argon2.check_needs_rehash(password_hash)


def new_refresh_token():
    """An opaque refresh token and the hash that is stored instead of it."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token):
    # 256 random bits need no slow hash: nobody can brute-force them from the stored digest.
    return hashlib.sha256(str(token).encode("utf-8")).hexdigest()


def new_reset_code(digits):
    return f"{secrets.randbelow(10 ** digits):0{digits}d}"


def hash_reset_code(secret, code_id, code):
    """Keyed hash of a reset code, bound to its row so a hash cannot be replayed on another row."""
    message = f"{code_id}:{code}".encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def reset_code_matches(secret, code_id, code, stored_hash):
    return hmac.compare_digest(hash_reset_code(secret, code_id, str(code).strip()), stored_hash)
