"""The dossier service's answers through ``dump(SomeOut, …)`` are, byte for byte on the wire, what the
service answered before with ``to_dict()`` and ``plain(…)``; and each answer schema declares exactly
the keys its answer has, so nothing is dropped and nothing new slips out undeclared."""
import pytest
from kombu.utils.json import dumps as wire  # nameko's serializer: the JSON text a caller receives

from services.dossier import schemas
from services.dossier.application import history_entry
from services.dossier.commands import SECTION_EDITS
from services.dossier.domain import Dossier
from services.dossier.notices import record
from services.dossier.policy import Failure
from services.dossier.projections import summary_row
from shared.clock import utc_now
from shared.contracts import dossier as st
from shared.contracts.dossier_schemas import SECTION_COMMANDS
from shared.contracts.notice_schemas import NoticeSchema
from shared.errors import Conflict
from shared.schemas import AnswerShapeError, dump, load_or_raise, plain
from tests.factories import Cast, fill_everything, notice_document
from tests.unit.dossier.dossier_givens import given, given_events, history_to


def draft(cast=None):
    cast = cast or Cast()
    return Dossier.create(cast.applicant, **cast.creation_fields())


def submitted(cast=None):
    cast = cast or Cast()
    dossier = draft(cast)
    fill_everything(dossier, cast)
    dossier.submit(cast.applicant)
    return dossier


def the_same_on_the_wire(new, old):
    """Equal values and the same JSON text, key order included."""
    return new == old and wire(new) == wire(old)


# Dossiers in the states whose answers carry the most: sections, opinions, fee, tally, publicity, revocation.
RICH_STATUSES = (st.RETURNED, st.IN_PUBLICITY, st.CERTIFIED, st.REVOKED)


class TestDossierAnswers:
    def test_a_fresh_draft_answers_as_its_to_dict(self):
        dossier = draft()
        assert the_same_on_the_wire(dump(schemas.DossierOut, dossier.to_dict()), dossier.to_dict())

    def test_a_filled_and_submitted_dossier_answers_as_its_to_dict(self):
        dossier = submitted()
        old = dossier.to_dict()
        assert old["status"] == st.SUBMITTED and old["submitted_at"] and old["sections"] and old["materials"]
        assert the_same_on_the_wire(dump(schemas.DossierOut, old), old)

    @pytest.mark.parametrize("status", RICH_STATUSES)
    def test_a_dossier_further_along_answers_as_its_to_dict(self, status):
        old = given(history_to(status, Cast())).to_dict()
        assert old["status"] == status
        assert the_same_on_the_wire(dump(schemas.DossierOut, old), old)

    def test_the_schema_declares_exactly_what_to_dict_gives(self):
        assert list(schemas.DossierOut().fields) == list(draft().to_dict())

    def test_a_key_the_schema_does_not_declare_is_refused(self):
        with pytest.raises(AnswerShapeError, match="DossierOut does not declare secret"):
            dump(schemas.DossierOut, {**draft().to_dict(), "secret": "x"})

    def test_a_new_achievement_answers_its_id_and_the_dossier(self):
        cast = Cast()
        dossier = draft(cast)
        achievement_id = dossier.add_achievement(cast.applicant, {"kind": "项目", "title": "某大桥", "date": "2020-01-01"})
        old = {"achievement_id": achievement_id, "dossier": dossier.to_dict()}
        assert the_same_on_the_wire(dump(schemas.AchievementAddedOut, old), old)


class TestListAndHistory:
    def test_a_list_page_answers_its_rows_with_times_as_iso_text(self):
        rows = [summary_row(draft()), summary_row(submitted())]
        assert rows[1]["submitted_at"] is not None and rows[0]["submitted_at"] is None
        page = {"items": rows, "total": 7, "page": 2, "per_page": 2}
        old = dict(page, items=[plain(item) for item in rows])  # what the service answered before
        new = dump(schemas.DossierListOut, page)
        assert the_same_on_the_wire(new, old)
        assert new["items"][1]["created_at"] == rows[1]["created_at"].isoformat()

    def test_history_answers_every_event_as_before(self):
        events = given_events(history_to(st.CERTIFIED, Cast()))
        old = [history_entry(event) for event in events]
        assert the_same_on_the_wire(dump(schemas.HistoryEntryOut, old, many=True), old)
        assert list(schemas.HistoryEntryOut().fields) == list(old[0])


