"""Signed provider notifications: Ed25519 over the timestamp, a nonce and the exact body.

The signed message is ``"<unix seconds>\\n<nonce>\\n<body>\\n"`` (the scheme of the large Chinese
payment APIs, with Ed25519 instead of RSA). The signature proves who sent the body and when; the
payment application then refuses stale timestamps and nonces it has seen (replays). Headers are
matched case-insensitively because HTTP servers and proxies change their case.
"""
import base64
import binascii
import hashlib
import re
import secrets
from datetime import datetime, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.tokens import key_id

from .exceptions import BadSignatureError
from .provider import SignedNotification

TIMESTAMP_HEADER = "X-Paysim-Timestamp"
NONCE_HEADER = "X-Paysim-Nonce"
KEY_ID_HEADER = "X-Paysim-Key-Id"
SIGNATURE_HEADER = "X-Paysim-Signature"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


def key_from_seed(seed):
    """A deterministic Ed25519 key from a seed text, so every process of a demo shares one simulator key."""
    digest = hashlib.sha256(b"kunming-paysim-ed25519:" + str(seed).encode("utf-8")).digest()
    return Ed25519PrivateKey.from_private_bytes(digest)


def signing_message(timestamp, nonce, body):
    return f"{timestamp}\n{nonce}\n{body}\n".encode("utf-8")


def sign(private_key, body, *, timestamp, nonce=None):
    """Headers and body of a notification signed at *timestamp* (unix seconds)."""
    nonce = nonce or secrets.token_hex(16)
    signature = private_key.sign(signing_message(int(timestamp), nonce, body))
    headers = {
        TIMESTAMP_HEADER: str(int(timestamp)),
        NONCE_HEADER: nonce,
        KEY_ID_HEADER: key_id(private_key.public_key()),
        SIGNATURE_HEADER: base64.b64encode(signature).decode("ascii"),
        "Content-Type": "application/json; charset=utf-8",
    }
    return SignedNotification(headers=headers, body=body)


def verify_signed(public_keys, headers, body):
    """``(signed_at, nonce)`` when the headers carry a valid signature of *body*; else BadSignatureError."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadSignatureError("通知内容不是有效的 UTF-8 文本") from None
    lowered = {str(name).lower(): value for name, value in (headers or {}).items()}
    timestamp, nonce = lowered.get(TIMESTAMP_HEADER.lower()), lowered.get(NONCE_HEADER.lower())
    kid, signature = lowered.get(KEY_ID_HEADER.lower()), lowered.get(SIGNATURE_HEADER.lower())
    if not (timestamp and nonce and kid and signature):
        raise BadSignatureError("通知缺少签名、时间戳或随机串")
    if not str(timestamp).isdigit() or not _NONCE.match(str(nonce)):
        raise BadSignatureError("通知的时间戳或随机串格式无效")
    public_key = public_keys.get(kid)
    if public_key is None:
        raise BadSignatureError("通知的签名密钥未知")
    try:
        public_key.verify(base64.b64decode(signature, validate=True), signing_message(int(timestamp), nonce, body))
    except (InvalidSignature, binascii.Error, ValueError):
        raise BadSignatureError("通知签名验证失败") from None
    return datetime.fromtimestamp(int(timestamp), timezone.utc), nonce
