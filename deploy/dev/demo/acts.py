"""What the people of the demo do, each through the service that owns the step (RPC, with the actor
the gateway would pass for them): applicants apply and pay, reviewers decide, the unit publicises and
sends its batch, the city forms the committee and publishes, the committee office runs meetings and
the experts vote. Nothing is written around the services, so every history is a real one."""
from datetime import timedelta

from services.identity.seed import ENGINEERING_COMMITTEE
from shared import ballot_crypto
from shared.clock import beijing_date

from . import paperwork
from .cast import CITY, COMMITTEE_OFFICE, EXPERTS, LEVEL, REVIEW_YEAR, SECRETARY, SERIES, SYSTEM_ACTOR, UNIT_ADMINS

DRAWN_EXPERTS = 9
ACCEPTANCE = "材料齐全,符合申报条件,予以受理。"
RECOMMENDATION = "经审核,同意推荐。"
EXPERT_SPECIALTIES = ["土木工程", "给排水工程", "电气工程", "机械工程", "计算机应用技术"]


class Acts:
    def __init__(self, rpc, clock, evidence):
        self.rpc, self.clock, self.evidence = rpc, clock, evidence
        self.dossier_ids, self.meetings = {}, {}
        committees = rpc.review.list_committees(CITY)
        self.committee_id = next((c["id"] for c in committees if c["name"] == ENGINEERING_COMMITTEE), None)

    def ids(self, applicants):
        return [self.dossier_ids[applicant.phone] for applicant in applicants]

    def later(self, **delta):
        """A person takes a while between two steps of one sitting (nothing in between needs settling)."""
        self.clock.travel(**delta)

    # -- the applicant ------------------------------------------------------------------------

    def apply(self, applicant, submit=True, sections=None):
        """Open the dossier (identity says for which unit, as the gateway asks it), fill it in, upload
        the evidence and submit; *sections* limits what a draft has so far."""
        identity, dossier = self.rpc.identity, self.rpc.dossier
        unit = identity.get_org(identity.can_apply(applicant.account_id, REVIEW_YEAR)["unit_id"])
        district = identity.get_org(unit["parent_id"])
        account = identity.get_account(applicant.account_id)  # gender and birth date from the ID number
        created = dossier.create(applicant.actor, {
            "review_year": REVIEW_YEAR, "series": SERIES, "specialty": applicant.specialty, "level": LEVEL,
            "applicant_name": applicant.name, "unit_id": unit["id"], "unit_name": unit["name"],
            "district_id": district["id"], "district_name": district["name"],
            "applicant_gender": account["gender"], "applicant_birth_date": account["birth_date"]})
        dossier_id = self.dossier_ids[applicant.phone] = created["id"]
        for section, data in paperwork.sections(applicant).items():
            if sections is None or section in sections:
                self.later(minutes=2)
                dossier.update_section(applicant.actor, dossier_id, section, data)
        if sections is None:
            self.later(minutes=2)
            dossier.add_achievement(applicant.actor, dossier_id, paperwork.achievement(applicant))
            for category, filename, title in paperwork.EVIDENCE:
                self.later(minutes=1)
                material = self.evidence.upload(dossier_id, paperwork.evidence_pdf(applicant, title), category, filename)
                dossier.attach_material(applicant.actor, dossier_id, material)
            self.complete_checklist(applicant, dossier_id)
        if submit:
            self.later(minutes=2)
            self.submit(applicant)

    def complete_checklist(self, applicant, dossier_id):
        """The files the year's 必备材料清单 still asks for (a 年度考核登记表 per counted year, a 继续教育证明 per
        counted year, a proof per achievement, the current title certificate), each a titled demo scan."""
        dossier = self.rpc.dossier
        for item in dossier.required_materials(applicant.actor, dossier_id)["items"]:
            for slot in item["slots"]:
                for _ in range(slot["missing"]):
                    title = paperwork.checklist_title(item, slot)
                    material = self.evidence.upload(dossier_id, paperwork.evidence_pdf(applicant, title),
                                                    item["categories"][0], f"{title}.pdf")
                    material.update(year=slot["year"], achievement_id=slot["achievement_id"])
                    dossier.attach_material(applicant.actor, dossier_id, material)

    def submit(self, applicant):
        sanctions = [{"kind": s["kind"], "sanctioned_on": s["sanctioned_on"]}
                     for s in self.rpc.identity.sanctions_of(applicant.account_id)]
        self.rpc.dossier.submit(applicant.actor, self.dossier_ids[applicant.phone], sanctions)

    def pay(self, applicant):
        """At the simulator's cashier; its signed notification reaches payment as the gateway's notify
        route passes it on, and payment records the fee on the dossier."""
        payment = self.rpc.payment
        (order,) = [o for o in payment.orders_of_dossier(self.dossier_ids[applicant.phone]) if o["status"] == "pending"]
        started = payment.start_payment(applicant.actor, order["order_id"])
        signed = payment.cashier_confirm(started["payment"]["payment_id"])
        payment.handle_notification("simulator", signed["headers"], signed["body"])

    # -- reviewers ----------------------------------------------------------------------------

    def seen_version(self, dossier_id):
        """The version a reviewer has in front of them: decisions name it (a moved dossier is refused)."""
        return self.rpc.dossier.get(dossier_id)["version"]

    def approve(self, reviewer, applicants, opinion=RECOMMENDATION):
        for dossier_id in self.ids(applicants):
            self.rpc.review.decide(reviewer, dossier_id, {"action": "approve", "opinion": opinion,
                                                          "expected_version": self.seen_version(dossier_id)})

    def unit_approves(self, unit, applicants):
        """The unit's recommendation, then its internal publicity from today (five working days)."""
        self.approve(UNIT_ADMINS[unit], applicants, "该同志业务能力强,工作业绩突出,同意推荐。")
        self.rpc.review.record_unit_publicity(UNIT_ADMINS[unit], {
            "dossier_ids": self.ids(applicants), "start": beijing_date(self.clock()).isoformat()})

    def send_batch(self, unit, applicants):
        answer = self.rpc.review.submit_batch(UNIT_ADMINS[unit], {"dossier_ids": self.ids(applicants)})
        if not answer["saved"]:
            raise RuntimeError(f"演示数据:报送未成功 {answer['results']}")

    def return_for_changes(self, unit, applicant):
        dossier_id = self.dossier_ids[applicant.phone]
        self.rpc.review.decide(UNIT_ADMINS[unit], dossier_id, {
            "expected_version": self.seen_version(dossier_id), "action": "return", "reason": "继续教育证明与年度考核表不全,请补充后重新提交。",
            "sections": ["continuing_education", "materials"],
            "problems": [{"section": "continuing_education", "issue": "缺少2025年度公需科目学时证明"},
                         {"section": "materials", "issue": "年度考核登记表须加盖单位公章"}]})

    # -- the city -----------------------------------------------------------------------------

    def form_committee(self):
        """The engineering 中级 committee (by series, fifteen members), its office the secretary's."""
        valid_from = beijing_date(self.clock())
        committee = self.rpc.review.create_committee(CITY, {
            "name": ENGINEERING_COMMITTEE, "series": SERIES, "levels": [LEVEL], "organised_by": "series",
            "organising_body": "昆明市人力资源和社会保障局", "office_org_id": COMMITTEE_OFFICE,
            "valid_from": valid_from.isoformat(),
            "valid_until": (valid_from.replace(year=valid_from.year + 3) - timedelta(days=1)).isoformat(),
            "member_count": len(EXPERTS)})
        self.rpc.review.add_experts(CITY, committee["id"], {"experts": [
            {"expert_id": expert["account_id"], "title": "正高级工程师" if number % 5 == 0 else "高级工程师",
             "specialty": EXPERT_SPECIALTIES[number % len(EXPERT_SPECIALTIES)]}
            for number, expert in enumerate(EXPERTS)]})
        self.committee_id = committee["id"]

    def publish(self, applicants):
        self.rpc.review.publish(CITY, {"dossier_ids": self.ids(applicants)})

    def run_timers(self):
        self.rpc.review.run_timers(SYSTEM_ACTOR)

    # -- the committee office and the experts -------------------------------------------------

    def prepare_meeting(self, key, applicants, meeting_date, draw=True):
        """A meeting planned for *meeting_date*, its dossiers assigned, and (unless told otherwise) its
        experts drawn at random."""
        review = self.rpc.review
        meeting = review.create_meeting(SECRETARY, {"committee_id": self.committee_id, "expert_count": DRAWN_EXPERTS,
                                                    "meeting_date": meeting_date.isoformat()})
        self.meetings[key] = meeting["id"]
        review.assign_dossiers(SECRETARY, meeting["id"], {"dossier_ids": self.ids(applicants)})
        if draw:
            review.draw_experts(SECRETARY, meeting["id"], {"exclusions": []})

    def open_meeting(self, key):
        """Every drawn expert attends; the vote opens."""
        review, meeting_id = self.rpc.review, self.meetings[key]
        drawn = [expert["expert_id"] for expert in review.get_meeting(SECRETARY, meeting_id)["experts"]]
        review.record_attendance(SECRETARY, meeting_id, {"expert_ids": drawn})
        review.open_meeting(SECRETARY, meeting_id)

    def vote(self, key):
        """Each attending expert who need not recuse casts a secret ballot: one abstains, the rest agree."""
        review, meeting_id = self.rpc.review, self.meetings[key]
        meeting = review.get_meeting(SECRETARY, meeting_id)
        actors = {expert["account_id"]: expert for expert in EXPERTS}
        for dossier in meeting["dossiers"]:
            recused = {entry["expert_id"] for entry in dossier["recused"]}
            voters = [e["expert_id"] for e in meeting["experts"] if e["attending"] and e["expert_id"] not in recused]
            for number, expert_id in enumerate(voters):
                choice = "abstain" if number == len(voters) - 1 else "agree"
                # Sealed as the gateway seals it: review accepts only an encrypted ballot.
                key = review.ballot_key(actors[expert_id], meeting_id)
                sealed = ballot_crypto.encrypt_choice(key["public_key"], meeting_id, dossier["dossier_id"],
                                                      key["choices"], choice)
                review.cast_ballot(actors[expert_id], meeting_id, {"dossier_id": dossier["dossier_id"], "ballot": sealed})

    def close_meeting(self, key):
        self.rpc.review.close_meeting(SECRETARY, self.meetings[key])
