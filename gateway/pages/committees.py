"""Pages of the committee office: committees and their expert pools (city admin), review meetings
(draw, dossiers, attendance, open, close: city admin or committee secretary), and the expert's own
voting page. No page shows which expert chose what: only who has voted and, once closed, the tally."""
import re

from shared.contracts import dossier as st
from shared.contracts import review as REVIEW
from shared.contracts.review import BAND_LABELS, CHOICES, ORGANISED_BY, UNCONFIRMED_MINIMUMS
from shared.errors import NotFound, PlatformError
from shared.roles import AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY, EXPERT

from ..compose.ballots import cast_sealed_ballot, checked_ballot_record
from ..web import query_args
from .base import PageBase, refusal
from .confirm import ask_to_confirm, confirmed
from .handler import page, redirect
from .review_views import error_lines
from .views import flatten_errors

READERS = (CITY_ADMIN, COMMITTEE_SECRETARY, AUDITOR)
ORGANISERS = (CITY_ADMIN, COMMITTEE_SECRETARY)
COMMITTEE_FIELDS = ("name", "series", "organised_by", "organising_body", "office_org_id", "valid_until",
                    "member_count", "specialties")
_SEPARATORS = re.compile(r"[\s,,、;;]+")


def split_words(text):
    return [word for word in _SEPARATORS.split(text or "") if word]


def committee_form(form):
    """``(values as typed, the committee as review takes it)``."""
    values = {name: form.get(name, "").strip() for name in COMMITTEE_FIELDS}
    values["levels"] = form.getlist("levels")
    count = values["member_count"]
    data = {"name": values["name"], "series": values["series"], "levels": values["levels"],
            "organised_by": values["organised_by"], "specialties": split_words(values["specialties"]),
            "organising_body": values["organising_body"], "office_org_id": values["office_org_id"] or None,
            "valid_until": values["valid_until"] or None, "member_count": int(count) if count.isdigit() else count}
    # No quorum or pass share here: a meeting applies the year's policy (the notice's settings).
    return values, data


def experts_form(form):
    """The experts to add: ticked known experts plus account ids typed one per line."""
    ids = list(dict.fromkeys(form.getlist("expert_ids") + split_words(form.get("account_ids", ""))))
    title, specialty = form.get("title", "").strip(), form.get("specialty", "").strip()
    return {"experts": [{"expert_id": expert_id, "title": title, "specialty": specialty} for expert_id in ids]}


def exclusions_form(form):
    """The experts left out of the draw, each with its reason (a default when none was typed)."""
    return {"exclusions": [{"expert_id": expert_id,
                            "reason": form.get(f"reason-{expert_id}", "").strip() or "申请回避"}
                           for expert_id in dict.fromkeys(form.getlist("exclude"))]}


def lead_choices(meeting):
    """``{dossier_id: [expert]}``: the drawn experts who may lead on each dossier (not recused from it,
    and not recorded absent), in draw order."""
    choices = {}
    for dossier in meeting["dossiers"]:
        recused = {entry["expert_id"] for entry in dossier["recused"]}
        choices[dossier["dossier_id"]] = [
            expert for expert in meeting["experts"] if expert["expert_id"] not in recused
            and (expert["attending"] or not meeting["attendance_recorded"])]
    return choices


