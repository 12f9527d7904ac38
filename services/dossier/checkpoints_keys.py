"""The checkpoint signing key: Ed25519, kept outside every database, named by the config.

``CHECKPOINTS.signing_key`` (env ``DOSSIER_CHECKPOINT_SIGNING_KEY``) is a PEM file path or PEM text of
an unencrypted PKCS#8 Ed25519 private key; only the instance that makes checkpoints needs it.
``CHECKPOINTS.public_keys`` (env ``DOSSIER_CHECKPOINT_PUBLIC_KEYS``: comma-separated PEM paths) adds
the public keys of retired signing keys, so checkpoints signed before a rotation still verify; an
instance that only verifies needs just those. Someone who can write the event database but cannot
read this key cannot sign a checkpoint for a history they rewrote.

``python -m services.dossier.checkpoints_keys PATH`` creates a key at PATH (mode 0600) unless one is
there, and prints its public half: what ``make run`` uses for development, and what operators publish.
"""
import base64
import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .checkpoint_verify import key_id, signed_bytes

ENVIRONMENT_VARIABLE = "DOSSIER_CHECKPOINT_SIGNING_KEY"


def _pem(pem_or_path):
    text = str(pem_or_path).strip()
    if text.startswith("-----BEGIN"):
        return text.encode("ascii")
    return Path(text).read_bytes()


def load_signing_key(pem_or_path):
    key = serialization.load_pem_private_key(_pem(pem_or_path), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("检查点签名私钥必须是 Ed25519 密钥")
    return key


def load_public_key(pem_or_path):
    key = serialization.load_pem_public_key(_pem(pem_or_path))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("检查点验证公钥必须是 Ed25519 公钥")
    return key


def public_key_pem(public_key):
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def public_keys(signing_key=None, extra=""):
    """``{key id: public key}``: the signing key's own public half and the configured others."""
    keys = [signing_key.public_key()] if signing_key is not None else []
    entries = extra if isinstance(extra, (list, tuple)) else str(extra or "").split(",")
    keys += [load_public_key(entry) for entry in entries if str(entry).strip()]
    return {key_id(key): key for key in keys}


def sign(signing_key, checkpoint):
    """*checkpoint* with its ``key_id`` and ``signature`` (base64 Ed25519 over ``signed_bytes``)."""
    body = {name: value for name, value in checkpoint.items() if name != "signature"}
    body["key_id"] = key_id(signing_key.public_key())
    return dict(body, signature=base64.b64encode(signing_key.sign(signed_bytes(body))).decode("ascii"))


def ensure_signing_key(path):
    """Create an Ed25519 private key at *path* (readable by its owner only) unless one is there; the path."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
    return path


def dev_checkpoint_environment(run_directory, environ=None, s3_endpoint=None):
    """For ``make run``: ``DOSSIER_CHECKPOINT_SIGNING_KEY`` = a development key in the run directory (made
    if missing) and ``CHECKPOINT_S3_ENDPOINT`` = the development S3 store, each unless the caller's
    environment names its own (an empty key: no checkpoints)."""
    environ = os.environ if environ is None else environ
    chosen = {}
    if s3_endpoint and "CHECKPOINT_S3_ENDPOINT" not in environ:
        chosen["CHECKPOINT_S3_ENDPOINT"] = s3_endpoint
    if ENVIRONMENT_VARIABLE in environ:
        return {**chosen, ENVIRONMENT_VARIABLE: environ[ENVIRONMENT_VARIABLE]}
    return {**chosen, ENVIRONMENT_VARIABLE: str(ensure_signing_key(Path(run_directory) / "checkpoint-signing-key.pem"))}

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("用法:python -m services.dossier.checkpoints_keys 私钥文件路径")
    print(public_key_pem(load_signing_key(ensure_signing_key(sys.argv[1])).public_key()), end="")
