"""The gateway's authenticator against the shared revocation list: an ended sign-in is refused at
once, even with its answer cached; while the list cannot be read, every request asks identity."""
import pytest

from gateway.auth import Authenticator
from shared.errors import NotAuthenticated
from shared.revocations import RevocationList, connect_redis
from shared.tokens import SigningKey, TokenSigner, csrf_digest, public_key_pem


class FakeRevocations(RevocationList):
    """The real list's interface over a set; ``unreadable`` plays a Redis outage."""

    def __init__(self):
        super().__init__(client=None, key_prefix="test:", ttl_seconds=960)
        self.ended, self.unreadable = set(), False

    def end_session(self, session_id):
        self.ended.add(session_id)
        return True

    def refuses(self, claims):
        return None if self.unreadable else claims.get("sid") in self.ended


class FakeIdentity:
    """Signs tokens with a real Ed25519 key and counts authenticate calls."""

    def __init__(self):
        self.key = SigningKey.generate()
        self.signer = TokenSigner(self.key, "kunming-title-identity", "kunming-title", 900)
        self.asked = 0

    def token(self, session_id):
        return self.signer.issue("acct-1", {"name": "王芳", "roles": [], "ver": 0, "sid": session_id,
                                            "csrf": csrf_digest("t")})[0]

    def token_public_keys(self):
        return {"algorithm": "EdDSA", "issuer": "kunming-title-identity", "audience": "kunming-title",
                "keys": {self.key.kid: public_key_pem(self.key.public_key)},
                "revocation_list": {"key_prefix": "test:"}}

    def authenticate(self, token):
        self.asked += 1
        return {"account_id": "acct-1", "name": "王芳", "roles": [{"role": "applicant", "org_id": None}]}


@pytest.fixture
def parts():
    identity, revocations = FakeIdentity(), FakeRevocations()
    authenticator = Authenticator(cache_seconds=30)
    authenticator.principal_for_token(identity.token("warm-up"), identity)  # fetches the key set
    authenticator.revocations = revocations
    return authenticator, identity, revocations


class TestRevocationList:
    def test_an_ended_sign_in_is_refused_at_once_even_when_its_answer_is_cached(self, parts):
        authenticator, identity, revocations = parts
        token = identity.token("s-1")
        principal = authenticator.principal_for_token(token, identity)
        assert (principal.session_id, principal.csrf_digest) == ("s-1", csrf_digest("t"))
        revocations.end_session("s-1")
        with pytest.raises(NotAuthenticated, match="登录已结束"):
            authenticator.principal_for_token(token, identity)

    def test_other_sign_ins_of_the_account_go_on(self, parts):
        authenticator, identity, revocations = parts
        revocations.end_session("s-1")
        assert authenticator.principal_for_token(identity.token("s-2"), identity).session_id == "s-2"

    def test_answers_are_reused_while_the_list_answers(self, parts):
        authenticator, identity, _ = parts
        token = identity.token("s-3")
        before = identity.asked
        for _ in range(3):
            authenticator.principal_for_token(token, identity)
        assert identity.asked == before + 1

    def test_while_the_list_cannot_be_read_every_request_asks_identity(self, parts):
        authenticator, identity, revocations = parts
        revocations.unreadable = True
        token = identity.token("s-4")
        before = identity.asked
        for _ in range(3):
            authenticator.principal_for_token(token, identity)
        assert identity.asked == before + 3

    def test_the_list_is_taken_from_identitys_key_set_when_redis_is_configured(self):
        identity = FakeIdentity()
        # Nothing listens on port 1: the list is set up but unreadable, so identity is asked.
        authenticator = Authenticator(redis_client=connect_redis("redis://127.0.0.1:1/0"))
        authenticator.principal_for_token(identity.token("s-5"), identity)
        assert authenticator.revocations.key_prefix == "test:"
        assert Authenticator(redis_client=None).revocations is None
