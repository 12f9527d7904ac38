"""The secret ballot's cryptography (shared/ballot_crypto.py): a ballot is exactly one valid choice and
shows nothing else; the tally is the proven decryption of the sums; any altered byte fails the check."""
import copy
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from shared import ballot_crypto as bc

CHOICES = ("agree", "disagree", "abstain")
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def keys():
    secret = bc.derive_secret(os.urandom(32), "meeting-1")
    return secret, bc.public_key(secret).hex()


def forged_ballot(public_key, bits, meeting="meeting-1", dossier="dossier-1"):
    """A cheater's ballot: ciphertexts of arbitrary *bits* (two agrees, say), each with the best proof
    the prover's own code can make for it, and a sum proof claiming the usual total of one."""
    y = bytes.fromhex(public_key)
    ctx = bc.context(meeting, dossier, public_key)
    entries, total, r_total = [], bc.NEUTRAL, bc.ZERO
    for choice, bit in zip(CHOICES, bits, strict=True):
        r = bc.random_scalar()
        cipher = bc.Ciphertext(bc.mul_base(r), bc.add(bc.mul_base(bc._scalar(bit)), bc.mul(r, y)))
        proof = bc._bit_proof(ctx, y, cipher, min(bit, 1), r)
        entries.append({"choice": choice, **cipher.to_dict(), "proof": proof})
        total, r_total = total.plus(cipher), bc.s_add(r_total, r)
    return {"scheme": bc.SCHEME, "entries": entries, "sum_proof": bc._sum_proof(ctx, y, total, r_total)}


def record_of(secret, public_key, casts, meeting="meeting-1", dossier="dossier-1"):
    ballots = [bc.encrypt_choice(public_key, meeting, dossier, CHOICES, choice) for choice in casts]
    return {"scheme": bc.SCHEME, "meeting_id": meeting, "public_key": public_key, "choices": list(CHOICES),
            "dossiers": [{"dossier_id": dossier, "receipts": len(ballots), "ballots": ballots,
                          "tally": bc.decrypt_tally(secret, meeting, dossier, ballots, CHOICES)}]}


class TestBallots:
    @pytest.mark.parametrize("choice", CHOICES)
    def test_a_ballot_verifies_and_decrypts_to_its_choice_only(self, keys, choice):
        secret, public = keys
        ballot = bc.encrypt_choice(public, "meeting-1", "dossier-1", CHOICES, choice)
        bc.verify_ballot(ballot, public, "meeting-1", "dossier-1", CHOICES)
        counts = bc.decrypt_tally(secret, "meeting-1", "dossier-1", [ballot], CHOICES)["counts"]
        assert counts == {c: int(c == choice) for c in CHOICES}

    def test_the_same_choice_never_encrypts_the_same_way_twice(self, keys):
        _, public = keys
        first, second = (bc.encrypt_choice(public, "meeting-1", "dossier-1", CHOICES, "agree") for _ in range(2))
        assert {e["a"] for e in first["entries"]}.isdisjoint(e["a"] for e in second["entries"])
        assert "agree" not in json.dumps([{k: v for k, v in e.items() if k != "choice"} for e in first["entries"]])

    @pytest.mark.parametrize("bits, refusal", [((1, 1, 0), "合计证明无效"), ((0, 0, 0), "合计证明无效"),
                                               ((1, 1, 1), "合计证明无效"), ((2, 0, 0), "不是 0 或 1"),
                                               ((2, -1 % (2**252 + 27742317777372353535851937790883648493), 0), "不是 0 或 1")])
    def test_a_ballot_that_is_not_exactly_one_choice_is_refused(self, keys, bits, refusal):
        _, public = keys
        bc.verify_ballot(forged_ballot(public, (0, 1, 0)), public, "meeting-1", "dossier-1", CHOICES)  # the forger's control
        with pytest.raises(bc.BallotProofError, match=refusal):
            bc.verify_ballot(forged_ballot(public, bits), public, "meeting-1", "dossier-1", CHOICES)

    def test_a_ballot_is_bound_to_its_meeting_and_dossier(self, keys):
        _, public = keys
        ballot = bc.encrypt_choice(public, "meeting-1", "dossier-1", CHOICES, "disagree")
        for meeting, dossier in (("meeting-2", "dossier-1"), ("meeting-1", "dossier-2")):
            with pytest.raises(bc.BallotProofError, match="证明无效"):
                bc.verify_ballot(ballot, public, meeting, dossier, CHOICES)

    def test_any_altered_field_of_a_ballot_fails(self, keys):
        _, public = keys
        ballot = bc.encrypt_choice(public, "meeting-1", "dossier-1", CHOICES, "abstain")
        for path in [("entries", 0, "a"), ("entries", 1, "b"), ("entries", 2, "proof", "c0"), ("entries", 0, "proof", "z1"),
                     ("sum_proof", "c"), ("sum_proof", "z")]:
            altered = copy.deepcopy(ballot)
            holder = altered
            for step in path[:-1]:
                holder = holder[step]
            value = bytearray(bytes.fromhex(holder[path[-1]]))
            value[0] ^= 1
            holder[path[-1]] = value.hex()
            with pytest.raises(bc.BallotProofError):
                bc.verify_ballot(altered, public, "meeting-1", "dossier-1", CHOICES)

    @pytest.mark.parametrize("broken", [None, {}, {"scheme": "other"}, {"scheme": bc.SCHEME, "entries": "x"},
                                        {"scheme": bc.SCHEME, "entries": [{"choice": "agree"}]},
                                        {"scheme": bc.SCHEME, "entries": [{"choice": c, "a": "zz", "b": "00"} for c in CHOICES]}])
    def test_malformed_ballots_get_a_clear_refusal(self, keys, broken):
        _, public = keys
        with pytest.raises(bc.BallotProofError):
            bc.verify_ballot(broken, public, "meeting-1", "dossier-1", CHOICES)


