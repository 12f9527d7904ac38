"""The Ed25519 key a service signs its documents with (certificates, meeting records), and the public
keys that check them.

The signing key comes from config (PEM text or file, shared by every instance). Without one, a key
is generated once and kept in the service's own database, so every instance and restart of a
development setup signs with the same key; production sets the service's key setting. The public
half of every key that ever signed is kept, so documents verify after a rotation. Each service has
its own table (``include_in``) and its own key: a certificate key cannot sign a meeting record.
"""
import base64
import logging

from cryptography.exceptions import InvalidSignature
from sqlalchemy import Column, DateTime, String, Table, Text, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from shared.clock import utc_now
from shared.tokens import SigningKey, load_public_key, public_key_pem, public_keys_from_setting

log = logging.getLogger(__name__)


def include_in(metadata, name="signing_keys"):
    """The table of a service's signing keys (public part always; the private part only when generated)."""
    return Table(
        name,
        metadata,
        Column("key_id", String(64), primary_key=True),
        Column("public_pem", Text, nullable=False),
        Column("private_pem", Text),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )


class DocumentSigner:
    """Signs bytes with the current key and checks signatures by any key that ever signed."""

    def __init__(self, signing_key: SigningKey, public_keys: dict):
        self.signing_key = signing_key
        self.public_keys = {**public_keys, signing_key.kid: signing_key.public_key}

    @property
    def key_id(self):
        return self.signing_key.kid

    def sign_bytes(self, data: bytes):
        """Base64 Ed25519 signature of *data*."""
        return base64.b64encode(self.signing_key.private_key.sign(data)).decode("ascii")

    def verify_bytes(self, data: bytes, signature_b64, key_id):
        """True when *signature_b64* by key *key_id* covers exactly *data*."""
        public_key = self.public_keys.get(key_id)
        if public_key is None or not signature_b64:
            return False
        try:
            public_key.verify(base64.b64decode(signature_b64, validate=True), data)
            return True
        except (InvalidSignature, ValueError):
            return False

    def public_key_pems(self):
        return {kid: public_key_pem(key) for kid, key in self.public_keys.items()}


def load_signer(engine, table, *, lock_key, setting_name, private_key_setting=None, previous_public_keys=None,
                signer_class=DocumentSigner):
    """The signer for this deployment (see the module docstring), its public key registered in *table*.

    *lock_key* serialises instances starting together (one generates the development key, the others
    read it); *setting_name* is the environment variable named in the warning.
    """
    with engine.begin() as connection:
        connection.execute(select(func.pg_advisory_xact_lock(lock_key)))
        if private_key_setting:
            key = SigningKey.from_pem(private_key_setting)
            _remember(connection, table, key, keep_private=False)
        else:
            stored = connection.execute(select(table.c.private_pem).where(table.c.private_pem.isnot(None))
                                        .order_by(table.c.created_at.desc()).limit(1)).scalar()
            if stored:
                key = SigningKey.from_pem(stored)
            else:
                key = SigningKey.generate()
                _remember(connection, table, key, keep_private=True)
                log.warning("no signing key configured: generated one and kept it in the database "
                            "(development only; set %s in production)", setting_name)
        known = {row.key_id: load_public_key(row.public_pem) for row in connection.execute(select(table))}
    return signer_class(key, {**known, **public_keys_from_setting(previous_public_keys)})


def _remember(connection, table, key, keep_private):
    connection.execute(pg_insert(table).values(
        key_id=key.kid, public_pem=public_key_pem(key.public_key),
        private_pem=key.private_pem() if keep_private else None, created_at=utc_now(),
    ).on_conflict_do_nothing(index_elements=["key_id"]))
