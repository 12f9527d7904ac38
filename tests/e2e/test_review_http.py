"""The review chain over HTTP through the gateway: from submission to ``publicity_ended`` with unit
publicity, an all-or-nothing batch, district and city approval, the committee, the draw, the secret
ballot, publicity and an objection that holds one dossier while the others proceed; and scoping:
an admin of unit A or district X never sees B or Y, in lists, exports or by id."""
import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest

from shared.ballot_crypto import verify_record
from shared.contracts.dossier import STATUS_LABELS
from tests.e2e.review_support import (
    DISTRICT_ADMINS, UNIT_A, UNIT_ADMINS, UNIT_B, Staff, approve, committee_with_pool, decide, expert_id, expert_unit,
    open_meeting, person_name, publicise_in_unit, submitted_dossier, today, unit_publicity_over, vote,
)
from tests.waiting import wait_until

DRAWN = range(1, 10)  # experts 01…09: 01 and 06 work in 甲, 02 and 07 in 乙
CONTACT = "13912345678"
# After publicity ends the certificate service soon issues the certificate: approved, then certified.
PUBLICITY_ENDED = {"approved", "certified"}


def status_of(staff, dossier_id):
    return staff["city_admin"].get(f"/api/v1/review/queue/{dossier_id}").json["status"]


@pytest.fixture(scope="module")
def staff(system):
    return Staff(system["client"], system["review_clock"])