class TestVerifyAnswers:
    CHECKPOINT_PART = {"sequence": 4, "created_at": "2026-03-01T01:00:00Z", "version": 9, "ok": False,
                       "reason": "重算的第 9 版哈希与第 4 号签名检查点所签不符"}

    @pytest.mark.parametrize("answer", [
        {"ok": True, "events": 9, "first_bad_version": None, "checkpoint": None},
        {"ok": True, "events": 9, "first_bad_version": None, "checkpoint": {"sequence": 4, "version": 9, "ok": True,
                                                                             "created_at": "2026-03-01T01:00:00Z"}},
        {"ok": False, "events": 9, "first_bad_version": 3, "checkpoint": CHECKPOINT_PART,
         "reason": "第 3 版事件的内容与其存储的哈希不符(被修改或调换)"},
        {"ok": True, "events": 9, "first_bad_version": None, "checkpoint": {"ok": None, "reason": "暂时无法访问"},
         "reason": "暂时无法访问"},
    ], ids=["intact, no checkpoint yet", "intact, checkpointed", "damaged", "checkpoint store down"])
    def test_verify_answers_as_before_when_checkpoints_are_configured(self, answer):
        assert the_same_on_the_wire(dump(schemas.VerifyOut, answer), answer)

    def test_verify_without_checkpoints_keeps_every_key_and_value(self):
        # Without a checkpoint key the old answer gained ``checkpoint`` last (setdefault after ``reason``);
        # the schema's one order puts it before ``reason``, as a configured instance always answered.
        old = {"ok": False, "events": 8, "first_bad_version": 4, "reason": "第 4 版事件缺失"}
        old.setdefault("checkpoint", None)
        new = dump(schemas.VerifyOut, old)
        assert new == old
        assert list(new) == ["ok", "events", "first_bad_version", "checkpoint", "reason"]


class TestNoticeAnswers:
    def stored_row(self, review_year=2026, version=1):
        notice = plain(load_or_raise(NoticeSchema(), notice_document(review_year)))
        return {"review_year": review_year, "version": version, "notice": notice, "published_by": "city-admin-1",
                "published_at": utc_now()}

    def test_a_notice_answers_as_its_record(self):
        old = record(self.stored_row())
        assert old["policy"] and old["notice"]["review_year"] == 2026
        assert the_same_on_the_wire(dump(schemas.NoticeOut, old), old)

    def test_the_list_of_notices_answers_as_before(self):
        old = [record(self.stored_row(2027, 2)), record(self.stored_row(2026))]
        assert the_same_on_the_wire(dump(schemas.NoticeOut, old, many=True), old)


class TestOtherAnswers:
    def test_an_eligibility_check_answers_its_failures(self):
        failures = [Failure("retired", "已退休人员不能申报职称评审", details={"x": 1}), Failure("sanction", "有处理记录")]
        old = {"eligible": False, "failures": [failure.to_dict() for failure in failures]}
        assert the_same_on_the_wire(dump(schemas.EligibilityOut, old), old)
        assert dump(schemas.EligibilityOut, {"eligible": True, "failures": []}) == {"eligible": True, "failures": []}

    def test_a_batch_answers_each_dossier_moved_or_why_not(self):
        error = Conflict("申报材料已被他人处理", fields={"version": ["已变化"]}).to_dict()
        old = {"batch_id": "b-1", "saved": False, "results": [
            {"dossier_id": "d-1", "ok": True, "version": 12}, {"dossier_id": "d-2", "ok": False, "error": error}]}
        assert the_same_on_the_wire(dump(schemas.BatchOut, old), old)

    def test_the_audit_scope_and_health_answer_as_before(self):
        scope = {"dossier_id": "d-1", "applicant_id": "a-1", "unit_id": "u-1", "district_id": "x-1"}
        assert the_same_on_the_wire(dump(schemas.AuditScopeOut, scope), scope)
        healthy = {"service": "dossier", "status": "degraded", "instance": "host:1:ab", "events": 40,
                   "relay_backlog": 0, "projection_lag": 2, "failed_event_handlings": 1}
        assert the_same_on_the_wire(dump(schemas.HealthOut, healthy), healthy)
        failing = {"service": "dossier", "status": "error", "instance": "host:1:ab", "error": "connection refused"}
        assert the_same_on_the_wire(dump(schemas.HealthOut, failing), failing)

    def test_the_checkpoint_exports_answer_as_before(self):
        document = {"sequence": 4, "root": "ab" * 32, "key_id": "k1", "signature": "c2ln"}
        latest = {"checkpoint": document, "signature_ok": False, "problem": "签名无法核验"}
        assert the_same_on_the_wire(dump(schemas.LatestCheckpointOut, latest), latest)
        proof = {"checkpoint": document, "proof": {"leaf": "d-1", "path": [["left", "ef" * 32]]},
                 "public_key": "-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----\n", "key_id": "k1"}
        assert the_same_on_the_wire(dump(schemas.CheckpointProofOut, proof), proof)


def test_every_section_form_names_an_aggregate_command_of_the_section_table():
    """The section forms (shared/contracts) and the commands that run them (commands.SECTION_EDITS)
    are one set, and each name is the aggregate method it runs."""
    assert {command for command, _schema, _style in SECTION_COMMANDS.values()} == set(SECTION_EDITS)
    assert all(edit is getattr(Dossier, name) for name, edit in SECTION_EDITS.items())
