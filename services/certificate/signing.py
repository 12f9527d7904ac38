"""The issuer's Ed25519 signature over a certificate's canonical fields, and the keys that check it.

The signing key comes from config (PEM text or file, shared by every instance). Without one, a
key is generated once and kept in the certificate database, so every instance and restart of a
development setup signs with the same key; production sets CERTIFICATE_SIGNING_PRIVATE_KEY. The
public half of every key that ever signed is kept, so certificates verify after a rotation.
"""
import base64
import logging

from cryptography.exceptions import InvalidSignature
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from shared.clock import utc_now
from shared.tokens import SigningKey, load_public_key, public_key_pem, public_keys_from_setting

from .tables import signing_keys

log = logging.getLogger(__name__)
_KEY_LOCK = 0xCE_57_0002


class CertificateSigner:
    def __init__(self, signing_key: SigningKey, public_keys: dict):
        self.signing_key = signing_key
        self.public_keys = {**public_keys, signing_key.kid: signing_key.public_key}

    @property
    def key_id(self):
        return self.signing_key.kid

    def sign(self, fields):
        """Base64 Ed25519 signature of the fields' canonical bytes."""
        return base64.b64encode(self.signing_key.private_key.sign(fields.canonical())).decode("ascii")

    def verify(self, fields, signature_b64, key_id):
        """True when *signature_b64* by key *key_id* covers exactly these fields."""
        public_key = self.public_keys.get(key_id)
        if public_key is None:
            return False
        try:
            public_key.verify(base64.b64decode(signature_b64, validate=True), fields.canonical())
            return True
        except (InvalidSignature, ValueError):
            return False

    def public_key_pems(self):
        return {kid: public_key_pem(key) for kid, key in self.public_keys.items()}


def load_signer(engine, private_key_setting=None, previous_public_keys=None):
    """The signer for this deployment (see the module docstring), registering its public key."""
    with engine.begin() as connection:
        connection.execute(select(func.pg_advisory_xact_lock(_KEY_LOCK)))
        if private_key_setting:
            key = SigningKey.from_pem(private_key_setting)
            _remember(connection, key, keep_private=False)
        else:
            stored = connection.execute(select(signing_keys.c.private_pem).where(signing_keys.c.private_pem.isnot(None))
                                        .order_by(signing_keys.c.created_at.desc()).limit(1)).scalar()
            if stored:
                key = SigningKey.from_pem(stored)
            else:
                key = SigningKey.generate()
                _remember(connection, key, keep_private=True)
                log.warning("no certificate signing key configured: generated one and kept it in the database "
                            "(development only; set CERTIFICATE_SIGNING_PRIVATE_KEY in production)")
        known = {row.key_id: load_public_key(row.public_pem) for row in connection.execute(select(signing_keys))}
    return CertificateSigner(key, {**known, **public_keys_from_setting(previous_public_keys)})


def _remember(connection, key, keep_private):
    connection.execute(pg_insert(signing_keys).values(
        key_id=key.kid, public_pem=public_key_pem(key.public_key),
        private_pem=key.private_pem() if keep_private else None, created_at=utc_now(),
    ).on_conflict_do_nothing(index_elements=["key_id"]))
