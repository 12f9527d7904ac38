"""shared.tokens: access tokens signed with Ed25519 and refused when forged, expired or of another algorithm."""
import base64
import hashlib
import hmac
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.clock import utc_now
from shared.errors import NotAuthenticated
from shared.tokens import (
    SigningKey, TokenSigner, TokenVerifier, csrf_digest, csrf_matches_session, key_id, public_key_pem,
    public_keys_from_setting, signing_key_from_setting, verifier_from_key_set,
)

ISSUER, AUDIENCE = "test-identity", "test-platform"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signer_for(key, **overrides):
    settings = {"issuer": ISSUER, "audience": AUDIENCE, "ttl_seconds": 900, **overrides}
    return TokenSigner(key, **settings)


def verifier_for(*keys, **overrides):
    settings = {"issuer": ISSUER, "audience": AUDIENCE, **overrides}
    return TokenVerifier({key.kid: key.public_key for key in keys}, **settings)


def claims_for(**overrides):
    now = utc_now()
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": "account-1", "iat": now, "exp": now + timedelta(minutes=5),
            "token_use": "access", **overrides}


@pytest.fixture(scope="module")
def key():
    return SigningKey.generate()


class TestIssuingAndVerifying:
    def test_a_token_carries_the_subject_and_extra_claims(self, key):
        token, _ = signer_for(key).issue("account-1", {"roles": [{"role": "applicant", "org_id": None}]})
        claims = verifier_for(key).verify(token)
        assert claims["sub"] == "account-1"
        assert claims["roles"] == [{"role": "applicant", "org_id": None}]

    def test_the_header_names_the_algorithm_and_the_key(self, key):
        token, _ = signer_for(key).issue("account-1")
        assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": key.kid, "typ": "JWT"}

    def test_a_token_lives_fifteen_minutes_by_default_setting(self, key):
        now = utc_now().replace(microsecond=0)
        _, expires_at = signer_for(key).issue("account-1", now=now)
        assert expires_at == now + timedelta(minutes=15)

    def test_a_verifier_holding_several_keys_accepts_each(self, key):
        retired = SigningKey.generate()
        old_token, _ = signer_for(retired).issue("account-1")
        new_token, _ = signer_for(key).issue("account-1")
        verifier = verifier_for(key, retired)
        assert verifier.verify(old_token)["sub"] == verifier.verify(new_token)["sub"] == "account-1"

    def test_the_key_set_published_over_rpc_builds_a_verifier(self, key):
        token, _ = signer_for(key).issue("account-1")
        key_set = {"issuer": ISSUER, "audience": AUDIENCE, "keys": {key.kid: public_key_pem(key.public_key)}}
        assert verifier_from_key_set(key_set).verify(token)["sub"] == "account-1"


