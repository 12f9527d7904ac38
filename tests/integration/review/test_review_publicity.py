"""Publicity and objections with the real dossier and identity services: the public list never shows an
ID number, objections need a contact and are rate limited, and an open objection holds only its dossier."""
import json
import re
from datetime import date, timedelta

import pytest

from shared.contracts import dossier as st
from services.review.exceptions import InvalidReviewCommandError, PublicityWindowError, RateLimitedError
from shared.clock import beijing_today
from shared.errors import ValidationFailed
from tests.integration.review.review_support import CITY, SYSTEM

ID_NUMBER = re.compile(r"\d{17}[\dX]")


def objection(dossier_id, contact="13900001111", **overrides):
    return {"dossier_id": dossier_id, "contact": contact, "facts": "该申报人的业绩成果与实际不符,请核查。", **overrides}


def days_after(end_text, today):
    return (date.fromisoformat(end_text) - today).days + 1


class TestPublishing:
    def test_passed_dossiers_are_published_for_five_working_days_and_listed_without_id_numbers(self, system):
        cast = system.new_cast()
        ids = system.passed(cast, count=2, applicant_name="孙丽")
        today = beijing_today(system.clock)
        published = system.review.publish(CITY.to_dict(), {"dossier_ids": ids})
        window = system.review.working_days({"start": today.isoformat(), "working_days": 5})
        assert (published["start"], published["end"]) == (today.isoformat(), window["end"])
        assert all(result["ok"] for result in published["results"])
        assert all(system.dossier.get(d)["status"] == st.IN_PUBLICITY for d in ids)
        public = system.review.get_publicity(published["id"])
        assert public["open"] is True
        assert [set(entry) for entry in public["entries"]] == [{"dossier_id", "name", "unit", "series", "specialty", "level"}] * 2
        assert public["entries"][0]["name"] == "孙丽" and public["entries"][0]["level"] == "中级"
        assert not ID_NUMBER.search(json.dumps(public, ensure_ascii=False))
        assert published["id"] in [p["id"] for p in system.review.list_publicities()]

    def test_only_passed_dossiers_and_no_start_in_the_past(self, system):
        cast = system.new_cast()
        (submitted,) = [system.submitted(cast)]
        with pytest.raises(InvalidReviewCommandError) as raised:
            system.review.publish(CITY.to_dict(), {"dossier_ids": [submitted]})
        assert submitted in raised.value.fields["dossier_ids"]
        (passed,) = system.passed(system.new_cast())
        yesterday = (beijing_today(system.clock) - timedelta(days=1)).isoformat()
        with pytest.raises(InvalidReviewCommandError) as raised:
            system.review.publish(CITY.to_dict(), {"dossier_ids": [passed], "start": yesterday, "working_days": 3})
        assert set(raised.value.fields) == {"start", "working_days"}
        assert system.dossier.get(passed)["status"] == st.PASSED


@pytest.fixture(scope="module")
def publicity(system):
    """Three passed dossiers (one applicant is a real identity account) published today."""
    applicant = system.registered_applicant("周强")
    holder = system.new_cast(applicant_id=applicant)
    ids = system.passed(system.new_cast(), count=2) + system.passed(holder, applicant_name="周强")
    published = system.review.publish(CITY.to_dict(), {"dossier_ids": ids})
    return {"id": published["id"], "end": published["end"], "ids": ids, "applicant": applicant}


class TestObjections:
    def test_an_objection_needs_a_contact_and_the_facts(self, system, publicity):
        with pytest.raises(ValidationFailed) as raised:
            system.review.lodge_objection(publicity["id"], {"dossier_id": publicity["ids"][0], "facts": "短"})
        assert set(raised.value.fields) == {"contact", "facts"}

    def test_one_contact_may_object_three_times_a_day(self, system, publicity):
        contact = "limit-test@example.cn"
        answers = [system.review.lodge_objection(publicity["id"], objection(publicity["ids"][0], contact), "198.51.100.9")
                   for _ in range(3)]
        assert all(answer["state"] == "open" for answer in answers)
        with pytest.raises(RateLimitedError):
            system.review.lodge_objection(publicity["id"], objection(publicity["ids"][1], " LIMIT-test@example.CN "))
        for answer in answers:  # clean up: these objections are dismissed
            system.review.resolve_objection(CITY.to_dict(), answer["objection_id"], {"outcome": "dismissed", "reason": "重复异议"})

    def test_no_objection_outside_the_window(self, system, publicity):
        system.clock.travel(days=days_after(publicity["end"], beijing_today(system.clock)))
        with pytest.raises(PublicityWindowError):
            system.review.lodge_objection(publicity["id"], objection(publicity["ids"][0], "13900002222"))

    def test_an_open_objection_holds_its_dossier_while_the_others_end_their_publicity(self, system, publicity):
        held, free, accused = publicity["ids"]
        lodged = system.review.lodge_objection(publicity["id"], objection(held, "13900003333"), "203.0.113.20")
        fraud = system.review.lodge_objection(publicity["id"], objection(accused, "13900004444"), "203.0.113.21")
        assert system.dossier.get(held)["open_objections"] == [lodged["objection_id"]]
        listed = {o["id"]: o for o in system.review.list_objections(CITY.to_dict(), {"state": "open"})}
        assert listed[lodged["objection_id"]]["contact"] == "13900003333" and "address_key" not in listed[lodged["objection_id"]]

        system.clock.travel(days=days_after(publicity["end"], beijing_today(system.clock)))
        ran = system.review.run_timers(CITY.to_dict())
        assert free in ran["publicity"]["ended"] and held not in ran["publicity"]["ended"]
        assert system.dossier.get(free)["status"] == st.APPROVED
        assert system.dossier.get(held)["status"] == st.IN_PUBLICITY

        system.review.resolve_objection(CITY.to_dict(), lodged["objection_id"], {"outcome": "dismissed", "reason": "经核查不属实"})
        assert system.review.run_timers(SYSTEM)["publicity"]["ended"] == [held]
        assert system.dossier.get(held)["status"] == st.APPROVED

        resolved = system.review.resolve_objection(CITY.to_dict(), fraud["objection_id"], {
            "outcome": "upheld", "reason": "论文系他人代写,属弄虚作假", "fraud": True})
        assert resolved["state"] == "upheld" and resolved["sanction_state"] == "recorded"
        assert system.dossier.get(accused)["status"] == st.REJECTED
        (sanction,) = system.identity.sanctions_of(publicity["applicant"])
        assert sanction["kind"] == "fraud" and sanction["reference"] == f"objection:{fraud['objection_id']}"
        assert date.fromisoformat(sanction["bars_until"]).year == beijing_today(system.clock).year + 3
        detail = system.review.publicity_detail(CITY.to_dict(), publicity["id"])
        assert {e["dossier_id"]: e["state"] for e in detail["entries"]} == {
            held: "ended", free: "ended", accused: "cancelled"}
        assert accused not in [e["dossier_id"] for e in system.review.get_publicity(publicity["id"])["entries"]]
