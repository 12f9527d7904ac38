"""Access tokens: the identity service signs them, every other service verifies them locally.

Tokens are JWTs signed with Ed25519 (JWS algorithm ``EdDSA``). The header names the signing key
(``kid``, the RFC 7638 thumbprint of the public key) so keys can be rotated: a verifier holds a set
of public keys by key id and accepts only those. Nothing but ``EdDSA`` is ever accepted — not
``none``, not an HMAC algorithm keyed with the public key.

Key material comes from configuration as PEM text or a path to a PEM file. When identity has no
private key configured it generates an ephemeral one (fine for a single process in development and
tests, useless across restarts or replicas); other services then fetch the public keys over RPC
(``identity.token_public_keys``) or are given the PEM in their own config.
"""
import base64
import hashlib
import hmac
import json
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.clock import utc_now
from shared.errors import NotAuthenticated

ALGORITHM = "EdDSA"
ACCESS_TOKEN = "access"
# Claims naming the sign-in session a token belongs to, and the digest of that session's CSRF token.
SESSION_CLAIM = "sid"
CSRF_CLAIM = "csrf"
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]

log = logging.getLogger(__name__)


def key_id(public_key):
    """The RFC 7638 JWK thumbprint of an Ed25519 public key, used as the ``kid`` header."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()
    return _b64url(hashlib.sha256(canonical).digest())


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)


def _pem_bytes(pem_or_path):
    """PEM text, or the contents of the file it names.

    PEM passed through an environment variable and a YAML config often arrives with its line
    breaks folded into spaces, so the block is rebuilt with standard 64-character lines.
    """
    if isinstance(pem_or_path, bytes):
        pem_or_path = pem_or_path.decode("ascii")
    text = str(pem_or_path).strip()
    if not text.startswith("-----BEGIN"):
        with open(text, "rb") as handle:
            return handle.read()
    match = _PEM_BLOCK.search(text)
    if match is None:
        raise ValueError("PEM 格式无效")
    label, body = match.group(1), "".join(match.group(2).split())
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""]).encode("ascii")


def load_private_key(pem_or_path):
    """An Ed25519 private key from PEM text or a PEM file (PKCS#8, unencrypted)."""
    key = serialization.load_pem_private_key(_pem_bytes(pem_or_path), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("令牌签名私钥必须是 Ed25519 密钥")
    return key


def load_public_key(pem_or_path):
    """An Ed25519 public key from PEM text, a PEM file, or a key object."""
    if isinstance(pem_or_path, Ed25519PublicKey):
        return pem_or_path
    key = serialization.load_pem_public_key(_pem_bytes(pem_or_path))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("令牌验证公钥必须是 Ed25519 密钥")
    return key


def public_key_pem(public_key):
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    """A private key and its key id."""

    private_key: Ed25519PrivateKey
    kid: str
    ephemeral: bool = False

    @classmethod
    def generate(cls):
        private_key = Ed25519PrivateKey.generate()
        return cls(private_key, key_id(private_key.public_key()), ephemeral=True)

    @classmethod
    def from_pem(cls, pem_or_path):
        private_key = load_private_key(pem_or_path)
        return cls(private_key, key_id(private_key.public_key()))

    @property
    def public_key(self):
        return self.private_key.public_key()

    def private_pem(self):
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")


def signing_key_from_setting(value):
    """The configured signing key, or an ephemeral one (with a warning) when *value* is empty."""
    if value:
        return SigningKey.from_pem(value)
    log.warning("no token signing key configured: using an ephemeral Ed25519 key for this process")
    return SigningKey.generate()


def public_key_set(*keys):
    """``{kid: Ed25519PublicKey}`` from PEM texts, PEM paths or key objects; empty entries skipped."""
    result = {}
    for item in keys:
        if not item:
            continue
        public_key = load_public_key(item)
        result[key_id(public_key)] = public_key
    return result


def public_keys_from_setting(value):
    """``{kid: key}`` from a config value: a list, or one string of PEM blocks or comma-separated paths."""
    if not value:
        return {}
    if isinstance(value, (list, tuple)):
        return public_key_set(*value)
    text = str(value).strip()
    if text.startswith("-----BEGIN"):
        return public_key_set(*(match.group(0) for match in _PEM_BLOCK.finditer(text)))
    return public_key_set(*(path.strip() for path in text.split(",")))


class TokenSigner:
    """Issues access tokens signed with one key; the claims say who the bearer is."""

    def __init__(self, signing_key, issuer, audience, ttl_seconds):
        self.signing_key = signing_key
        self.issuer = issuer
        self.audience = audience
        self.ttl = timedelta(seconds=ttl_seconds)

    def issue(self, subject, claims=None, now=None):
        """Return ``(token, expires_at)`` for *subject* with extra *claims*."""
        issued_at = (now or utc_now()).replace(microsecond=0)
        expires_at = issued_at + self.ttl
        payload = dict(claims or {})
        payload.update(
            iss=self.issuer,
            aud=self.audience,
            sub=str(subject),
            iat=issued_at,
            nbf=issued_at,
            exp=expires_at,
            jti=uuid.uuid4().hex,
            token_use=ACCESS_TOKEN,
        )
        token = jwt.encode(
            payload, self.signing_key.private_key, algorithm=ALGORITHM,
            headers={"kid": self.signing_key.kid},
        )
        return token, expires_at


class TokenVerifier:
    """Checks access tokens against a set of public keys; every refusal is NotAuthenticated."""

    def __init__(self, public_keys, issuer, audience, leeway_seconds=0):
        if not isinstance(public_keys, Mapping):
            public_keys = public_key_set(*public_keys)
        self.public_keys = {kid: load_public_key(key) for kid, key in public_keys.items()}
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway_seconds

    def verify(self, token, allow_expired=False):
        """Return the token's claims, or raise NotAuthenticated saying why it was refused.

        *allow_expired* accepts a genuine token past its expiry: only for ending its session (logout)
        or reading the session it belonged to, never for letting it act.
        """
        if not token or not isinstance(token, str):
            raise NotAuthenticated("未登录或缺少访问令牌")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise NotAuthenticated("访问令牌格式错误") from None
        # Checked before decoding so that no other algorithm can even be attempted.
        if header.get("alg") != ALGORITHM:
            raise NotAuthenticated(f"访问令牌的签名算法不被接受（只接受 {ALGORITHM}）")
        public_key = self.public_keys.get(header.get("kid"))
        if public_key is None:
            raise NotAuthenticated("访问令牌的签名密钥未知或已停用，请重新登录")
        try:
            claims = jwt.decode(
                token,
                public_key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": _REQUIRED_CLAIMS, "verify_exp": not allow_expired},
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("登录已过期，请重新登录") from None
        except jwt.InvalidSignatureError:
            raise NotAuthenticated("访问令牌签名无效") from None
        except jwt.ImmatureSignatureError:
            raise NotAuthenticated("访问令牌尚未生效") from None
        except jwt.InvalidTokenError:
            raise NotAuthenticated("访问令牌无效") from None
        if claims.get("token_use") != ACCESS_TOKEN:
            raise NotAuthenticated("该令牌不是访问令牌")
        return claims


def csrf_digest(csrf_token):
    """What an access token carries of its session's CSRF token: the SHA-256, never the token itself."""
    return hashlib.sha256(str(csrf_token).encode("utf-8")).hexdigest()


def csrf_matches_session(digest, presented):
    """Whether *presented* is the CSRF token of the session whose access token carries *digest*."""
    if not digest or not presented:
        return False
    return hmac.compare_digest(digest, csrf_digest(presented))


def verifier_from_key_set(key_set, leeway_seconds=0):
    """A verifier from the mapping ``identity.token_public_keys`` answers over RPC."""
    return TokenVerifier(
        {kid: load_public_key(pem) for kid, pem in key_set["keys"].items()},
        issuer=key_set["issuer"],
        audience=key_set["audience"],
        leeway_seconds=leeway_seconds,
    )