class TestRefusals:
    def refused(self, verifier, token):
        with pytest.raises(NotAuthenticated) as raised:
            verifier.verify(token)
        return raised.value.message

    def test_an_expired_token_is_refused(self, key):
        token, _ = signer_for(key).issue("account-1", now=utc_now() - timedelta(minutes=16))
        assert self.refused(verifier_for(key), token) == "登录已过期，请重新登录"

    def test_a_token_signed_by_another_key_under_a_trusted_kid_is_refused(self, key):
        forged = jwt.encode(claims_for(), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": key.kid})
        assert self.refused(verifier_for(key), forged) == "访问令牌签名无效"

    def test_a_token_whose_payload_was_altered_is_refused(self, key):
        token, _ = signer_for(key).issue("account-1")
        header, _, signature = token.split(".")
        payload = b64(json.dumps(claims_for(sub="someone-else"), default=str).encode())
        assert "访问令牌" in self.refused(verifier_for(key), f"{header}.{payload}.{signature}")

    def test_an_unsigned_alg_none_token_is_refused(self, key):
        header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": key.kid}).encode())
        payload = b64(json.dumps({**claims_for(), "iat": 0, "exp": 4102444800}).encode())
        message = self.refused(verifier_for(key), f"{header}.{payload}.")
        assert "签名算法不被接受" in message

    def test_an_hmac_token_keyed_with_the_public_key_is_refused(self, key):
        # The classic algorithm-confusion forgery: HS256 with the published public key as secret.
        secret = public_key_pem(key.public_key).encode()
        header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
        payload = b64(json.dumps({**claims_for(), "iat": 0, "exp": 4102444800}).encode())
        signature = b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        assert "签名算法不被接受" in self.refused(verifier_for(key), f"{header}.{payload}.{signature}")

    def test_an_rs256_token_is_refused(self, key):
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = jwt.encode(claims_for(), rsa_key, algorithm="RS256", headers={"kid": key.kid})
        assert "签名算法不被接受" in self.refused(verifier_for(key), token)

    def test_a_token_from_an_unknown_key_is_refused(self, key):
        token, _ = signer_for(SigningKey.generate()).issue("account-1")
        assert "签名密钥未知" in self.refused(verifier_for(key), token)

    @pytest.mark.parametrize("setting", ["issuer", "audience"])
    def test_a_token_for_another_issuer_or_audience_is_refused(self, key, setting):
        token, _ = signer_for(key, **{setting: "elsewhere"}).issue("account-1")
        assert self.refused(verifier_for(key), token) == "访问令牌无效"

    def test_a_signed_token_that_is_not_an_access_token_is_refused(self, key):
        token = jwt.encode(claims_for(token_use="refresh"), key.private_key, algorithm="EdDSA",
                           headers={"kid": key.kid})
        assert self.refused(verifier_for(key), token) == "该令牌不是访问令牌"

    @pytest.mark.parametrize("token", ["", None, "not-a-token", "a.b.c"])
    def test_garbage_is_refused_with_a_clear_message(self, key, token):
        assert self.refused(verifier_for(key), token)


class TestEndingSessions:
    def test_an_expired_token_still_names_its_session_for_logging_out_but_only_when_asked(self, key):
        token, _ = signer_for(key).issue("account-1", {"sid": "s-1"}, now=utc_now() - timedelta(minutes=16))
        assert verifier_for(key).verify(token, allow_expired=True)["sid"] == "s-1"
        with pytest.raises(NotAuthenticated):
            verifier_for(key).verify(token)

    def test_an_expired_forgery_is_refused_even_for_logging_out(self, key):
        forged = jwt.encode(claims_for(exp=utc_now() - timedelta(minutes=1)), Ed25519PrivateKey.generate(),
                            algorithm="EdDSA", headers={"kid": key.kid})
        with pytest.raises(NotAuthenticated, match="签名无效"):
            verifier_for(key).verify(forged, allow_expired=True)

    def test_a_csrf_token_matches_only_the_session_whose_digest_the_token_carries(self):
        digest = csrf_digest("session-token")
        assert csrf_matches_session(digest, "session-token")
        assert not csrf_matches_session(digest, "another") and not csrf_matches_session(None, "session-token")
        assert not csrf_matches_session(digest, "") and digest != "session-token"


class TestKeyMaterial:
    def test_the_key_id_is_the_rfc_7638_thumbprint(self):
        # RFC 8037 appendix A: the Ed25519 test key and its thumbprint.
        private = Ed25519PrivateKey.from_private_bytes(
            base64.urlsafe_b64decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="))
        assert key_id(private.public_key()) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"

    def test_a_configured_key_is_read_from_pem_text_or_a_file(self, tmp_path):
        original = SigningKey.generate()
        path = tmp_path / "identity.pem"
        path.write_text(original.private_pem())
        assert signing_key_from_setting(original.private_pem()).kid == original.kid
        assert signing_key_from_setting(str(path)).kid == original.kid

    def test_pem_whose_line_breaks_were_folded_by_yaml_still_loads(self):
        original = SigningKey.generate()
        folded = " ".join(original.private_pem().split("\n"))
        assert signing_key_from_setting(folded).kid == original.kid

    def test_without_a_configured_key_an_ephemeral_one_is_made(self):
        key = signing_key_from_setting(None)
        assert key.ephemeral and key.kid

    def test_several_public_keys_come_from_one_setting(self):
        first, second = SigningKey.generate(), SigningKey.generate()
        setting = public_key_pem(first.public_key) + public_key_pem(second.public_key)
        assert set(public_keys_from_setting(setting)) == {first.kid, second.kid}

    def test_a_non_ed25519_key_is_not_accepted_as_a_signing_key(self):
        from cryptography.hazmat.primitives import serialization

        pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        with pytest.raises(ValueError, match="Ed25519"):
            signing_key_from_setting(pem.decode())