@pytest.fixture(scope="module")
def chain(system, staff, cluster_rpc):
    """Three applicants (two of 甲 under 五华区, one of 乙 under 盘龙区) taken through the whole chain;
    every answer along the way is kept for the tests below."""
    client, clock = system["client"], system["review_clock"]
    seen = {}
    names = {"a1": person_name("赵"), "a2": person_name("钱"), "b1": person_name("孙")}
    ids = {key: submitted_dossier(client, names[key], UNIT_A if key.startswith("a") else UNIT_B)[1] for key in names}
    a1, a2, b1 = ids["a1"], ids["a2"], ids["b1"]
    unit_a, unit_b = staff[UNIT_ADMINS[UNIT_A]], staff[UNIT_ADMINS[UNIT_B]]

    # 单位审核, 单位公示 (A1 only at first), 报送 once it is over: the first batch must be refused as a whole.
    approve(unit_a, a1, a2)
    approve(unit_b, b1)
    seen["unit_publicity"] = publicise_in_unit(unit_a, a1)
    seen["backdated_publicity"] = unit_a.post("/api/v1/review/unit-publicity", json_body={
        "dossier_ids": [a2], "start": (today() - timedelta(days=30)).isoformat()})
    with unit_publicity_over(clock, seen["unit_publicity"].json["end"]):
        seen["refused_batch"] = unit_a.post("/api/v1/review/batches", json_body={"dossier_ids": [a1, a2, b1]})
    seen["a1_after_refusal"] = status_of(staff, a1)
    seen["short_publicity"] = unit_a.post("/api/v1/review/unit-publicity", json_body={
        "dossier_ids": [a2], "start": today().isoformat(), "end": (today() + timedelta(days=1)).isoformat()})
    publicity_a2 = publicise_in_unit(unit_a, a2)
    assert publicity_a2.status == 200
    with unit_publicity_over(clock, publicity_a2.json["end"]):
        seen["batch"] = unit_a.post("/api/v1/review/batches", json_body={"dossier_ids": [a1, a2]})
    publicity_b1 = publicise_in_unit(unit_b, b1)
    assert publicity_b1.status == 200
    with unit_publicity_over(clock, publicity_b1.json["end"]):
        assert unit_b.post("/api/v1/review/batches", json_body={"dossier_ids": [b1]}).status == 201

    # 主管部门 (each its own), 市人社局, then the fee as the payment service records it.
    seen["other_district_decides"] = decide(staff[DISTRICT_ADMINS[UNIT_B]], a1)
    approve(staff[DISTRICT_ADMINS[UNIT_A]], a1, a2)
    approve(staff[DISTRICT_ADMINS[UNIT_B]], b1)
    approve(staff["city_admin"], a1, a2, b1)
    for dossier_id in (a1, a2, b1):
        cluster_rpc.dossier.record_fee_paid({"account_id": "system", "role": "system"}, dossier_id,
                                            f"order-{dossier_id[:8]}", 16000)
    # The fee arrives as a dossier event: review's queue learns of it from the bus.
    seen["fee_paid"] = [wait_until(lambda d=dossier_id: status_of(staff, d) == "fee_paid", what="fee_paid event")
                        and "fee_paid" for dossier_id in (a1, a2, b1)]

    # 评委会, 评审会议 (draw, dossiers, attendance, open), the ballots of the drawn experts, close.
    committee = committee_with_pool(staff["city_admin"])
    secretary = staff["eng_secretary"]
    meeting = open_meeting(secretary, committee["id"], [a1, a2, b1], DRAWN)
    seen["meeting_opened"] = meeting
    seen["under_review"] = [status_of(staff, dossier_id) for dossier_id in (a1, a2, b1)]
    seen["ballots"], seen["refusals"] = {}, {}
    for number in DRAWN:
        expert = staff.expert(number)
        for key, dossier_id in ids.items():
            own_unit = expert_unit(number) == (UNIT_A if key.startswith("a") else UNIT_B)
            # B1 passes with exactly 5 of its 7 voters agreeing: one 不同意, one 弃权.
            choice = {3: "disagree", 4: "abstain"}.get(number, "agree") if key == "b1" else "agree"
            answer = vote(expert, meeting["id"], dossier_id, choice)
            (seen["refusals"] if own_unit else seen["ballots"])[(number, key)] = answer
    seen["double_vote"] = vote(staff.expert(2), meeting["id"], a1, "disagree")
    seen["meeting_during_vote"] = secretary.get(f"/api/v1/meetings/{meeting['id']}").json
    seen["record_during_vote"] = client.get(f"/api/v1/meetings/{meeting['id']}/ballot-record")
    seen["closed"] = secretary.post(f"/api/v1/meetings/{meeting['id']}/close")
    seen["ballot_record"] = client.get(f"/api/v1/meetings/{meeting['id']}/ballot-record")  # anyone, signed in or not
    seen["late_ballot"] = vote(staff.expert(9), meeting["id"], a1)
    seen["passed"] = [status_of(staff, dossier_id) for dossier_id in (a1, a2, b1)]

    # 公示: published by the city; an objection (anyone, no login) holds A2; the window ends.
    city = staff["city_admin"]
    seen["published"] = city.post("/api/v1/publicity", json_body={"dossier_ids": [a1, a2, b1]})
    publicity_id = seen["published"].json["id"]
    seen["public_list"] = client.get("/api/v1/publicity")
    seen["public_detail"] = client.get(f"/api/v1/publicity/{publicity_id}")
    objection = {"dossier_id": a2, "contact": CONTACT, "facts": "该申报人的业绩材料与实际承担的项目不符,请核查。"}
    seen["objections"] = [client.post(f"/api/v1/publicity/{publicity_id}/objections", json_body=objection)
                          for _ in range(4)]
    try:
        clock.travel(days=8)  # past the window's last working day
        seen["timers"] = city.post("/api/v1/review/timers/run")
        seen["after_window"] = {key: status_of(staff, dossier_id) for key, dossier_id in ids.items()}
        open_ones = city.get("/api/v1/objections", params={"publicity_id": publicity_id, "state": "open"}).json["items"]
        seen["dismissed"] = [city.post(f"/api/v1/objections/{item['id']}/resolve",
                                       json_body={"outcome": "dismissed", "reason": "经核查,业绩材料属实"})
                             for item in open_ones]
        seen["timers_after_dismissal"] = city.post("/api/v1/review/timers/run")
        seen["final"] = {key: status_of(staff, dossier_id) for key, dossier_id in ids.items()}
    finally:
        clock.reset()
    seen["history_a2"] = city.get(f"/api/v1/dossiers/{a2}/history").json["items"]
    return {"ids": ids, "names": names, "seen": seen, "meeting": meeting, "publicity_id": publicity_id}