class TestTheTally:
    def test_the_published_record_checks_with_no_secret(self, keys):
        secret, public = keys
        casts = ["agree"] * 6 + ["disagree"] * 2 + ["abstain"]
        checked = bc.verify_record(record_of(secret, public, casts))
        assert checked == [{"dossier_id": "dossier-1", "counts": dict(Counter(casts))}]

    def test_no_ballots_tally_to_zero(self, keys):
        secret, public = keys
        assert bc.verify_record(record_of(secret, public, []))[0]["counts"] == {c: 0 for c in CHOICES}

    def test_a_count_moved_between_choices_fails(self, keys):
        secret, public = keys
        record = record_of(secret, public, ["agree", "agree", "disagree"])
        record["dossiers"][0]["tally"]["counts"].update(agree=1, disagree=2)
        with pytest.raises(bc.BallotProofError, match="票数"):
            bc.verify_record(record)

    def test_a_forged_decryption_fails(self, keys):
        secret, public = keys
        record = record_of(secret, public, ["agree", "disagree"])
        proof = record["dossiers"][0]["tally"]["proofs"]["agree"]
        proof["d"] = bc.add(bytes.fromhex(proof["d"]), bc.BASE).hex()  # a share that makes agree one less
        record["dossiers"][0]["tally"]["counts"].update(agree=0)
        with pytest.raises(bc.BallotProofError, match="解密证明无效"):
            bc.verify_record(record)

    def test_a_ballot_dropped_duplicated_or_replaced_fails(self, keys):
        secret, public = keys
        record = record_of(secret, public, ["agree", "disagree", "agree"])
        dropped = copy.deepcopy(record)
        dropped["dossiers"][0]["ballots"].pop()
        with pytest.raises(bc.BallotProofError, match="回执"):
            bc.verify_record(dropped)
        duplicated = copy.deepcopy(record)
        duplicated["dossiers"][0]["ballots"][1] = duplicated["dossiers"][0]["ballots"][0]
        with pytest.raises(bc.BallotProofError, match="重复"):
            bc.verify_record(duplicated)
        replaced = copy.deepcopy(record)
        replaced["dossiers"][0]["ballots"][1] = bc.encrypt_choice(public, "meeting-1", "dossier-1", CHOICES, "agree")
        with pytest.raises(bc.BallotProofError):
            bc.verify_record(replaced)

    def test_the_key_is_derived_not_kept_and_differs_per_meeting(self):
        master = os.urandom(32)
        assert bc.derive_secret(master, "m1") == bc.derive_secret(master, "m1") != bc.derive_secret(master, "m2")
        assert bc.derive_secret(os.urandom(32), "m1") != bc.derive_secret(master, "m1")
        with pytest.raises(ValueError):
            bc.derive_secret(b"short", "m1")


class TestTheOfflineCheck:
    def run(self, path):
        return subprocess.run([sys.executable, "-m", "shared.tally_check", str(path)], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)

    def test_the_command_passes_a_true_record_and_fails_after_one_changed_byte(self, keys, tmp_path):
        secret, public = keys
        path = tmp_path / "record.json"
        path.write_text(json.dumps(record_of(secret, public, ["agree", "abstain", "agree"])))
        passed = self.run(path)
        assert passed.returncode == 0 and "核验通过" in passed.stdout and "同意 2" in passed.stdout
        text = path.read_text()
        position = text.index('"b": "') + 10
        path.write_text(text[:position] + ("0" if text[position] != "0" else "1") + text[position + 1:])
        failed = self.run(path)
        assert failed.returncode == 1 and "核验未通过" in failed.stdout
