"""Audit over HTTP (issue 13, item 7): a dossier whose middle event was made unreadable or deleted in
PostgreSQL is answered ``ok: false`` by ``GET /api/v1/dossiers/{id}/verify`` — not 502, though the
events no longer fold — and the checkpoint export is for audit officers and the city office only."""
import pytest
from sqlalchemy import create_engine, text

from tests.e2e.conftest import login
from tests.e2e.test_applicant_journey_http import fill_sections, new_draft


@pytest.fixture(scope="module")
def events(database_url):
    engine = create_engine(database_url("e2e_dossier"))
    yield lambda statement, **values: _run(engine, statement, values)
    engine.dispose()


def _run(engine, statement, values):
    with engine.begin() as connection:
        connection.execute(text(statement), values)


@pytest.mark.parametrize("damage, first_bad", [
    ("UPDATE dossiers_events SET state = '\\x00ff'::bytea WHERE originator_id = :id AND originator_version = 3", 3),
    ("DELETE FROM dossiers_events WHERE originator_id = :id AND originator_version = 3", 3),
])
def test_a_damaged_middle_event_is_reported_to_the_auditor_and_the_applicant(system, events, damage, first_bad):
    client = system["client"]
    applicant, _, dossier_id = new_draft(client, "赵审计")
    fill_sections(applicant, dossier_id, "赵审计")
    events(damage, id=dossier_id)

    for reader in (login(client, "auditor"), applicant):
        answer = reader.get(f"/api/v1/dossiers/{dossier_id}/verify")
        assert answer.status == 200, answer
        assert (answer.json["ok"], answer.json["first_bad_version"]) == (False, first_bad)
        assert answer.json["reason"] and answer.json["checkpoint"] is None
    assert login(client, "unit_b_admin").get(f"/api/v1/dossiers/{dossier_id}/verify").status == 404  # not theirs


def test_the_checkpoint_export_is_for_auditors_and_the_city_office(system):
    client = system["client"]
    applicant, _, dossier_id = new_draft(client, "钱导出")
    assert applicant.get(f"/api/v1/audit/dossiers/{dossier_id}/checkpoint").status == 403
    assert applicant.get("/api/v1/audit/checkpoints/latest").status == 403
    # The e2e system's dossier service has a key but makes no checkpoints by itself: a clear 404, not an error.
    answer = login(client, "auditor").get(f"/api/v1/audit/dossiers/{dossier_id}/checkpoint")
    assert answer.status == 404 and "尚未生成任何签名检查点" in answer.json["error"]["message"]
    assert login(client, "city_admin").get("/api/v1/audit/checkpoints/latest").status == 404