class TestTheChainFromSubmissionToPublicityEnded:
    def test_a_batch_with_one_unfit_dossier_moves_nothing_and_names_every_refusal(self, chain):
        refused, ids = chain["seen"]["refused_batch"], chain["ids"]
        assert refused.status == 409, refused
        body = refused.json
        assert body["saved"] is False and body["error"]["code"] == "batch_refused"
        results = {result["dossier_id"]: result for result in body["results"]}
        assert results[ids["a1"]]["ok"] is True
        assert "单位内部公示" in results[ids["a2"]]["error"]["message"]
        assert "不属于本单位" in results[ids["b1"]]["error"]["message"]
        assert set(body["error"]["fields"]) == {ids["a2"], ids["b1"]}
        assert chain["seen"]["a1_after_refusal"] == "unit_approved"

    def test_unit_publicity_needs_five_working_days(self, chain):
        seen = chain["seen"]
        assert seen["unit_publicity"].status == 200 and seen["unit_publicity"].json["working_days"] >= 5
        short = seen["short_publicity"]
        assert short.status == 422 and "5 个工作日" in short.json["error"]["message"]

    def test_unit_publicity_cannot_be_backdated_before_the_unit_approval(self, chain):
        backdated = chain["seen"]["backdated_publicity"]
        assert backdated.status == 422, backdated
        assert f"不能早于 {today().isoformat()}" in backdated.json["error"]["message"]
        assert chain["ids"]["a2"] in backdated.json["error"]["fields"]["dossier_ids"]

    def test_the_batch_is_saved_once_every_dossier_may_go(self, chain):
        batch = chain["seen"]["batch"]
        assert batch.status == 201 and batch.json["saved"] is True
        assert all(result["ok"] for result in batch.json["results"])

    def test_a_district_admin_cannot_decide_for_another_district(self, chain):
        answer = chain["seen"]["other_district_decides"]
        assert answer.status == 404 and answer.json["error"]["code"] == "dossier_not_in_scope"

    def test_fee_paid_then_the_meeting_opens_the_review(self, chain):
        seen = chain["seen"]
        assert seen["fee_paid"] == ["fee_paid"] * 3
        assert seen["meeting_opened"]["state"] == "open" and seen["meeting_opened"]["quorum"]["met"]
        assert seen["under_review"] == ["under_review"] * 3

    def test_each_drawn_expert_votes_once_on_each_dossier_not_from_their_unit(self, chain):
        seen = chain["seen"]
        assert seen["ballots"] and all(answer.status == 201 for answer in seen["ballots"].values())
        assert all(answer.json == {"meeting_id": chain["meeting"]["id"], "dossier_id": answer.json["dossier_id"],
                                   "recorded": True} for answer in seen["ballots"].values())

    def test_a_recused_expert_is_refused(self, chain):
        refusals = chain["seen"]["refusals"]
        assert set(refusals) == {(n, key) for n in (1, 6) for key in ("a1", "a2")} | {(n, "b1") for n in (2, 7)}
        for answer in refusals.values():
            assert answer.status == 403 and answer.json["error"]["code"] == "recused"
            assert "与申报人同一单位" in answer.json["error"]["message"]

    def test_a_second_ballot_is_refused(self, chain):
        answer = chain["seen"]["double_vote"]
        assert answer.status == 409 and answer.json["error"]["code"] == "already_voted"

    def test_the_meeting_view_says_who_voted_never_how(self, chain):
        during = chain["seen"]["meeting_during_vote"]
        a1 = next(d for d in during["dossiers"] if d["dossier_id"] == chain["ids"]["a1"])
        assert a1["ballots_cast"] == a1["voters"] == 7 and a1["tally"] is None
        text = str(during)
        assert "disagree" not in text and "abstain" not in text

    def test_closing_tallies_and_no_late_ballot_is_taken(self, chain):
        seen = chain["seen"]
        assert seen["closed"].status == 200, seen["closed"]
        tallies = {d["dossier_id"]: d["tally"] for d in seen["closed"].json["dossiers"]}
        assert tallies[chain["ids"]["b1"]] == {"agree": 5, "disagree": 1, "abstain": 1, "voters": 7, "required": 5,
                                               "passed": True}
        assert tallies[chain["ids"]["a1"]]["agree"] == 7
        assert seen["late_ballot"].status == 409 and seen["late_ballot"].json["error"]["code"] == "late_ballot"
        assert seen["passed"] == ["passed"] * 3

    def test_the_published_ballot_record_checks_out_with_no_secret_and_names_no_expert(self, chain):
        seen = chain["seen"]
        assert seen["record_during_vote"].status == 409  # published only once the vote is closed
        assert seen["ballot_record"].status == 200, seen["ballot_record"]
        record = seen["ballot_record"].json
        checked = {entry["dossier_id"]: entry["counts"] for entry in verify_record(record)}
        tallies = {d["dossier_id"]: d["tally"] for d in seen["closed"].json["dossiers"]}
        assert checked == {dossier_id: {c: tally[c] for c in ("agree", "disagree", "abstain")}
                           for dossier_id, tally in tallies.items()}
        assert not any(expert_id(number) in str(record) for number in range(1, 16))

    def test_the_public_list_shows_names_never_id_numbers(self, chain):
        seen = chain["seen"]
        assert seen["published"].status == 201 and seen["published"].json["working_days"] >= 5
        assert chain["publicity_id"] in [item["id"] for item in seen["public_list"].json["items"]]
        detail = seen["public_detail"]
        assert detail.status == 200
        entries = {entry["name"]: entry for entry in detail.json["entries"]}
        assert set(chain["names"].values()) <= set(entries)
        assert set(next(iter(entries.values()))) == {"dossier_id", "name", "unit", "series", "specialty", "level"}
        assert not re.search(r"\d{17}[\dX]", detail.text)

    def test_objections_are_taken_from_anyone_and_limited_per_contact(self, chain):
        answers = chain["seen"]["objections"]
        assert [answer.status for answer in answers] == [201, 201, 201, 429]
        assert answers[-1].json["error"]["code"] == "rate_limited"

    def test_an_objection_holds_one_dossier_while_the_others_end_their_publicity(self, chain):
        seen, ids = chain["seen"], chain["ids"]
        assert seen["timers"].status == 200
        ended = seen["timers"].json["publicity"]["ended"]
        assert {ids["a1"], ids["b1"]} <= set(ended) and ids["a2"] not in ended
        assert seen["after_window"]["a2"] == "in_publicity"
        assert seen["after_window"]["a1"] in PUBLICITY_ENDED and seen["after_window"]["b1"] in PUBLICITY_ENDED

    def test_once_dismissed_the_held_dossier_ends_its_publicity_too(self, chain):
        seen = chain["seen"]
        assert len(seen["dismissed"]) == 3 and all(answer.status == 200 for answer in seen["dismissed"])
        assert chain["ids"]["a2"] in seen["timers_after_dismissal"].json["publicity"]["ended"]
        assert set(seen["final"].values()) <= PUBLICITY_ENDED
        types = [event["type"] for event in seen["history_a2"]]
        for step in ("submitted", "unit_approved", "unit_publicity_recorded", "recommended", "district_approved",
                     "city_approved", "fee_paid", "sent_to_committee", "review_started", "passed",
                     "publicity_started", "objection_raised", "objection_resolved", "publicity_ended"):
            assert step in types, step


