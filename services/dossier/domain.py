"""The dossier aggregate: an application for a professional title, whose status is the fold of its events.

Commands are verbs on ``Dossier``; each checks the status (``st.LEGAL_IN``, from the contract's
transition table ``st.TRANSITIONS``), the actor and its own arguments, then records exactly one
past-tense event, whose resulting status the same table gives. A failed check raises and records nothing.
Everything non-deterministic (ids, clock, hashes) is computed in the command before the event is
recorded, so replaying the events always rebuilds the same dossier.
"""
import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from shared.clock import utc_now
from shared.contracts import dossier as st, dossier_access
from shared.roles import APPLICANT, CITY_ADMIN, COMMITTEE_SECRETARY, SYSTEM, Actor

from .exceptions import (
    ActorNotAllowedError,
    IllegalTransitionError,
    InvalidCommandError,
    RuleViolationError,
    SelfDecisionError,
)
from . import submission_notice
from .hashchain import GENESIS, event_hash


# ---------------------------------------------------------------------------------------------
# Events. Each ``apply`` is the fold step: it is the only place dossier state changes. The status
# comes from the contract's transition table; ``apply_to`` adds the event's own data.
# ---------------------------------------------------------------------------------------------


# The clock that stamps the events a command records: the running application's (``Dossiers.clock``),
# else the real one. A context variable rather than a module global because several applications with
# different clocks may share one process (in-process tests, the demo loader), and each greenthread has
# its own context, so one worker's clock never leaks into another's.
_event_clock = ContextVar("dossier_event_clock", default=utc_now)


@contextmanager
def events_stamped_by(clock):
    """Stamp the events of the commands run inside this block with *clock* (an aware-UTC callable)."""
    token = _event_clock.set(clock)
    try:
        yield
    finally:
        _event_clock.reset(token)


class DossierEvent(Aggregate.Event):
    """Every dossier event names its actor and carries its link in the hash chain."""

    actor: dict
    prev_hash: str
    hash: str

    @staticmethod
    def create_timestamp():
        """When the event happens (the library and ``Dossier`` ask this before hashing the event)."""
        return _event_clock.get()()

    def apply(self, dossier):
        name = event_name(self)
        dossier.head_hash = self.hash
        dossier.updated_at = self.timestamp
        dossier.last_event = name
        # The status an event leaves is the contract's (st.TRANSITIONS), never the event's own choice.
        resulting = st.EVENT_STATUS.get(name)
        if resulting is not None:
            dossier.status = resulting
        self.apply_to(dossier)

    def apply_to(self, dossier):
        """The event's own effect on the dossier besides its status."""


class Created(DossierEvent, Aggregate.Created):
    """Version 2 carries the applicant's gender and birth date as identity derived them from the resident
    ID number (shared/idnumbers.py); version 1 had none (the applicant typed them into basic info)."""

    class_version = 2
    applicant_id: str
    applicant_name: str
    unit_id: str
    unit_name: str
    district_id: str
    district_name: str
    review_year: int
    series: str
    specialty: str
    level: str
    applicant_gender: str | None
    applicant_birth_date: str | None  # ISO date

    @staticmethod
    def upcast_v1_v2(state):
        """A version 1 dossier does not know them from the ID number: None (its stored bytes and hash stay)."""
        state.setdefault("applicant_gender", None)
        state.setdefault("applicant_birth_date", None)

    def apply_to(self, dossier):
        for field in ("applicant_id", "applicant_name", "unit_id", "unit_name", "district_id", "district_name",
                      "applicant_gender", "applicant_birth_date"):
            setattr(dossier, field, getattr(self, field))
        dossier.review_year, dossier.series = self.review_year, self.series
        dossier.specialty, dossier.level = self.specialty, self.level
        dossier.created_at = self.timestamp


class BasicInfoUpdated(DossierEvent):
    data: dict

    def apply_to(self, dossier):
        dossier.sections["basic_info"] = self.data


class EducationRecorded(DossierEvent):
    entries: list

    def apply_to(self, dossier):
        dossier.sections["education"] = self.entries


class WorkExperienceRecorded(DossierEvent):
    entries: list

    def apply_to(self, dossier):
        dossier.sections["work_experience"] = self.entries


