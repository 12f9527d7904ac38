"""Who is calling: the bearer token verified locally, then the account's current roles from identity.

The signature, algorithm and expiry are checked locally with identity's public keys (fetched once
and again only for an unknown key id). Every request then consults the shared revocation list
(Redis, shared/revocations.py): a token whose sign-in has ended — logout, password change — is
refused at once by every gateway instance. ``identity.authenticate`` supplies the account's current
roles (and checks the same in its database); its answer is reused for a few seconds per token so a
page of requests costs one call. While the revocation list cannot be read, nothing is reused: every
request asks identity.
"""
import hashlib
import threading
import time
from dataclasses import dataclass

import jwt

from shared.contracts import dossier_access
from shared.errors import NotAuthenticated, PermissionDenied
from shared.roles import ROLE_LABELS, Actor
from shared.revocations import RevocationList
from shared.tokens import CSRF_CLAIM, SESSION_CLAIM, verifier_from_key_set

SESSION_ENDED = "登录已结束（已退出登录或密码已修改），请重新登录"


@dataclass(frozen=True)
class Principal:
    account_id: str
    name: str
    roles: tuple  # ((role, org_id), ...)
    session_id: str | None = None  # the sign-in the token belongs to
    csrf_digest: str | None = None  # SHA-256 of that sign-in's CSRF token (page forms must match it)

    def has(self, *roles):
        return any(role in roles for role, _ in self.roles)

    def actor(self, *roles, org_id=None):
        """The Actor for the first of *roles* this person holds (at *org_id*, if given), or 403."""
        for wanted in roles:
            for role, org in self.roles:
                if role == wanted and (org_id is None or org == org_id):
                    return Actor(account_id=self.account_id, role=role, org_id=org)
        labels = "、".join(ROLE_LABELS[role] for role in roles)
        raise PermissionDenied(f"此操作需要以下身份之一:{labels}")

    def primary_actor(self):
        """For actions any signed-in person may take for themselves: their first role."""
        if not self.roles:
            raise PermissionDenied("账号没有任何角色")
        role, org = self.roles[0]
        return Actor(account_id=self.account_id, role=role, org_id=org)

    def can_view_dossier(self, dossier):
        """Read access to a dossier (or its audit scope): the one rule in shared/contracts/dossier_access.py —
        its applicant, the admins of its unit and district, the city admin and the auditor."""
        return dossier_access.any_role_may_see(self.account_id, self.roles, dossier)

    def to_dict(self):
        return {"account_id": self.account_id, "name": self.name,
                "roles": [{"role": role, "org_id": org} for role, org in self.roles]}


KEY_REFETCH_SECONDS = 10


class Authenticator:
    """*redis_client* reaches the revocation list (None: no list, every request asks identity)."""

    def __init__(self, cache_seconds=30, redis_client=None, revocation_ttl_seconds=960):
        self.cache_seconds = cache_seconds
        self.redis_client = redis_client
        self.revocation_ttl_seconds = revocation_ttl_seconds
        self.revocations = None
        self._verifier = None
        self._next_key_fetch = 0.0
        self._principals = {}
        self._lock = threading.Lock()

    def principal(self, request, identity):
        """The caller of *request*, or NotAuthenticated; *identity* is the identity RPC proxy."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("请先登录(缺少访问令牌)")
        return self.principal_for_token(token.strip(), identity)

    def principal_for_token(self, token, identity):
        claims = self._verify_locally(token, identity)
        key = hashlib.sha256(token.encode()).hexdigest()
        ended = self.revocations.refuses(claims) if self.revocations is not None else None
        if ended:
            self._principals.pop(key, None)
            raise NotAuthenticated(SESSION_ENDED)
        cached = self._principals.get(key)
        if ended is False and cached and cached[0] > time.monotonic():
            return cached[1]
        answer = identity.authenticate(token)
        principal = Principal(account_id=answer["account_id"], name=answer["name"],
                              roles=tuple((r["role"], r.get("org_id")) for r in answer["roles"]),
                              session_id=claims.get(SESSION_CLAIM), csrf_digest=claims.get(CSRF_CLAIM))
        if ended is False:  # only while the list answers may an answer be reused
            with self._lock:
                if len(self._principals) > 10000:
                    self._principals.clear()
                self._principals[key] = (time.monotonic() + self.cache_seconds, principal)
        return principal

    def claims_ignoring_expiry(self, token, identity):
        """The claims of a genuine but possibly expired token (to find its session), or NotAuthenticated."""
        return self._verify_locally(token, identity, allow_expired=True)

    def _verify_locally(self, token, identity, allow_expired=False):
        unknown_key = self._verifier is not None and _key_id(token) not in self._verifier.public_keys
        # A key id we do not know: identity may have rotated its key since we fetched the set. At most
        # one refetch per interval, so a flood of made-up key ids cannot flood identity.
        if self._verifier is None or (unknown_key and time.monotonic() > self._next_key_fetch):
            key_set = identity.token_public_keys()
            self._verifier = verifier_from_key_set(key_set)
            self._next_key_fetch = time.monotonic() + KEY_REFETCH_SECONDS
            self._use_revocation_list(key_set.get("revocation_list") or {})
        return self._verifier.verify(token, allow_expired=allow_expired)

    def _use_revocation_list(self, where):
        # identity names the key space of its list; this gateway's config names the Redis server.
        if self.redis_client is not None and where.get("key_prefix"):
            self.revocations = RevocationList(self.redis_client, where["key_prefix"], self.revocation_ttl_seconds)


def _key_id(token):
    try:
        return jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError:
        return None