@pytest.fixture(scope="module")
def both(chain, staff):
    """A1 (unit 甲, 五华区) and B1 (unit 乙, 盘龙区), once the queues hold them (lists come from events)."""
    ids = chain["ids"]
    wait_until(lambda: {ids["a1"], ids["b1"]} <= set(staff["city_admin"].get(
        "/api/v1/review/queue", params={"include_ids": "true", "per_page": 1}).json["ids"]), what="events")
    return ids["a1"], ids["b1"]


class TestScoping:
    """An admin of unit A or district X never sees B or Y: lists, exports, by id."""

    @pytest.mark.parametrize(("viewer", "mine", "theirs"), [
        ("unit_a_admin", 0, 1), ("unit_b_admin", 1, 0), ("wuhua_admin", 0, 1), ("panlong_admin", 1, 0)])
    def test_lists_hold_only_the_own_organisation(self, staff, both, viewer, mine, theirs):
        listed = staff[viewer].get("/api/v1/review/queue", params={"include_ids": "1", "per_page": 200}).json
        assert both[mine] in listed["ids"] and both[theirs] not in listed["ids"]
        assert both[theirs] not in [item["dossier_id"] for item in listed["items"]]

    @pytest.mark.parametrize("viewer", ["unit_a_admin", "wuhua_admin"])
    def test_a_filter_naming_the_other_organisation_finds_nothing(self, staff, both, chain, viewer):
        other = staff["city_admin"].get(f"/api/v1/review/queue/{both[1]}").json
        filters = ({"unit_id": other["unit_id"]}, {"district_id": other["district_id"]}, {"q": chain["names"]["b1"]})
        for params in filters:
            assert staff[viewer].get("/api/v1/review/queue", params=params).json["total"] == 0

    @pytest.mark.parametrize(("viewer", "theirs"), [("unit_a_admin", 1), ("wuhua_admin", 1), ("unit_b_admin", 0),
                                                     ("panlong_admin", 0)])
    def test_by_id_the_other_organisations_dossier_does_not_exist(self, staff, both, viewer, theirs):
        for path in (f"/api/v1/review/queue/{both[theirs]}", f"/api/v1/review/dossiers/{both[theirs]}/decisions"):
            answer = staff[viewer].get(path)
            assert answer.status == 404 and answer.json["error"]["code"] == "dossier_not_in_scope", path
        assert staff[viewer].get(f"/api/v1/dossiers/{both[theirs]}").status == 404

    def test_the_csv_export_holds_only_the_unit_with_masked_id_numbers(self, staff, both):
        answer = staff["unit_a_admin"].get("/api/v1/review/queue/export", params={"format": "csv"})
        assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in answer.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(answer.body.decode("utf-8-sig"))))
        assert rows[0][0] == "序号" and rows[0][-1] == "申报材料编号"
        exported = {row[-1] for row in rows[1:]}
        assert both[0] in exported and both[1] not in exported
        assert {row[3] for row in rows[1:]} == {UNIT_A}
        assert all(re.fullmatch(r"\d{4}\*+\d{3}[\dX]", row[2]) for row in rows[1:] if row[2])
        assert any(row[2] for row in rows[1:])

    def test_the_excel_export_of_the_district_holds_only_its_units(self, staff, both):
        answer = staff["panlong_admin"].get("/api/v1/review/queue/export", params={"format": "xlsx"})
        assert answer.status == 200 and "spreadsheetml" in answer.headers["Content-Type"]
        sheet = openpyxl.load_workbook(io.BytesIO(answer.body)).active
        exported = {row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)}
        assert both[1] in exported and both[0] not in exported

    def test_progress_counts_per_organisation_stay_in_scope(self, staff, both):
        city = staff["city_admin"].get("/api/v1/review/progress").json
        assert city["grouping"] == "district" and {"五华区人社局", "盘龙区人社局"} <= {g["org_name"] for g in city["groups"]}
        unit = staff["unit_a_admin"].get("/api/v1/review/progress").json
        assert unit["grouping"] == "unit" and [g["org_name"] for g in unit["groups"]] == [UNIT_A]

    def test_the_queue_counts_by_status_and_pages(self, staff, both):
        counts = staff["unit_a_admin"].get("/api/v1/review/queue/counts").json
        assert counts["total"] == sum(counts["counts"].values()) and counts["counts"]
        assert all(counts["labels"][code] == STATUS_LABELS[code] for code in counts["counts"])
        page = staff["unit_a_admin"].get("/api/v1/review/queue", params={"per_page": 1, "page": 2}).json
        assert page["per_page"] == 1 and page["page"] == 2 and len(page["items"]) == 1

    def test_people_without_a_queue_are_refused(self, system, staff):
        assert system["client"].get("/api/v1/review/queue").status == 401
        assert staff.expert(1).get("/api/v1/review/queue").status == 403