class ContinuingEducationRecorded(DossierEvent):
    entries: list

    def apply_to(self, dossier):
        dossier.sections["continuing_education"] = self.entries


class AchievementAdded(DossierEvent):
    achievement_id: str
    data: dict

    def apply_to(self, dossier):
        dossier.achievements[self.achievement_id] = self.data


class AchievementRemoved(DossierEvent):
    achievement_id: str

    def apply_to(self, dossier):
        dossier.achievements.pop(self.achievement_id, None)


class AnnualAssessmentRecorded(DossierEvent):
    entries: list

    def apply_to(self, dossier):
        dossier.sections["annual_assessments"] = self.entries


class MaterialAttached(DossierEvent):
    """Version 2 may say which year the file is for (a 年度考核登记表, a 继续教育证明) and which achievement
    it proves, for the materials checklist (required_materials.py); version 1 said neither."""

    class_version = 2
    material_id: str
    object_key: str
    sha256: str
    size: int
    pages: int
    category: str
    filename: str
    year: int | None
    achievement_id: str | None

    @staticmethod
    def upcast_v1_v2(state):
        """A version 1 file was for no particular year or achievement; its stored bytes stay as written."""
        state.setdefault("year", None)
        state.setdefault("achievement_id", None)

    def apply_to(self, dossier):
        dossier.materials[self.material_id] = {
            "material_id": self.material_id,
            "object_key": self.object_key,
            "sha256": self.sha256,
            "size": self.size,
            "pages": self.pages,
            "category": self.category,
            "filename": self.filename,
            "year": self.year,
            "achievement_id": self.achievement_id,
            "attached_at": self.timestamp.isoformat(),
        }


class MaterialDetached(DossierEvent):
    """Version 2 names the file it takes away (name, category, size, SHA-256), so the history says in
    words what was detached without folding the dossier; version 1 named only the material's id."""

    class_version = 2
    material_id: str
    filename: str | None
    category: str | None
    size: int | None
    sha256: str | None

    @staticmethod
    def upcast_v1_v2(state):
        """A version 1 event did not record the file: None (unknown) here, and readers name it from the
        event that attached it. Its stored bytes and hash stay as written (hashchain.py checks those)."""
        for name in ("filename", "category", "size", "sha256"):
            state.setdefault(name, None)

    def apply_to(self, dossier):
        dossier.materials.pop(self.material_id, None)


class ReviewFormFilled(DossierEvent):
    data: dict

    def apply_to(self, dossier):
        dossier.sections["review_form"] = self.data


class CommitmentSigned(DossierEvent):
    statement_version: str
    signed_name: str

    def apply_to(self, dossier):
        dossier.sections["commitment"] = {
            "statement_version": self.statement_version,
            "signed_name": self.signed_name,
            "signed_at": self.timestamp.isoformat(),
        }


class Submitted(DossierEvent):
    """Version 2 records the version of the year's notice in force when the dossier was judged complete
    and eligible (None: judged without the notice, or by a version 1 writer, which did not record it)."""

    class_version = 2
    resubmission: bool
    notice_version: int | None

    @staticmethod
    def upcast_v1_v2(state):
        state.setdefault("notice_version", None)

    def apply_to(self, dossier):
        dossier.submitted_at = self.timestamp
        dossier.return_notice = None


class SubmissionTakenBack(DossierEvent):
    """The applicant took the submission back before the unit acted (撤回): a draft again, editable, no
    longer submitted; the reason, if the applicant gave one, is kept in the history."""

    reason: str

    def apply_to(self, dossier):
        dossier.submitted_at = None


class Returned(DossierEvent):
    level: str
    reason: str
    sections: list

    def apply_to(self, dossier):
        dossier.was_returned = True
        dossier.unit_publicity = None
        dossier.return_notice = {
            "level": self.level,
            "reason": self.reason,
            "sections": list(self.sections),
            "at": self.timestamp.isoformat(),
        }


class Rejected(DossierEvent):
    level: str
    reason: str

    def apply_to(self, dossier):
        dossier.final_reason = self.reason


class UnitApproved(DossierEvent):
    opinion: str

    def apply_to(self, dossier):
        dossier.opinions.append({"level": st.UNIT, "opinion": self.opinion, "at": self.timestamp.isoformat()})


