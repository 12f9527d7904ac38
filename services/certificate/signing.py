"""The issuer's Ed25519 signature over a certificate's canonical fields, and the keys that check it.

How the key is found (config, else one generated once and kept in the certificate database) is
shared with the other services that sign documents: shared/signing_keys.py. Production sets
CERTIFICATE_SIGNING_PRIVATE_KEY; the public half of every key that ever signed is kept in
``signing_keys``, so certificates verify after a rotation.
"""
from shared.signing_keys import DocumentSigner, load_signer as load_document_signer

from .tables import signing_keys

_KEY_LOCK = 0xCE_57_0002


class CertificateSigner(DocumentSigner):
    def sign(self, fields):
        """Base64 Ed25519 signature of the fields' canonical bytes."""
        return self.sign_bytes(fields.canonical())

    def verify(self, fields, signature_b64, key_id):
        """True when *signature_b64* by key *key_id* covers exactly these fields."""
        return self.verify_bytes(fields.canonical(), signature_b64, key_id)


def load_signer(engine, private_key_setting=None, previous_public_keys=None):
    """The signer for this deployment, registering its public key."""
    return load_document_signer(engine, signing_keys, lock_key=_KEY_LOCK, setting_name="CERTIFICATE_SIGNING_PRIVATE_KEY",
                                private_key_setting=private_key_setting, previous_public_keys=previous_public_keys,
                                signer_class=CertificateSigner)