class CommitteePages(PageBase):
    # -- committees ---------------------------------------------------------------------------

    @page("GET", "/committees")
    def committees_page(self, request, session):
        return self.committees_view(session)

    def committees_view(self, session, status=200, **extra):
        actor = session.principal().actor(*READERS)
        committees = self.review.list_committees(actor.to_dict())
        offices = self.identity.list_orgs({"kind": "committee"}) if actor.role == CITY_ADMIN else []
        return self.render_page(session, "committees.html", status=status, committees=committees, offices=offices,
                                can_manage=actor.role == CITY_ADMIN, ORGANISED_BY=ORGANISED_BY,
                                unconfirmed=UNCONFIRMED_MINIMUMS, values=extra.pop("values", {}),
                                errors=extra.pop("errors", {}), **extra)

    @page("POST", "/committees")
    def create_committee_page(self, request, session):
        actor = session.principal().actor(CITY_ADMIN)
        values, data = committee_form(request.form)
        try:
            committee = self.review.create_committee(actor.to_dict(), data)
        except PlatformError as error:
            message, errors = refusal(error)
            return self.committees_view(session, status=error.http_status, message=message, values=values,
                                        errors=errors)
        return redirect(f"/committees/{committee['id']}", msg="committee_created")

    @page("GET", "/committees/<committee_id>")
    def committee_page(self, request, session, committee_id):
        return self.committee_view(session, committee_id)

    def committee_view(self, session, committee_id, status=200, **extra):
        actor = session.principal().actor(*READERS).to_dict()
        meetings = self.review.list_meetings.call_async(actor, {"committee_id": committee_id})
        committee = self.review.get_committee(actor, committee_id)
        known, units = {}, []
        if actor["role"] == CITY_ADMIN:
            units = self.identity.list_orgs({"kind": "unit"})
            for other in self.review.list_committees(actor):
                if other["id"] != committee_id:
                    for expert in self.review.get_committee(actor, other["id"])["experts"]:
                        known.setdefault(expert["expert_id"], expert)
            for expert in committee["experts"]:
                known.pop(expert["expert_id"], None)
        return self.render_page(session, "committee.html", status=status, committee=committee,
                                meetings=meetings.result(), known_experts=list(known.values()), role=actor["role"],
                                units=units, unit_values=extra.pop("unit_values", {}),
                                BAND_LABELS=BAND_LABELS, problems=error_lines(extra.get("errors")),
                                errors=extra.pop("errors", {}), **extra)

    @page("POST", "/committees/<committee_id>/experts")
    def add_experts_page(self, request, session, committee_id):
        actor = session.principal().actor(CITY_ADMIN)
        try:
            self.review.add_experts(actor.to_dict(), committee_id, experts_form(request.form))
        except PlatformError as error:
            message, errors = refusal(error)
            return self.committee_view(session, committee_id, status=error.http_status, message=message,
                                       errors=errors, form="experts")
        return redirect(f"/committees/{committee_id}", msg="experts_added", anchor="#pool")

    @page("POST", "/committees/<committee_id>/experts/<expert_id>/unit")
    def change_expert_unit_page(self, request, session, committee_id, expert_id):
        """The recorded, reasoned change of the unit an expert recuses by (their membership otherwise)."""
        actor = session.principal().actor(CITY_ADMIN)
        values = {"unit_id": request.form.get("unit_id", "").strip(), "reason": request.form.get("reason", "").strip()}
        try:
            self.review.change_expert_unit(actor.to_dict(), committee_id, expert_id, values)
        except PlatformError as error:
            message, errors = refusal(error)
            return self.committee_view(session, committee_id, status=error.http_status, message=message,
                                       errors=errors, form=f"unit-{expert_id}", unit_values=values)
        return redirect(f"/committees/{committee_id}", msg="expert_unit_changed", anchor="#unit-changes")

    @page("POST", "/committees/<committee_id>/experts/<expert_id>/remove")
    def remove_expert_page(self, request, session, committee_id, expert_id):
        actor = session.principal().actor(CITY_ADMIN)
        try:
            self.review.remove_expert(actor.to_dict(), committee_id, expert_id)
        except PlatformError as error:
            return self.committee_view(session, committee_id, status=error.http_status, message=error.message)
        return redirect(f"/committees/{committee_id}", msg="expert_removed", anchor="#pool")

    # -- meetings -----------------------------------------------------------------------------

    @page("GET", "/meetings")
    def meetings_page(self, request, session):
        actor = session.principal().actor(*READERS).to_dict()
        meetings = self.review.list_meetings.call_async(actor, {})
        committees = {c["id"]: c for c in self.review.list_committees(actor)}
        return self.render_page(session, "meetings.html", meetings=meetings.result(), committees=committees)

    @page("POST", "/meetings")
    def create_meeting_page(self, request, session):
        actor = session.principal().actor(*ORGANISERS)
        form = request.form
        count = form.get("expert_count", "").strip()
        data = {"committee_id": form.get("committee_id", ""), "title": form.get("title", "").strip(),
                "meeting_date": form.get("meeting_date", "").strip() or None,
                "expert_count": int(count) if count.isdigit() else count}
        try:
            meeting = self.review.create_meeting(actor.to_dict(), data)
        except PlatformError as error:
            message, errors = refusal(error)
            return self.committee_view(session, data["committee_id"], status=error.http_status, message=message,
                                       errors=errors, form="meeting", meeting_values=data)
        return redirect(f"/meetings/{meeting['id']}", msg="meeting_created")

    @page("GET", "/meetings/<meeting_id>")
    def meeting_page(self, request, session, meeting_id):
        return self.meeting_view(session, meeting_id, replay=bool(query_args(request).get("replay")))

    def meeting_view(self, session, meeting_id, status=200, replay=False, **extra):
        actor = session.principal().actor(*READERS).to_dict()
        meeting = self.review.get_meeting(actor, meeting_id)
        committee = self.review.get_committee.call_async(actor, meeting["committee_id"])
        candidates = []
        if meeting["state"] in (REVIEW.MEETING_PLANNED, REVIEW.MEETING_DRAWN) and actor["role"] in ORGANISERS:
            queue = self.review.queue(actor, {"status": [st.FEE_PAID], "per_page": 200})
            assigned = {d["dossier_id"] for d in meeting["dossiers"]}
            candidates = [row for row in queue["items"] if row["dossier_id"] not in assigned]
        committee = committee.result()
        checked = self.review.replay_draw(actor, meeting_id) if replay and meeting["draw"] else None
        # The tally is checked here from the published ciphertexts, as any outsider would check it.
        tally_check = (checked_ballot_record(self.review, meeting_id)[1]
                       if meeting["state"] == REVIEW.MEETING_CLOSED else None)
        names = {expert["expert_id"]: expert for expert in committee["experts"]}
        candidates = [row for row in candidates if row["series"] == committee["series"]
                      and row["level"] in committee["levels"]]
        # A refused step's results name each dossier by its applicant, never by its id.
        known = {row["dossier_id"]: row for row in [*candidates, *meeting["dossiers"]]}
        return self.render_page(session, "meeting.html", status=status, meeting=meeting, committee=committee,
                                candidates=candidates, known_dossiers=known, lead_choices=lead_choices(meeting),
                                names=names, replayed=checked, tally_check=tally_check,
                                can_run=actor["role"] in ORGANISERS,
                                **self.meeting_room_views(actor, meeting_id), **extra)

    def meeting_step(self, session, meeting_id, call, msg, **form):
        """Run one organiser step on the meeting; a refusal is shown on the meeting page (*form*: which
        form it came from and what was typed, shown again beside the refusal)."""
        try:
            answer = call(session.principal().actor(*ORGANISERS).to_dict())
        except PlatformError as error:
            message, errors = refusal(error)
            return self.meeting_view(session, meeting_id, status=error.http_status, message=message,
                                     errors=errors, **form)
        if isinstance(answer, dict) and answer.get("results") and not all(r["ok"] for r in answer["results"]):
            return self.meeting_view(session, meeting_id, status=409, results=answer["results"])
        return redirect(f"/meetings/{meeting_id}", msg=msg)

    @page("POST", "/meetings/<meeting_id>/draw")
    def draw_page(self, request, session, meeting_id):
        body = exclusions_form(request.form)
        return self.meeting_step(session, meeting_id, lambda a: self.review.draw_experts(a, meeting_id, body),
                                 "experts_drawn")

    @page("POST", "/meetings/<meeting_id>/dossiers")
    def assign_page(self, request, session, meeting_id):
        body = {"dossier_ids": list(dict.fromkeys(request.form.getlist("dossier_ids")))}
        return self.meeting_step(session, meeting_id, lambda a: self.review.assign_dossiers(a, meeting_id, body),
                                 "dossiers_assigned")

    @page("POST", "/meetings/<meeting_id>/dossier-changes")
    def change_dossiers_page(self, request, session, meeting_id):
        form = request.form
        body = {"add": list(dict.fromkeys(form.getlist("add"))), "remove": list(dict.fromkeys(form.getlist("remove"))),
                "reason": form.get("reason", "").strip()}
        return self.meeting_step(session, meeting_id, lambda a: self.review.change_dossiers(a, meeting_id, body),
                                 "dossiers_changed", form="changes", change_values=body)

    @page("POST", "/meetings/<meeting_id>/leads")
    def name_leads_page(self, request, session, meeting_id):
        dossier_id = request.form.get("dossier_id", "")
        body = {"dossier_id": dossier_id, "expert_ids": list(dict.fromkeys(request.form.getlist("expert_ids")))}
        return self.meeting_step(session, meeting_id, lambda a: self.review.name_leads(a, meeting_id, body),
                                 "leads_named", form=f"leads-{dossier_id}")

    @page("POST", "/meetings/<meeting_id>/attendance")
    def attendance_page(self, request, session, meeting_id):
        body = {"expert_ids": list(dict.fromkeys(request.form.getlist("expert_ids")))}
        return self.meeting_step(session, meeting_id, lambda a: self.review.record_attendance(a, meeting_id, body),
                                 "attendance_recorded")

    @page("POST", "/meetings/<meeting_id>/open")
    def open_meeting_page(self, request, session, meeting_id):
        return self.meeting_step(session, meeting_id, lambda a: self.review.open_meeting(a, meeting_id),
                                 "meeting_opened")

    @page("POST", "/meetings/<meeting_id>/close")
    def close_meeting_page(self, request, session, meeting_id):
        if not confirmed(request):
            return self.confirm_close(request, session, meeting_id)
        return self.meeting_step(session, meeting_id, lambda a: self.review.close_meeting(a, meeting_id),
                                 "meeting_closed")

    def confirm_close(self, request, session, meeting_id):
        """结束表决并计票 is final: the page first says so, with each dossier's votes cast so far."""
        actor = session.principal().actor(*ORGANISERS).to_dict()
        meeting = self.review.get_meeting(actor, meeting_id)
        dossiers = meeting.get("dossiers") or []
        short = [d for d in dossiers if d.get("voters") and (d.get("ballots_cast") or 0) < d["voters"]]
        facts = [("评审会议", meeting.get("title", "")), ("评委会", meeting.get("committee_name", "")),
                 ("会议日期", meeting.get("meeting_date", "")), ("申报材料", f"{len(dossiers)} 件")]
        facts += [(d.get("applicant_name", ""), f"已投 {d.get('ballots_cast', 0)} / {d.get('voters', 0)}")
                  for d in dossiers]
        lines = ["结束后不再接受投票,各申报材料按计票结果记为评审通过或未通过,不能撤销。"]
        if short:
            lines.append(f"尚有 {len(short)} 件申报材料未收齐全部专家的表决;未投票的专家不计入同意票。")
        return ask_to_confirm(self, session, request, title="确认结束表决并计票", button="确认结束表决并计票",
                              back=f"/meetings/{meeting_id}", danger=True, facts=facts, lines=lines)

    # -- the expert ----------------------------------------------------------------------------

    @page("GET", "/expert")
    def expert_home(self, request, session):
        actor = session.principal().actor(EXPERT)
        return self.render_page(session, "expert_meetings.html", meetings=self.review.expert_meetings(actor.to_dict()))

    @page("GET", "/expert/meetings/<meeting_id>")
    def expert_meeting_page(self, request, session, meeting_id):
        return self.expert_meeting_view(session, meeting_id)

    def expert_meeting_view(self, session, meeting_id, status=200, **extra):
        actor = session.principal().actor(EXPERT)
        mine = self.review.expert_meetings(actor.to_dict())
        meeting = next((m for m in mine if m["meeting_id"] == meeting_id), None)
        if meeting is None:
            raise NotFound("评审会议不存在,或您未被抽取参加该会议")
        return self.render_page(session, "expert_vote.html", status=status, meeting=meeting, choices=CHOICES,
                                **extra)

    @page("POST", "/expert/meetings/<meeting_id>/ballots")
    def cast_ballot_page(self, request, session, meeting_id):
        actor = session.principal().actor(EXPERT)
        dossier_id = request.form.get("dossier_id", "")
        ballot = {"dossier_id": dossier_id, "choice": request.form.get("choice", "")}
        try:
            cast_sealed_ballot(self.review, actor.to_dict(), meeting_id, ballot)
        except PlatformError as error:
            return self.expert_meeting_view(session, meeting_id, status=error.http_status, message=error.message,
                                            failed=dossier_id, errors=flatten_errors(error.fields))
        return redirect(f"/expert/meetings/{meeting_id}", msg="ballot_recorded", anchor=f"#dossier-{dossier_id}")

    @page("POST", "/expert/meetings/<meeting_id>/lead-opinions")
    def lead_opinion_page(self, request, session, meeting_id):
        actor = session.principal().actor(EXPERT)
        body = {"dossier_id": request.form.get("dossier_id", ""), "opinion": request.form.get("opinion", "")}
        try:
            self.review.write_lead_opinion(actor.to_dict(), meeting_id, body)
        except PlatformError as error:
            problems = [line for lines in flatten_errors(error.fields).values() for line in lines]
            return self.expert_meeting_view(session, meeting_id, status=error.http_status, message=error.message,
                                            lead_failed=body["dossier_id"], lead_errors=problems or [error.message],
                                            opinion_typed=body["opinion"])
        return redirect(f"/expert/meetings/{meeting_id}", msg="lead_opinion_saved",
                        anchor=f"#dossier-{body['dossier_id']}")

    @page("POST", "/expert/meetings/<meeting_id>/conflicts")
    def declare_conflict_page(self, request, session, meeting_id):
        actor = session.principal().actor(EXPERT)
        body = {"dossier_id": request.form.get("dossier_id") or None, "reason": request.form.get("reason", "").strip()}
        try:
            self.review.declare_conflict(actor.to_dict(), meeting_id, body)
        except PlatformError as error:
            return self.expert_meeting_view(session, meeting_id, status=error.http_status, message=error.message,
                                            failed=body["dossier_id"], errors=flatten_errors(error.fields))
        return redirect(f"/expert/meetings/{meeting_id}", msg="conflict_declared")
