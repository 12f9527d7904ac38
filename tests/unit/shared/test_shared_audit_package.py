"""The audit package (shared/audit_package.py): a package built and signed with a generated key verifies
offline; any single changed byte anywhere in the file, another key, or another dossier's statement fails."""
import io
import json
import subprocess
import sys
import uuid
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared import audit_package as ap
from shared.contracts.dossier_chain import GENESIS, event_hash
from shared.tokens import key_id, public_key_pem

TOPIC = "services.dossier.domain:Dossier.{}"


def chain_records(dossier_id, kinds):
    """Stored records of *kinds* (event class names) forming a valid chain, with material payloads."""
    records, prev = [], GENESIS
    for version, kind in enumerate(kinds, 1):
        state = {"timestamp": f"2026-03-0{min(version, 9)}T01:00:00+00:00", "prev_hash": prev,
                 "actor": {"account_id": "a-1", "role": "applicant", "org_id": "u-1"}}
        if kind == "MaterialAttached":
            state.update(material_id=f"m-{version}", object_key=f"k/{version}", sha256=f"{version:064x}", size=1000 + version,
                         pages=2, category="degree", filename=f"学位证{version}.pdf")
        if kind == "MaterialDetached":
            state.update(material_id="m-2", filename="学位证2.pdf", category="degree", size=1002, sha256=f"{2:064x}")
        class_version = 2 if kind == "MaterialDetached" else 1
        digest = event_hash(topic=TOPIC.format(kind), originator_id=dossier_id, version=version,
                            class_version=class_version, state=state)
        records.append({"version": version, "topic": TOPIC.format(kind), "originator_id": dossier_id,
                        "class_version": class_version, "state": dict(state, hash=digest)})
        prev = digest
    return records


def build(key, dossier_id=None, kinds=("Created", "MaterialAttached", "MaterialAttached", "MaterialDetached", "Submitted")):
    dossier_id = dossier_id or str(uuid.uuid4())
    draft = ap.draft_package(dossier_id=dossier_id, records=chain_records(dossier_id, kinds), summary_pdf=b"%PDF-1.4 test",
                             readme="说明", exported_at="2026-03-10T02:00:00+00:00",
                             exported_by={"account_id": "auditor-1", "role": "auditor", "name": "审计员"},
                             date_time=(2026, 3, 10, 10, 0, 0))
    signature = key.sign(ap.signed_bytes(draft.statement))
    return ap.seal(draft, key_id(key.public_key()), signature)


def keys_of(*keys):
    return {key_id(key.public_key()): key.public_key() for key in keys}


@pytest.fixture(scope="module")
def key():
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def package(key):
    return build(key)


def problem_of(data, keys):
    try:
        ap.verify_package(data, keys)
    except ap.PackageProblem as problem:
        return str(problem)
    return None


class TestAGoodPackage:
    def test_verifies_with_the_signing_key_and_reports_the_statement(self, key, package):
        verdict = ap.verify_package(package, keys_of(key))
        assert verdict.statement["events"] == 5
        assert verdict.materials == 2
        assert "审计包校验通过" in ap.summary_line(verdict)

    def test_opens_in_an_ordinary_zip_reader_with_every_entry(self, package):
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            assert archive.testzip() is None
            assert sorted(archive.namelist()) == sorted(ap.ENTRY_NAMES)
            assert archive.comment.startswith(b"KUNMING-AUDIT-PACKAGE/1\n")

    def test_lists_every_material_with_the_versions_it_was_attached_and_detached(self, key, package):
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            materials = json.loads(archive.read(ap.MATERIALS))["materials"]
        assert [(m["material_id"], m["attached_version"], m["detached_version"]) for m in materials] == [
            ("m-2", 2, 4), ("m-3", 3, None)]
        assert materials[0]["sha256"] == f"{2:064x}"


class TestEveryByteIsCovered:
    def test_changing_any_single_byte_of_the_file_fails(self, key, package):
        keys = keys_of(key)
        passed = [position for position in range(len(package))
                  if problem_of(package[:position] + bytes([package[position] ^ 0x01]) + package[position + 1:], keys) is None]
        assert passed == []

    def test_an_appended_or_removed_byte_fails(self, key, package):
        keys = keys_of(key)
        assert problem_of(package + b"\0", keys)
        assert problem_of(package[:-1], keys)
        assert problem_of(package[1:], keys)


class TestWrongKeysAndStatements:
    def test_another_key_fails(self, package):
        assert "所给公钥" in problem_of(package, keys_of(Ed25519PrivateKey.generate()))

    def test_a_key_with_the_right_id_but_other_bytes_cannot_pass(self, key, package):
        other = Ed25519PrivateKey.generate().public_key()
        assert "签名无效" in problem_of(package, {key_id(key.public_key()): other})

    def test_another_dossiers_signed_statement_fails(self, key, package):
        theirs = build(key)
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            mine = len(archive.comment)
        with zipfile.ZipFile(io.BytesIO(theirs)) as archive:
            their_comment = archive.comment
        assert len(their_comment) == mine  # a swap keeps the file a well-formed ZIP
        assert "摘要不符" in problem_of(package[:-mine] + their_comment, keys_of(key))

    def test_a_statement_of_a_tampered_chain_does_not_verify_even_if_signed(self, key):
        dossier_id = str(uuid.uuid4())
        records = chain_records(dossier_id, ("Created", "Submitted"))
        records[0]["state"]["actor"]["role"] = "city_admin"  # changed after hashing
        draft = ap.draft_package(dossier_id=dossier_id, records=records, summary_pdf=b"x", readme="r",
                                 exported_at="t", exported_by={"account_id": "a", "role": "auditor", "name": ""},
                                 date_time=(2026, 1, 1, 0, 0, 0))
        data = ap.seal(draft, key_id(key.public_key()), key.sign(ap.signed_bytes(draft.statement)))
        assert "哈希链" in problem_of(data, keys_of(key))


class TestTheCommand:
    def test_exits_0_on_a_good_package_and_1_after_one_changed_byte(self, key, package, tmp_path):
        pem = tmp_path / "key.pem"
        pem.write_text(public_key_pem(key.public_key()))
        good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
        good.write_bytes(package)
        bad.write_bytes(package[:100] + bytes([package[100] ^ 0x80]) + package[101:])
        command = [sys.executable, "-m", "shared.audit_package", "verify"]
        passed = subprocess.run([*command, str(good), "--public-key", str(pem)], capture_output=True, text=True)
        failed = subprocess.run([*command, str(bad), "--public-key", str(pem)], capture_output=True, text=True)
        assert (passed.returncode, failed.returncode) == (0, 1)
        assert passed.stdout.startswith("审计包校验通过")
        assert failed.stderr.startswith("审计包校验失败")
