"""Committees, their expert pools and review meetings over JSON: the city admin manages committees,
the city admin or the committee office runs meetings (draw, dossiers, attendance, open, close), and
each expert casts their own ballots. No answer ever pairs an expert with a choice."""
from shared.roles import AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY, EXPERT

from ..compose.ballots import cast_sealed_ballot
from ..compose.downloads import file_download
from ..compose.records import verify_record
from ..web import client_address, created, json_body, ok, query_args
from .base import ApiBase
from .http import http

CITY = (CITY_ADMIN,)
READERS = (CITY_ADMIN, COMMITTEE_SECRETARY, AUDITOR)
ORGANISERS = (CITY_ADMIN, COMMITTEE_SECRETARY)


def meeting_body(body):
    """A new meeting's body; ``date`` (the field's name in docs/gateway.md) is accepted for ``meeting_date``."""
    body = dict(body)
    if "date" in body and "meeting_date" not in body:
        body["meeting_date"] = body.pop("date")
    return body


class CommitteeRoutes(ApiBase):
    # -- committees and the expert pool -------------------------------------------------------

    @http("GET", "/api/v1/committees")
    def list_committees(self, request):
        """Committees (the committee office sees its own)."""
        return ok({"items": self.review.list_committees(self.acting(request, READERS))})

    @http("POST", "/api/v1/committees")
    def create_committee(self, request):
        """A committee: series, adjacent levels, by series or specialty, validity and member count per the year's policy."""
        return created(self.review.create_committee(self.acting(request, CITY), json_body(request)))

    @http("GET", "/api/v1/committees/<committee_id>")
    def get_committee(self, request, committee_id):
        return ok(self.review.get_committee(self.acting(request, READERS), committee_id))

    @http("PATCH", "/api/v1/committees/<committee_id>")
    def update_committee(self, request, committee_id):
        return ok(self.review.update_committee(self.acting(request, CITY), committee_id, json_body(request)))

    @http("DELETE", "/api/v1/committees/<committee_id>")
    def delete_committee(self, request, committee_id):
        """Only a committee that never held a meeting."""
        return ok(self.review.delete_committee(self.acting(request, CITY), committee_id))

    @http("POST", "/api/v1/committees/<committee_id>/experts")
    def add_experts(self, request, committee_id):
        """``{experts: [{expert_id, title, specialty}]}``: identity confirms each is an expert and names their unit."""
        return ok(self.review.add_experts(self.acting(request, CITY), committee_id, json_body(request)))

    @http("POST", "/api/v1/committees/<committee_id>/experts/<expert_id>/unit")
    def change_expert_unit(self, request, committee_id, expert_id):
        """``{unit_id, reason}``: the recorded change of the unit an expert recuses by (their membership otherwise)."""
        return ok(self.review.change_expert_unit(self.acting(request, CITY), committee_id, expert_id, json_body(request)))

    @http("DELETE", "/api/v1/committees/<committee_id>/experts/<expert_id>")
    def remove_expert(self, request, committee_id, expert_id):
        return ok(self.review.remove_expert(self.acting(request, CITY), committee_id, expert_id))

    # -- review meetings ----------------------------------------------------------------------

    @http("GET", "/api/v1/meetings")
    def list_meetings(self, request):
        args = query_args(request)
        query = {k: args[k] for k in ("committee_id", "state") if k in args}
        return ok({"items": self.review.list_meetings(self.acting(request, READERS), query)})

    @http("POST", "/api/v1/meetings")
    def create_meeting(self, request):
        """``{committee_id, date, expert_count, title?}``: the committee must be valid that day with a full pool."""
        return created(self.review.create_meeting(self.acting(request, ORGANISERS), meeting_body(json_body(request))))

    @http("GET", "/api/v1/meetings/<meeting_id>")
    def get_meeting(self, request, meeting_id):
        """The meeting: draw, attendance, quorum, dossiers, who has voted (never how) and, once closed, tallies."""
        return ok(self.review.get_meeting(self.acting(request, READERS), meeting_id))

    @http("POST", "/api/v1/meetings/<meeting_id>/draw")
    def draw_experts(self, request, meeting_id):
        """The random draw ``{exclusions: [{expert_id, reason}]}``, recorded with its seed."""
        return ok(self.review.draw_experts(self.acting(request, ORGANISERS), meeting_id, json_body(request)))

    @http("GET", "/api/v1/meetings/<meeting_id>/draw")
    def replay_draw(self, request, meeting_id):
        """The recorded draw recomputed from its seed: ``matches`` proves it was not altered."""
        return ok(self.review.replay_draw(self.acting(request, READERS), meeting_id))

    @http("POST", "/api/v1/meetings/<meeting_id>/dossiers")
    def assign_dossiers(self, request, meeting_id):
        """``{dossier_ids}`` of fee-paid dossiers → ``sent_to_committee``, a result per dossier."""
        return ok(self.review.assign_dossiers(self.acting(request, ORGANISERS), meeting_id, json_body(request)))

    @http("POST", "/api/v1/meetings/<meeting_id>/dossier-changes")
    def change_dossiers(self, request, meeting_id):
        """``{add, remove, reason}``: after the draw, the office's recorded decision on the meeting's dossiers."""
        return ok(self.review.change_dossiers(self.acting(request, ORGANISERS), meeting_id, json_body(request)))

    @http("POST", "/api/v1/meetings/<meeting_id>/leads")
    def name_leads(self, request, meeting_id):
        """``{dossier_id, expert_ids}``: one or two lead reviewers (主审) among the drawn experts."""
        return ok(self.review.name_leads(self.acting(request, ORGANISERS), meeting_id, json_body(request)))

    @http("POST", "/api/v1/meetings/<meeting_id>/lead-opinions")
    def write_lead_opinion(self, request, meeting_id):
        """``{dossier_id, opinion}``: the lead's own 主审意见, editable until they vote on the dossier."""
        return ok(self.review.write_lead_opinion(self.acting(request, (EXPERT,)), meeting_id, json_body(request)))

    @http("POST", "/api/v1/meetings/<meeting_id>/attendance")
    def record_attendance(self, request, meeting_id):
        """``{expert_ids}`` of the drawn experts present → the quorum."""
        return ok(self.review.record_attendance(self.acting(request, ORGANISERS), meeting_id, json_body(request)))

    @http("POST", "/api/v1/meetings/<meeting_id>/conflicts")
    def declare_conflict(self, request, meeting_id):
        """回避: an expert for themselves ``{dossier_id?, reason}``, or the office for ``expert_id``."""
        actor = self.acting(request, (EXPERT,) + ORGANISERS)
        return created(self.review.declare_conflict(actor, meeting_id, json_body(request)))

    @http("POST", "/api/v1/meetings/<meeting_id>/open")
    def open_meeting(self, request, meeting_id):
        """Open the vote: quorum present; each dossier gets ``review_started``."""
        return ok(self.review.open_meeting(self.acting(request, ORGANISERS), meeting_id))

    @http("POST", "/api/v1/meetings/<meeting_id>/ballots")
    def cast_ballot(self, request, meeting_id):
        """The expert's own secret ballot ``{dossier_id, choice: agree|disagree|abstain}``; once, while open.
        The gateway encrypts the choice under the meeting's key before it goes any further."""
        return created(cast_sealed_ballot(self.review, self.acting(request, (EXPERT,)), meeting_id, json_body(request)))

    @http("GET", "/api/v1/meetings/<meeting_id>/ballot-record")
    def ballot_record(self, request, meeting_id):
        """Public once the vote is closed: every encrypted ballot, receipts counts, each tally with its
        proofs — checkable offline with ``python -m shared.tally_check`` and no secret."""
        return ok(self.review.ballot_record(meeting_id))

    @http("POST", "/api/v1/meetings/<meeting_id>/close")
    def close_meeting(self, request, meeting_id):
        """End the vote and tally: 同意 ≥ 2/3 of attending non-recused experts passes."""
        return ok(self.review.close_meeting(self.acting(request, ORGANISERS), meeting_id))

    @http("GET", "/api/v1/expert/meetings")
    def my_meetings(self, request):
        """The expert's own meetings: each dossier with whether they must recuse and whether they voted."""
        return ok({"items": self.review.expert_meetings(self.acting(request, (EXPERT,)))})

    # -- the meeting record (评审会议纪要) ------------------------------------------------------

    @http("GET", "/api/v1/meetings/<meeting_id>/record")
    def meeting_record(self, request, meeting_id):
        """The signed meeting record (PDF) of a closed meeting: its office, the city admin, the auditor."""
        return file_download(self.review.meeting_record_pdf(self.acting(request, READERS), meeting_id))

    @http("GET", "/api/v1/meeting-records/<number>/verify")
    def verify_meeting_record(self, request, number):
        """Public: ``?sha256=`` of a PDF → ``{found, valid, file_matches, signature_valid, message, …}``;
        the signed content only when the file is the record. Limited per caller with certificate checks."""
        return ok(verify_record(self.verify_limit, self.review, client_address(request), number,
                                query_args(request).get("sha256", "")))

    @http("GET", "/api/v1/meeting-records/public-keys")
    def meeting_record_public_keys(self, request):
        """Public: the review service's Ed25519 public keys (PEM) by key id, to check records independently."""
        return ok(self.review.meeting_record_public_keys())