class UnitPublicityRecorded(DossierEvent):
    start: str
    end: str

    def apply_to(self, dossier):
        dossier.unit_publicity = {"start": self.start, "end": self.end}


class Recommended(DossierEvent):
    batch_id: str

    def apply_to(self, dossier):
        dossier.batch_id = self.batch_id


class DistrictApproved(DossierEvent):
    opinion: str

    def apply_to(self, dossier):
        dossier.opinions.append({"level": st.DISTRICT, "opinion": self.opinion, "at": self.timestamp.isoformat()})


class CityApproved(DossierEvent):
    opinion: str

    def apply_to(self, dossier):
        dossier.opinions.append({"level": st.CITY, "opinion": self.opinion, "at": self.timestamp.isoformat()})


class Withdrawn(DossierEvent):
    reason: str
    refund_due: bool

    def apply_to(self, dossier):
        dossier.refund_due = self.refund_due


class Abandoned(DossierEvent):
    reason: str

    def apply_to(self, dossier):
        dossier.final_reason = self.reason


class FeePaid(DossierEvent):
    order_id: str
    amount_fen: int

    def apply_to(self, dossier):
        dossier.fee = {"order_id": self.order_id, "amount_fen": self.amount_fen}


class SentToCommittee(DossierEvent):
    """Version 2 records the committee's name as review knew it when sending the dossier, so the
    certificate names the committee that actually reviewed it (docs/domain-rules.md R9.6); a
    version 1 event has none ("")."""

    class_version = 2
    committee_id: str
    meeting_id: str
    committee_name: str

    @staticmethod
    def upcast_v1_v2(state):
        state.setdefault("committee_name", "")

    def apply_to(self, dossier):
        dossier.committee = {"committee_id": self.committee_id, "meeting_id": self.meeting_id,
                             "committee_name": self.committee_name}


class RecalledFromCommittee(DossierEvent):
    meeting_id: str
    reason: str

    def apply_to(self, dossier):
        dossier.committee = None


class ReviewStarted(DossierEvent):
    meeting_id: str


class Passed(DossierEvent):
    tally: dict

    def apply_to(self, dossier):
        dossier.tally = self.tally


class Failed(DossierEvent):
    tally: dict

    def apply_to(self, dossier):
        dossier.tally = self.tally


class PublicityStarted(DossierEvent):
    publicity_id: str
    start: str
    end: str

    def apply_to(self, dossier):
        dossier.publicity = {"publicity_id": self.publicity_id, "start": self.start, "end": self.end}


class ObjectionRaised(DossierEvent):
    objection_id: str
    summary: str

    def apply_to(self, dossier):
        dossier.open_objections.append(self.objection_id)


class ObjectionResolved(DossierEvent):
    objection_id: str
    outcome: str
    reason: str
    fraud: bool

    def apply_to(self, dossier):
        dossier.open_objections.remove(self.objection_id)
        if self.outcome == "upheld":
            # An upheld objection cancels the result (docs/domain-rules.md R7.6): the one status an
            # event sets itself, since the transition table cannot know the outcome.
            dossier.status = st.REJECTED
            dossier.final_reason = self.reason


class PublicityEnded(DossierEvent):
    """Only the status changes (to approved)."""


class CertificateIssued(DossierEvent):
    certificate_number: str

    def apply_to(self, dossier):
        dossier.certificate_number = self.certificate_number


class TitleRevoked(DossierEvent):
    reason: str
    fraud: bool

    def apply_to(self, dossier):
        dossier.final_reason = self.reason


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def event_name(event_or_class):
    """The bus name of an event: ``Submitted`` -> ``submitted``, ``CityApproved`` -> ``city_approved``."""
    cls = event_or_class if isinstance(event_or_class, type) else type(event_or_class)
    return _CAMEL.sub("_", cls.__name__).lower()


# ---------------------------------------------------------------------------------------------
# The aggregate.
# ---------------------------------------------------------------------------------------------

# Every event class by its published name (a key of st.EVENTS).
EVENT_CLASSES = {event_name(cls): cls for cls in DossierEvent.__subclasses__() if cls.__module__ == __name__}
# The longest reason an applicant may give for taking a submission back.
TAKE_BACK_REASON_LIMIT = 500
REQUIRED_SECTIONS = ("basic_info", "education", "work_experience", "review_form", "commitment")
OBJECTION_OUTCOMES = ("dismissed", "upheld")


