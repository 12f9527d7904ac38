"""The chain walk names the first bad version and why, whatever the damage: an unreadable row, a
missing or repeated version, a broken link — and keeps the recomputed hashes before it."""
from eventsourcing.utils import get_topic

from services.dossier.hashchain import UNREADABLE, chain_report
from tests.factories import fill_everything
from tests.unit.dossier.test_dossier_domain import new_dossier


def rows():
    dossier, cast = new_dossier()
    fill_everything(dossier, cast)
    found = []
    for event in dossier.collect_events():
        state = dict(vars(event))
        originator_id, version = state.pop("originator_id"), state.pop("originator_version")
        found.append((version, get_topic(type(event)), originator_id, getattr(type(event), "class_version", 1), state))
    return found


def test_an_intact_chain_reports_every_recomputed_hash():
    records = rows()
    report = chain_report(records)
    assert (report.ok, report.count, report.first_bad_version, report.reason) == (True, len(records), None, None)
    assert report.hashes == {version: state["hash"] for version, _, _, _, state in records}


def test_an_unreadable_row_is_bad_at_its_version_and_the_hashes_before_it_are_kept():
    records = rows()
    records[4] = (5, records[4][1], records[4][2], None, UNREADABLE)
    report = chain_report(records)
    assert (report.ok, report.first_bad_version) == (False, 5) and "无法读取" in report.reason
    assert sorted(report.hashes) == [1, 2, 3, 4]


def test_a_missing_version_is_the_bad_one():
    records = rows()
    del records[2]
    report = chain_report(records)
    assert (report.first_bad_version, report.count) == (3, len(records)) and "缺少第 3 版" in report.reason


def test_an_earlier_edit_is_found_before_a_later_unreadable_row():
    records = rows()
    records[1][4]["data"] = {"gender": "女"}
    records[5] = (6, records[5][1], records[5][2], None, UNREADABLE)
    assert chain_report(records).first_bad_version == 2


def test_a_state_that_is_not_an_object_is_unreadable_not_an_error():
    records = rows()
    records[0] = (1, records[0][1], records[0][2], 1, ["not", "an", "object"])
    assert chain_report(records).first_bad_version == 1
