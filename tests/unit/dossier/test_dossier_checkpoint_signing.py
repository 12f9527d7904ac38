"""Checkpoint signatures and leaves without I/O: what a signature covers, which keys it is checked
with, and that leaves that do not hash to the signed root are refused."""
import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.dossier.checkpoint_verify import FORMAT, key_id, proof_problem, signature_problem
from services.dossier.checkpoints import Checkpoint, CheckpointDamaged, LeafSet
from services.dossier.checkpoints_keys import ensure_signing_key, load_signing_key, public_keys, sign
from shared.tokens import key_id as token_key_id

KEY = Ed25519PrivateKey.generate()
KEYS = public_keys(KEY)


def signed_checkpoint(leaves, sequence=1):
    return sign(KEY, {"format": FORMAT, "sequence": sequence, "created_at": "2026-03-01T02:00:00.000000Z",
                      "log_position": 40, "tree_size": len(leaves.entries), "root": leaves.root_hex(),
                      "leaves": {"object": "leaves/1.json", "sha256": hashlib.sha256(leaves.to_bytes(sequence)).hexdigest()},
                      "previous": None, "unverified": []})


LEAVES = LeafSet([("d-2", 4, "b" * 64), ("d-1", 7, "a" * 64), ("d-3", 1, "c" * 64)])


class TestSignatures:
    def test_a_signed_checkpoint_verifies_with_its_key_and_names_it_as_identity_does(self):
        checkpoint = signed_checkpoint(LEAVES)
        assert signature_problem(checkpoint, KEYS) is None
        assert checkpoint["key_id"] == key_id(KEY.public_key()) == token_key_id(KEY.public_key())

    @pytest.mark.parametrize("field, value", [("root", "0" * 64), ("sequence", 2), ("created_at", "2027-01-01T00:00:00Z"),
                                              ("previous", {"sequence": 1}), ("unverified", [{"dossier_id": "d-1"}])])
    def test_changing_any_signed_field_breaks_the_signature(self, field, value):
        assert "签名无效" in signature_problem(dict(signed_checkpoint(LEAVES), **{field: value}), KEYS)

    def test_a_key_of_another_signer_or_a_malformed_signature_is_refused(self):
        checkpoint = signed_checkpoint(LEAVES)
        assert "未知的密钥" in signature_problem(checkpoint, public_keys(Ed25519PrivateKey.generate()))
        assert "签名无效" in signature_problem(dict(checkpoint, signature="not base64!"), KEYS)
        assert "格式不符" in signature_problem(dict(checkpoint, format="other"), KEYS)

    def test_a_retired_public_key_still_verifies_what_it_signed(self, tmp_path):
        retired = load_signing_key(ensure_signing_key(tmp_path / "old.pem"))
        pem = tmp_path / "old.pub.pem"
        from services.dossier.checkpoints_keys import public_key_pem

        pem.write_text(public_key_pem(retired.public_key()))
        keys = public_keys(KEY, f" {pem} ,")
        assert signature_problem(sign(retired, signed_checkpoint(LEAVES)), keys) is None
        assert (tmp_path / "old.pem").stat().st_mode & 0o077 == 0  # the private key is its owner's alone


class TestLeaves:
    def test_leaves_are_ordered_by_dossier_and_prove_their_place(self):
        checkpoint = Checkpoint(signed_checkpoint(LEAVES), b"")
        assert [entry[0] for entry in LEAVES.entries] == ["d-1", "d-2", "d-3"]
        proof = LEAVES.proof("d-2", checkpoint)
        assert proof["leaf"] == {"dossier_id": "d-2", "version": 4, "head_hash": "b" * 64}
        assert proof_problem(checkpoint.document, proof) is None
        assert "不成立" in proof_problem(checkpoint.document, dict(proof, leaf_index=0))
        assert "序号或树大小" in proof_problem(checkpoint.document, dict(proof, tree_size=4))

    def test_leaves_that_do_not_match_what_the_checkpoint_signs_are_refused(self):
        checkpoint = Checkpoint(signed_checkpoint(LEAVES), b"")
        assert LeafSet.from_bytes(LEAVES.to_bytes(1), checkpoint).get("d-1") == (7, "a" * 64)
        other = LeafSet([("d-1", 8, "f" * 64), ("d-2", 4, "b" * 64), ("d-3", 1, "c" * 64)])
        with pytest.raises(CheckpointDamaged, match="摘要不符"):
            LeafSet.from_bytes(other.to_bytes(1), checkpoint)
        with pytest.raises(CheckpointDamaged, match="缺失"):
            LeafSet.from_bytes(None, checkpoint)
        forged = dict(signed_checkpoint(LEAVES), leaves={"sha256": hashlib.sha256(other.to_bytes(1)).hexdigest()})
        with pytest.raises(CheckpointDamaged, match="根不符"):
            LeafSet.from_bytes(other.to_bytes(1), Checkpoint(forged, b""))

    def test_a_signature_is_base64_of_64_bytes(self):
        assert len(base64.b64decode(signed_checkpoint(LEAVES)["signature"])) == 64


def test_make_run_gets_a_development_key_in_its_run_directory_unless_one_is_named(tmp_path):
    from services.dossier.checkpoints_keys import ENVIRONMENT_VARIABLE, dev_checkpoint_environment

    made = dev_checkpoint_environment(tmp_path, {})
    assert load_signing_key(made[ENVIRONMENT_VARIABLE]) and made == dev_checkpoint_environment(tmp_path, {})
    assert dev_checkpoint_environment(tmp_path, {ENVIRONMENT_VARIABLE: "/etc/key.pem"}, "127.0.0.1:19000") == {
        ENVIRONMENT_VARIABLE: "/etc/key.pem", "CHECKPOINT_S3_ENDPOINT": "127.0.0.1:19000"}