class Dossier(Aggregate):
    """One applicant's application for one title in one review year."""

    def __init__(self):
        self.status = None
        self.head_hash = GENESIS
        self.sections: dict[str, Any] = {}
        self.achievements: dict[str, dict] = {}
        self.materials: dict[str, dict] = {}
        self.opinions: list[dict] = []
        self.open_objections: list[str] = []
        self.return_notice = None
        self.unit_publicity = None
        self.publicity = None
        self.committee = None
        self.fee = None
        self.tally = None
        self.batch_id = None
        self.submitted_at = None
        # Returned at some level once: a resubmission taken back (撤回) is still a resubmission, under
        # the resubmission deadline (policy.Notice.window_for), when it is submitted again.
        self.was_returned = False
        self.final_reason = None
        self.refund_due = False
        self.certificate_number = None

    # -- recording -------------------------------------------------------------------------

    @classmethod
    def create(cls, actor: Actor, *, applicant_name, unit_id, unit_name, district_id, district_name,
               review_year, series, specialty, level, applicant_gender=None, applicant_birth_date=None,
               dossier_id=None):
        """Open a draft dossier; only an applicant opens one, for themselves. *applicant_gender* and
        *applicant_birth_date* are identity's, from the applicant's resident ID number."""
        if actor.role != APPLICANT:
            raise ActorNotAllowedError(f"只有申报人可以创建申报材料(当前角色:{actor.role_label})")
        fields = {
            "applicant_name": applicant_name, "unit_id": unit_id, "unit_name": unit_name,
            "district_id": district_id, "district_name": district_name, "series": series,
            "specialty": specialty, "level": level,
        }
        missing = {name: ["不能为空"] for name, value in fields.items() if not value}
        if missing:
            raise InvalidCommandError("创建申报材料的信息不完整:" + "、".join(missing), fields=missing)
        originator_id = uuid.UUID(str(dossier_id)) if dossier_id else uuid.uuid4()
        birth = applicant_birth_date
        state = dict(fields, applicant_id=actor.account_id, review_year=int(review_year),
                     applicant_gender=applicant_gender or None,
                     applicant_birth_date=birth.isoformat() if hasattr(birth, "isoformat") else birth or None,
                     actor=actor.to_dict(), prev_hash=GENESIS, originator_topic=get_topic(cls),
                     timestamp=Created.create_timestamp())
        state["hash"] = _hash_for(Created, originator_id, 1, state)
        return cls._create(Created, id=originator_id, **state)

    def _record(self, event_class, actor: Actor, **payload):
        state = dict(payload, actor=actor.to_dict(), prev_hash=self.head_hash,
                     timestamp=event_class.create_timestamp())
        state["hash"] = _hash_for(event_class, self.id, self.version + 1, state)
        self.trigger_event(event_class, **state)

    # -- checks ----------------------------------------------------------------------------

    def check_legal(self, command):
        """Raise IllegalTransitionError unless *command* is legal in the current status."""
        if self.status in st.LEGAL_IN[command]:
            return
        allowed = [st.COMMAND_LABELS[name] for name in st.commands_allowed_in(self.status)]
        allowed_text = "、".join(allowed) if allowed else "无(流程已结束)"
        raise IllegalTransitionError(
            f"申报材料当前状态为「{st.STATUS_LABELS[self.status]}」,不能执行「{st.COMMAND_LABELS[command]}」;"
            f"当前允许的操作:{allowed_text}"
        )

    def check_applicant(self, actor: Actor):
        """Only the applicant, acting as applicant, edits, submits or withdraws the dossier."""
        if actor.role != APPLICANT or actor.account_id != self.applicant_id:
            raise ActorNotAllowedError("只有申报人本人可以执行此操作")

    def check_not_own(self, actor: Actor):
        """Nobody reviews, decides or votes on their own dossier (separation of duties)."""
        if actor.account_id == self.applicant_id:
            raise SelfDecisionError("不能对本人的申报材料进行审核或处理")

    def check_reviewer(self, actor: Actor, level):
        """The reviewer whose turn it is: unit admin of the unit, district admin of its district, a city admin."""
        self.check_not_own(actor)
        if dossier_access.may_decide(actor, level, {"unit_id": self.unit_id, "district_id": self.district_id}):
            return
        if level == st.UNIT:
            raise ActorNotAllowedError(f"此步骤只能由申报单位「{self.unit_name}」的单位管理员办理")
        if level == st.DISTRICT:
            raise ActorNotAllowedError(f"此步骤只能由「{self.district_name}」的审核员办理")
        raise ActorNotAllowedError("此步骤只能由市人社局审核员办理")

    def check_role(self, actor: Actor, *roles):
        """Steps of the committee office, publicity and automated processes."""
        self.check_not_own(actor)
        if actor.role not in roles:
            labels = "、".join(Actor(account_id="-", role=role).role_label for role in roles)
            raise ActorNotAllowedError(f"此操作只能由{labels}执行")

    def _edit(self, command, actor):
        self.check_legal(command)
        self.check_applicant(actor)

    # -- applicant: sections ---------------------------------------------------------------

    def update_basic_info(self, actor, data: dict):
        self._edit("update_basic_info", actor)
        self._record(BasicInfoUpdated, actor, data=data)

    def record_education(self, actor, entries: list):
        self._edit("record_education", actor)
        self._record(EducationRecorded, actor, entries=entries)

    def record_work_experience(self, actor, entries: list):
        self._edit("record_work_experience", actor)
        self._record(WorkExperienceRecorded, actor, entries=entries)

    def record_continuing_education(self, actor, entries: list):
        self._edit("record_continuing_education", actor)
        self._record(ContinuingEducationRecorded, actor, entries=entries)

    def add_achievement(self, actor, data: dict, achievement_id=None):
        self._edit("add_achievement", actor)
        achievement_id = achievement_id or uuid.uuid4().hex
        if achievement_id in self.achievements:
            raise InvalidCommandError(f"业绩成果 {achievement_id} 已存在")
        self._record(AchievementAdded, actor, achievement_id=achievement_id, data=data)
        return achievement_id

    def remove_achievement(self, actor, achievement_id):
        self._edit("remove_achievement", actor)
        if achievement_id not in self.achievements:
            raise InvalidCommandError(f"没有编号为 {achievement_id} 的业绩成果")
        self._record(AchievementRemoved, actor, achievement_id=achievement_id)

    def record_annual_assessments(self, actor, entries: list):
        self._edit("record_annual_assessments", actor)
        self._record(AnnualAssessmentRecorded, actor, entries=entries)

    def attach_material(self, actor, *, material_id, object_key, sha256, size, pages, category, filename="",
                        year=None, achievement_id=None):
        """Attach a stored file; *year* (the year it is for) and *achievement_id* (the achievement it
        proves, one of this dossier's) are optional and checked here, against the dossier."""
        self._edit("attach_material", actor)
        if material_id in self.materials:
            raise InvalidCommandError(f"证明材料 {material_id} 已存在")
        problems = {}
        if year is not None and int(year) > int(self.review_year):
            problems["year"] = [f"年度不能晚于评审年度 {self.review_year} 年"]
        if achievement_id and achievement_id not in self.achievements:
            problems["achievement_id"] = ["所选业绩成果不存在,请先添加业绩成果或重新选择"]
        if problems:
            raise InvalidCommandError("证明材料信息有误,请按提示修改", fields=problems)
        self._record(MaterialAttached, actor, material_id=material_id, object_key=object_key, sha256=sha256,
                     size=int(size), pages=int(pages), category=category, filename=filename,
                     year=None if year is None else int(year), achievement_id=achievement_id or None)

    def detach_material(self, actor, material_id):
        self._edit("detach_material", actor)
        if material_id not in self.materials:
            raise InvalidCommandError(f"没有编号为 {material_id} 的证明材料")
        detached = self.materials[material_id]
        self._record(MaterialDetached, actor, material_id=material_id, filename=detached["filename"],
                     category=detached["category"], size=detached["size"], sha256=detached["sha256"])

    def fill_review_form(self, actor, data: dict):
        self._edit("fill_review_form", actor)
        self._record(ReviewFormFilled, actor, data=data)

    def sign_commitment(self, actor, *, statement_version, signed_name):
        self._edit("sign_commitment", actor)
        if signed_name != self.applicant_name:
            raise InvalidCommandError("承诺书签名须与申报人姓名一致", fields={"signed_name": ["签名须与申报人姓名一致"]})
        self._record(CommitmentSigned, actor, statement_version=statement_version, signed_name=signed_name)

    # -- applicant: submit and withdraw ----------------------------------------------------

    def missing_sections(self):
        """Every required part still missing, so one notice lists them all (一次性告知)."""
        missing = {name: ["尚未填写"] for name in REQUIRED_SECTIONS if not self.sections.get(name)}
        if not self.materials:
            missing["materials"] = ["尚未上传证明材料"]
        return missing

    def submit(self, actor, problems=None, notice_version=None):
        """Submit unless something stops it. *problems* is the one-time notice the application built with
        the year's policy (submission_notice.problems: sections, materials, eligibility); without it the
        aggregate judges its own sections only. Any problem refuses with the whole list at once."""
        self._edit("submit", actor)
        if problems is None:
            problems = submission_notice.problems(self.missing_sections())
        if problems:
            raise submission_notice.refusal(problems)
        self._record(Submitted, actor, resubmission=self.resubmitting, notice_version=notice_version)

    @property
    def resubmitting(self):
        """Whether submitting now resubmits a returned dossier (also after taking a resubmission back)."""
        return self.status == st.RETURNED or (self.status == st.DRAFT and self.was_returned)

    def take_back(self, actor, reason=""):
        """The applicant takes the submission back to change it (撤回), only while the unit has not acted:
        once the unit decided, only the unit can send it back (退回修改)."""
        self.check_applicant(actor)
        if self.status != st.SUBMITTED:
            raise IllegalTransitionError(self._not_taken_back_message())
        self.check_legal("take_back")
        reason = (reason or "").strip()
        if len(reason) > TAKE_BACK_REASON_LIMIT:
            raise InvalidCommandError(f"撤回原因不能超过 {TAKE_BACK_REASON_LIMIT} 字",
                                      fields={"reason": [f"不能超过 {TAKE_BACK_REASON_LIMIT} 字"]})
        self._record(SubmissionTakenBack, actor, reason=reason)

    def _not_taken_back_message(self):
        """Why the submission cannot be taken back now, naming the status (and 撤回申报)."""
        status = st.STATUS_LABELS[self.status]
        label = st.COMMAND_LABELS["take_back"]
        if self.status == st.DRAFT:
            return f"申报材料当前状态为「{status}」,尚未提交,无需{label},可直接修改"
        if self.status == st.RETURNED:
            return f"申报材料当前状态为「{status}」,无需{label},可直接修改后重新提交"
        if self.status in (st.WITHDRAWN, st.ABANDONED, st.REJECTED):
            return f"申报材料当前状态为「{status}」,流程已结束,不能{label}"
        if self.status == st.UNIT_APPROVED:
            return f"单位已审核,不能{label}(当前状态:「{status}」);如需修改请联系单位管理员退回"
        return f"单位已审核,不能{label}(当前状态:「{status}」)"

    def withdraw(self, actor, reason=""):
        self.check_legal("withdraw")
        self.check_applicant(actor)
        self._record(Withdrawn, actor, reason=reason or "", refund_due=self.status == st.FEE_PAID)

    # -- reviewers: unit, district, city ---------------------------------------------------

    def approve(self, actor, opinion):
        self.check_legal("approve")
        level = st.DECISION_STATUSES[self.status]
        self.check_reviewer(actor, level)
        if not (opinion or "").strip():
            raise InvalidCommandError("审核通过须填写审核(推荐)意见", fields={"opinion": ["请填写审核意见"]})
        self._record(EVENT_CLASSES[st.recorded_event("approve", self.status)], actor, opinion=opinion.strip())

    def return_for_changes(self, actor, reason, sections):
        self.check_legal("return_for_changes")
        level = st.DECISION_STATUSES[self.status]
        self.check_reviewer(actor, level)
        problems = {}
        if not (reason or "").strip():
            problems["reason"] = ["请填写退回原因"]
        unknown = [name for name in sections or [] if name not in st.SECTIONS]
        if not sections or unknown:
            problems["sections"] = ["请选择需要修改的栏目" if not sections else f"未知栏目:{'、'.join(unknown)}"]
        if problems:
            raise InvalidCommandError("退回修改须写明原因并选择需要修改的栏目", fields=problems)
        self._record(Returned, actor, level=level, reason=reason.strip(), sections=list(dict.fromkeys(sections)))

    def reject(self, actor, reason):
        self.check_legal("reject")
        level = st.DECISION_STATUSES[self.status]
        self.check_reviewer(actor, level)
        if not (reason or "").strip():
            raise InvalidCommandError("不予通过须写明理由", fields={"reason": ["请填写不予通过的理由"]})
        self._record(Rejected, actor, level=level, reason=reason.strip())

    def record_unit_publicity(self, actor, *, start, end):
        self.check_legal("record_unit_publicity")
        self.check_reviewer(actor, st.UNIT)
        if not start or not end or end < start:
            raise InvalidCommandError("公示结束日期不能早于开始日期", fields={"end": ["结束日期不能早于开始日期"]})
        self._record(UnitPublicityRecorded, actor, start=str(start), end=str(end))

    def recommend(self, actor, *, batch_id, today):
        """Send upward in a batch; blocked until the unit publicity period is over (docs/domain-rules.md R5.6, R5.7)."""
        self.check_legal("recommend")
        self.check_reviewer(actor, st.UNIT)
        if not self.unit_publicity:
            raise RuleViolationError("尚未登记单位内部公示,不能报送")
        if str(today) <= self.unit_publicity["end"]:
            raise RuleViolationError(f"单位公示期至 {self.unit_publicity['end']} 结束,公示期满后方可报送")
        self._record(Recommended, actor, batch_id=str(batch_id))

    # -- automated and committee steps -----------------------------------------------------

    def abandon(self, actor, reason):
        self.check_legal("abandon")
        self.check_role(actor, SYSTEM, CITY_ADMIN)
        self._record(Abandoned, actor, reason=reason)

    def record_fee_paid(self, actor, *, order_id, amount_fen):
        self.check_legal("record_fee_paid")
        self.check_role(actor, SYSTEM, CITY_ADMIN)
        self._record(FeePaid, actor, order_id=str(order_id), amount_fen=int(amount_fen))

    def send_to_committee(self, actor, *, committee_id, meeting_id, committee_name=""):
        self.check_legal("send_to_committee")
        self.check_role(actor, CITY_ADMIN, COMMITTEE_SECRETARY)
        self._record(SentToCommittee, actor, committee_id=str(committee_id), meeting_id=str(meeting_id),
                     committee_name=str(committee_name or "").strip())

    def recall_from_committee(self, actor, *, meeting_id, reason):
        """The office takes the dossier back from its meeting before the vote, saying why: fee-paid again."""
        self.check_legal("recall_from_committee")
        self.check_role(actor, CITY_ADMIN, COMMITTEE_SECRETARY)
        if self.committee and self.committee["meeting_id"] != str(meeting_id):
            raise RuleViolationError("该申报材料未分配到此评审会议")
        if not (reason or "").strip():
            raise InvalidCommandError("撤回送评须写明理由", fields={"reason": ["请填写撤回送评的理由"]})
        self._record(RecalledFromCommittee, actor, meeting_id=str(meeting_id), reason=reason.strip())

    def start_review(self, actor, *, meeting_id):
        self.check_legal("start_review")
        self.check_role(actor, CITY_ADMIN, COMMITTEE_SECRETARY)
        if self.committee and self.committee["meeting_id"] != str(meeting_id):
            raise RuleViolationError("该申报材料未分配到此评审会议")
        self._record(ReviewStarted, actor, meeting_id=str(meeting_id))

    def record_vote_result(self, actor, *, agree, disagree, abstain, voters, required):
        """Record the secret-ballot tally; passes when 同意 reaches the required count (docs/domain-rules.md R6.7)."""
        self.check_legal("record_vote_result")
        self.check_role(actor, CITY_ADMIN, COMMITTEE_SECRETARY, SYSTEM)
        counts = {"agree": agree, "disagree": disagree, "abstain": abstain, "voters": voters, "required": required}
        if any(not isinstance(value, int) or value < 0 for value in counts.values()):
            raise InvalidCommandError("表决票数须为非负整数")
        if agree + disagree + abstain > voters or not 0 < required <= voters:
            raise InvalidCommandError("表决票数与参加表决人数不符")
        self._record(Passed if agree >= required else Failed, actor, tally=counts)

    def start_publicity(self, actor, *, publicity_id, start, end):
        self.check_legal("start_publicity")
        self.check_role(actor, CITY_ADMIN)
        if not start or not end or end < start:
            raise InvalidCommandError("公示结束日期不能早于开始日期")
        self._record(PublicityStarted, actor, publicity_id=str(publicity_id), start=str(start), end=str(end))

    def raise_objection(self, actor, *, objection_id, summary):
        self.check_legal("raise_objection")
        self.check_role(actor, SYSTEM, CITY_ADMIN)
        if objection_id in self.open_objections:
            raise InvalidCommandError(f"异议 {objection_id} 已登记")
        self._record(ObjectionRaised, actor, objection_id=str(objection_id), summary=summary)

    def resolve_objection(self, actor, *, objection_id, outcome, reason, fraud=False):
        self.check_legal("resolve_objection")
        self.check_role(actor, CITY_ADMIN)
        if objection_id not in self.open_objections:
            raise InvalidCommandError(f"没有待处理的异议 {objection_id}")
        if outcome not in OBJECTION_OUTCOMES or not (reason or "").strip():
            raise InvalidCommandError("处理异议须选择结论(dismissed/upheld)并写明理由")
        self._record(ObjectionResolved, actor, objection_id=objection_id, outcome=outcome,
                     reason=reason.strip(), fraud=bool(fraud) and outcome == "upheld")

    def end_publicity(self, actor):
        self.check_legal("end_publicity")
        self.check_role(actor, SYSTEM, CITY_ADMIN)
        if self.open_objections:
            raise RuleViolationError(f"尚有 {len(self.open_objections)} 件异议未处理,不能结束公示")
        self._record(PublicityEnded, actor)

    def issue_certificate(self, actor, *, certificate_number):
        self.check_legal("issue_certificate")
        self.check_role(actor, SYSTEM, CITY_ADMIN)
        self._record(CertificateIssued, actor, certificate_number=str(certificate_number))

    def revoke_title(self, actor, *, reason, fraud=False):
        self.check_legal("revoke_title")
        self.check_role(actor, CITY_ADMIN)
        if not (reason or "").strip():
            raise InvalidCommandError("撤销职称须写明理由")
        self._record(TitleRevoked, actor, reason=reason.strip(), fraud=bool(fraud))

    # -- views -----------------------------------------------------------------------------

    def to_dict(self):
        """The whole dossier as plain data (for the service edge and audit state views)."""
        return {
            "id": str(self.id),
            "version": self.version,
            "status": self.status,
            "status_label": st.STATUS_LABELS[self.status],
            "applicant_id": self.applicant_id,
            "applicant_name": self.applicant_name,
            "applicant_gender": self.applicant_gender,
            "applicant_birth_date": self.applicant_birth_date,
            "unit_id": self.unit_id,
            "unit_name": self.unit_name,
            "district_id": self.district_id,
            "district_name": self.district_name,
            "review_year": self.review_year,
            "series": self.series,
            "specialty": self.specialty,
            "level": self.level,
            "sections": self.sections,
            "achievements": [dict(data, achievement_id=key) for key, data in self.achievements.items()],
            "materials": list(self.materials.values()),
            "opinions": self.opinions,
            "return_notice": self.return_notice,
            "unit_publicity": self.unit_publicity,
            "publicity": self.publicity,
            "open_objections": list(self.open_objections),
            "committee": self.committee,
            "fee": self.fee,
            "tally": self.tally,
            "batch_id": self.batch_id,
            "final_reason": self.final_reason,
            "refund_due": self.refund_due,
            "certificate_number": self.certificate_number,
            "created_at": self.created_at.isoformat(),
            "submitted_at": self.submitted_at.isoformat() if self.submitted_at else None,
            "updated_at": self.updated_at.isoformat(),
            "head_hash": self.head_hash,
            "last_event": self.last_event,
            "allowed_commands": st.commands_allowed_in(self.status),
        }


def _hash_for(event_class, originator_id, version, state):
    return event_hash(
        topic=get_topic(event_class),
        originator_id=originator_id,
        version=version,
        class_version=getattr(event_class, "class_version", 1),
        state=state,
    )