class TestRefusalsAndDocuments:
    def test_an_expert_cannot_run_a_meeting_nor_a_secretary_vote(self, chain, staff):
        meeting_id = chain["meeting"]["id"]
        assert staff.expert(3).post(f"/api/v1/meetings/{meeting_id}/close").status == 403
        answer = vote(staff["eng_secretary"], meeting_id, chain["ids"]["a1"])
        assert answer.status == 403

    def test_only_the_city_admin_publishes_and_resolves(self, chain, staff):
        publish = staff["unit_a_admin"].post("/api/v1/publicity", json_body={"dossier_ids": [chain["ids"]["a1"]]})
        assert publish.status == 403
        assert staff["unit_a_admin"].post("/api/v1/review/timers/run").status == 403

    def test_the_calendar_is_read_by_staff_and_edited_by_the_city(self, staff):
        year = staff["unit_a_admin"].get("/api/v1/calendar/2026").json
        assert year["configured"] and "2026-10-01" in str(year["days_off"])
        window = staff["unit_a_admin"].get("/api/v1/calendar/working-days",
                                           params={"start": "2026-09-30", "working_days": 5}).json
        assert window["end"] == "2026-10-12"  # 国庆 10-01…10-07 off, Saturday 10-10 a 调休 working day
        assert staff["unit_a_admin"].put("/api/v1/calendar/2031", json_body={"days_off": []}).status == 403
        saved = staff["city_admin"].put("/api/v1/calendar/2031", json_body={"days_off": ["2031-01-01"], "source": "测试"})
        assert saved.status == 200 and saved.json["configured"]

    def test_the_openapi_document_lists_the_review_routes_with_their_bodies(self, system):
        spec = system["client"].get("/api/v1/openapi.json").json
        for path in ("/api/v1/review/queue", "/api/v1/review/batches", "/api/v1/meetings/{meeting_id}/ballots",
                     "/api/v1/publicity/{publicity_id}/objections", "/api/v1/objections/{objection_id}/resolve"):
            assert path in spec["paths"], path
        ballot = spec["paths"]["/api/v1/meetings/{meeting_id}/ballots"]["post"]
        assert "requestBody" in ballot and "429" in ballot["responses"]

    def test_health_reports_the_review_service(self, system):
        report = system["client"].get("/health").json
        assert report["services"]["review"]["status"] == "ok"
