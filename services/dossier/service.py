"""DossierService: the dossier's RPC surface. Each method loads input with a schema, calls the
application, and answers with ``dump(SomeOut, …)`` (schemas.py); every rule lives in the aggregate or
in the year's policy (policy.py).

Every command takes the calling request's idempotency key from the nameko context
(shared/idempotency.py) and hands it to the application, which stores it with the events: a
redelivered or retried request answers the first result and records nothing."""
import uuid
from dataclasses import replace

from sqlalchemy import text

from shared.clock import beijing_today
from shared.deadlines import rpc  # nameko's @rpc, refusing calls whose deadline passed
from shared.errors import NotFound, PlatformError
from shared.event_failures import health_with_failures
from shared.idempotency import IdempotencyKey, KeyedCommand
from shared.observability import CorrelationId, current_correlation_id
from shared.roles import AUDITOR, CITY_ADMIN, Actor
from shared.schemas import ActorSchema, dump, load_or_raise, plain

from . import audit_package_signing, checkpoints_audit, schemas
from .application import batch_subject, parse_moment
from .checkpoints_nameko import CheckpointKeeper, checkpoint_timer
from .dependencies import DossierStore, InstanceName
from .exceptions import ActorNotAllowedError, InvalidCommandError
from .logfollower import OUTBOX_RELAY, SUMMARY_PROJECTOR, LogFollower

# A decision's action -> the aggregate command it is (the command key and retry policy use that name).
DECISION_COMMANDS = {"approve": "approve", "return": "return_for_changes", "reject": "reject"}


def _actor(data):
    actor = Actor.from_dict(load_or_raise(ActorSchema(), data, "操作人信息无效"))
    # The request's correlation id travels with the events it causes (and on to the bus). The calling
    # request's context is the authority; the actor data's own (shared.schemas.ActorSchema allows one)
    # counts only for a call that came without a context.
    return replace(actor, correlation_id=current_correlation_id() or actor.correlation_id)


def _keyed(command, subject, actor: Actor):
    """The current request's key for *command* on *subject* by *actor* (None without a key)."""
    return KeyedCommand.current(command, subject, actor.account_id)


def _auditor(actor, what="导出签名检查点"):
    """Only audit officers and the city office export checkpoints and audit packages (the gateway checks the same)."""
    acting = _actor(actor)
    if acting.role not in (AUDITOR, CITY_ADMIN):
        raise ActorNotAllowedError(f"只有审计人员或市人社局审核员可以{what}")
    return acting


def _dossier_uuid(dossier_id):
    try:
        return uuid.UUID(str(dossier_id))
    except ValueError:
        raise NotFound(f"申报材料编号 {dossier_id} 无效") from None


class DossierService:
    name = "dossier"

    dossiers = DossierStore()
    instance = InstanceName()
    checkpoints = CheckpointKeeper()  # signed chain heads outside the database (checkpoints.py), or None
    correlation_id = CorrelationId()
    idempotency_key = IdempotencyKey()  # the calling request's key, stored with the events it causes

    def _command(self, command, dossier_id, actor):
        """The acting actor and the request's key for *command* on *dossier_id*, for a named use case."""
        acting = _actor(actor)
        return acting, _keyed(command, dossier_id, acting)

    # -- applicant ---------------------------------------------------------------------------

    @rpc(expected_exceptions=PlatformError)
    def create(self, actor, fields):
        data = plain(load_or_raise(schemas.CreateDossierSchema(), fields))
        acting = _actor(actor)
        dossier = self.dossiers.create(acting, command_key=_keyed("create", "", acting), **data)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def update_section(self, actor, dossier_id, section, data):
        if section not in schemas.SECTION_COMMANDS:
            raise InvalidCommandError(f"未知栏目:{section}", fields={"section": ["未知栏目"]})
        command, schema, style = schemas.SECTION_COMMANDS[section]
        loaded = plain(load_or_raise(schema(), data))
        arguments = loaded if style == "kwargs" else {style: loaded[style] if style == "entries" else loaded}
        acting, key = self._command(command, dossier_id, actor)
        dossier = self.dossiers.edit_section(dossier_id, acting, command, command_key=key, **arguments)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def add_achievement(self, actor, dossier_id, data):
        loaded = plain(load_or_raise(schemas.AchievementSchema(), data))
        acting, key = self._command("add_achievement", dossier_id, actor)
        dossier, achievement_id = self.dossiers.add_achievement(dossier_id, acting, data=loaded, command_key=key)
        return dump(schemas.AchievementAddedOut, {"achievement_id": achievement_id, "dossier": dossier.to_dict()})

    @rpc(expected_exceptions=PlatformError)
    def remove_achievement(self, actor, dossier_id, achievement_id):
        acting, key = self._command("remove_achievement", dossier_id, actor)
        dossier = self.dossiers.remove_achievement(dossier_id, acting, achievement_id=achievement_id, command_key=key)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def attach_material(self, actor, dossier_id, material):
        loaded = load_or_raise(schemas.MaterialSchema(), material)
        acting, key = self._command("attach_material", dossier_id, actor)
        dossier = self.dossiers.attach_material(dossier_id, acting, command_key=key, **loaded)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def detach_material(self, actor, dossier_id, material_id):
        acting, key = self._command("detach_material", dossier_id, actor)
        dossier = self.dossiers.detach_material(dossier_id, acting, material_id=material_id, command_key=key)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def submit(self, actor, dossier_id, sanctions=None):
        """Submit after the window and eligibility checks; *sanctions* come from the identity service."""
        loaded = load_or_raise(schemas.SanctionsSchema(), {"sanctions": sanctions or []})
        acting = _actor(actor)
        dossier = self.dossiers.submit(dossier_id, acting, sanctions=loaded["sanctions"],
                                       command_key=_keyed("submit", dossier_id, acting))
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def check_eligibility(self, actor, dossier_id, sanctions=None):
        """The same eligibility check as submission, run on demand: ``{eligible, failures: [{rule, message}]}``."""
        loaded = load_or_raise(schemas.SanctionsSchema(), {"sanctions": sanctions or []})
        failures, problems = self.dossiers.submission_check(dossier_id, _actor(actor), sanctions=loaded["sanctions"])
        return dump(schemas.EligibilityOut, {"eligible": not failures,
                                             "failures": [failure.to_dict() for failure in failures],
                                             "ready": not problems, "problems": problems})

    @rpc(expected_exceptions=PlatformError)
    def required_materials(self, actor, dossier_id):
        """The materials checklist (必备材料清单) of the dossier for its series and level, with what is
        uploaded against each requirement and the duplicates (required_materials.checklist)."""
        return dump(schemas.ChecklistOut, self.dossiers.required_materials(dossier_id, _actor(actor)))

    @rpc(expected_exceptions=PlatformError)
    def take_back(self, actor, dossier_id, request=None):
        """撤回申报: back to draft while the unit has not acted. *request*: ``{reason?, expected_version?}``."""
        loaded = load_or_raise(schemas.TakeBackSchema(), request or {})
        acting, key = self._command("take_back", dossier_id, actor)
        dossier = self.dossiers.take_back(dossier_id, acting, reason=loaded["reason"] or "",
                                          expected_version=loaded["expected_version"], command_key=key)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def withdraw(self, actor, dossier_id, reason=""):
        reason = load_or_raise(schemas.WithdrawSchema(), {"reason": reason})["reason"] or ""
        acting, key = self._command("withdraw", dossier_id, actor)
        dossier = self.dossiers.withdraw(dossier_id, acting, reason=reason, command_key=key)
        return dump(schemas.DossierOut, dossier.to_dict())

    # -- reviewers ---------------------------------------------------------------------------

    @rpc(expected_exceptions=PlatformError)
    def decide(self, actor, dossier_id, decision):
        """Approve, return or reject, made on ``expected_version``: a dossier that moved since is refused (409)."""
        loaded = load_or_raise(schemas.DecisionSchema(), decision)
        action = loaded["action"]
        acting, key = self._command(DECISION_COMMANDS[action], dossier_id, actor)
        made_on = {"expected_version": loaded["expected_version"], "command_key": key}
        if action == "approve":
            dossier = self.dossiers.approve(dossier_id, acting, opinion=loaded["opinion"], **made_on)
        elif action == "return":
            dossier = self.dossiers.return_for_changes(dossier_id, acting, reason=loaded["reason"],
                                                       sections=loaded["sections"], **made_on)
        else:
            dossier = self.dossiers.reject(dossier_id, acting, reason=loaded["reason"], **made_on)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def record_unit_publicity(self, actor, dossier_id, period):
        loaded = plain(load_or_raise(schemas.UnitPublicitySchema(), period))
        acting, key = self._command("record_unit_publicity", dossier_id, actor)
        dossier = self.dossiers.record_unit_publicity(dossier_id, acting, command_key=key, **loaded)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def recommend_batch(self, actor, request):
        """Send approved dossiers upward in one transaction; all move or none do."""
        loaded = plain(load_or_raise(schemas.RecommendBatchSchema(), request))
        acting = _actor(actor)
        keyed = _keyed("recommend_batch", batch_subject(loaded["dossier_ids"]), acting)
        # Derived from the key when there is one, so a repeat names the batch its first use recorded.
        batch_id = loaded["batch_id"] or (uuid.uuid5(uuid.NAMESPACE_URL, keyed.key).hex if keyed else uuid.uuid4().hex)
        today = loaded["today"] or beijing_today(self.dossiers.clock).isoformat()
        saved, results = self.dossiers.recommend_batch(acting, loaded["dossier_ids"], batch_id=batch_id, today=today,
                                                       expected_versions=loaded["expected_versions"], command_key=keyed)
        return dump(schemas.BatchOut, {"batch_id": batch_id, "saved": saved, "results": results})

    # -- committee, publicity, automated steps -----------------------------------------------

    @rpc(expected_exceptions=PlatformError)
    def abandon(self, actor, dossier_id, reason):
        acting, key = self._command("abandon", dossier_id, actor)
        dossier = self.dossiers.abandon(dossier_id, acting, reason=reason, command_key=key)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def record_fee_paid(self, actor, dossier_id, order_id, amount_fen):
        acting, key = self._command("record_fee_paid", dossier_id, actor)
        dossier = self.dossiers.record_fee_paid(dossier_id, acting, order_id=order_id, amount_fen=amount_fen, command_key=key)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def send_to_committee(self, actor, dossier_id, committee_id, meeting_id, committee_name=""):
        """*committee_name*: the committee's name as review has it, printed on the certificate (R9.6)."""
        acting, key = self._command("send_to_committee", dossier_id, actor)
        dossier = self.dossiers.send_to_committee(dossier_id, acting, committee_id=committee_id, meeting_id=meeting_id,
                                                  committee_name=committee_name, command_key=key)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def recall_from_committee(self, actor, dossier_id, meeting_id, reason):
        """The committee office takes the dossier back from a meeting before the vote: fee-paid again."""
        acting, key = self._command("recall_from_committee", dossier_id, actor)
        dossier = self.dossiers.recall_from_committee(dossier_id, acting, meeting_id=meeting_id, reason=reason,
                                                      command_key=key)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def start_review(self, actor, dossier_id, meeting_id):
        acting, key = self._command("start_review", dossier_id, actor)
        dossier = self.dossiers.start_review(dossier_id, acting, meeting_id=meeting_id, command_key=key)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def record_vote_result(self, actor, dossier_id, tally):
        counts = load_or_raise(schemas.TallySchema(), tally)
        acting, key = self._command("record_vote_result", dossier_id, actor)
        dossier = self.dossiers.record_vote_result(dossier_id, acting, command_key=key, **counts)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def start_publicity(self, actor, dossier_id, publicity_id, period):
        loaded = plain(load_or_raise(schemas.UnitPublicitySchema(), period))
        acting, key = self._command("start_publicity", dossier_id, actor)
        dossier = self.dossiers.start_publicity(dossier_id, acting, publicity_id=publicity_id, **loaded, command_key=key)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def raise_objection(self, actor, dossier_id, objection_id, summary):
        acting, key = self._command("raise_objection", dossier_id, actor)
        dossier = self.dossiers.raise_objection(dossier_id, acting, objection_id=objection_id, summary=summary, command_key=key)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def resolve_objection(self, actor, dossier_id, objection_id, outcome, reason, fraud=False):
        acting, key = self._command("resolve_objection", dossier_id, actor)
        dossier = self.dossiers.resolve_objection(dossier_id, acting, objection_id=objection_id, outcome=outcome,
                                                  reason=reason, fraud=fraud, command_key=key)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def end_publicity(self, actor, dossier_id):
        acting, key = self._command("end_publicity", dossier_id, actor)
        dossier = self.dossiers.end_publicity(dossier_id, acting, command_key=key)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def issue_certificate(self, actor, dossier_id, certificate_number):
        acting, key = self._command("issue_certificate", dossier_id, actor)
        dossier = self.dossiers.issue_certificate(dossier_id, acting, certificate_number=certificate_number, command_key=key)
        return dump(schemas.DossierOut, dossier.to_dict())

    @rpc(expected_exceptions=PlatformError)
    def revoke_title(self, actor, dossier_id, reason, fraud=False):
        acting, key = self._command("revoke_title", dossier_id, actor)
        dossier = self.dossiers.revoke_title(dossier_id, acting, reason=reason, fraud=fraud, command_key=key)
        return dump(schemas.DossierOut, dossier.to_dict())

    # -- annual notice ----------------------------------------------------------------------

    @rpc(expected_exceptions=PlatformError)
    def publish_notice(self, actor, notice):
        acting = _actor(actor)
        year = notice.get("review_year") if isinstance(notice, dict) else None
        return dump(schemas.NoticeOut,
                    self.dossiers.publish_notice(acting, notice, command_key=_keyed("publish_notice", year, acting)))

    @rpc(expected_exceptions=PlatformError)
    def get_notice(self, review_year):
        loaded = load_or_raise(schemas.ReviewYearSchema(), {"review_year": review_year})
        return dump(schemas.NoticeOut, self.dossiers.get_notice(loaded["review_year"]))

    @rpc(expected_exceptions=PlatformError)
    def list_notices(self):
        return dump(schemas.NoticeOut, self.dossiers.list_notices(), many=True)

    @rpc(expected_exceptions=PlatformError)
    def list_notice_versions(self, review_year):
        loaded = load_or_raise(schemas.ReviewYearSchema(), {"review_year": review_year})
        return dump(schemas.NoticeOut, self.dossiers.list_notice_versions(loaded["review_year"]), many=True)

    @rpc(expected_exceptions=PlatformError)
    def get_notice_version(self, review_year, version):
        loaded = load_or_raise(schemas.NoticeVersionSchema(), {"review_year": review_year, "version": version})
        return dump(schemas.NoticeOut, self.dossiers.get_notice_version(loaded["review_year"], loaded["version"]))

    @rpc(expected_exceptions=PlatformError)
    def save_notice_draft(self, actor, document):
        return dump(schemas.NoticeDraftOut, self.dossiers.save_notice_draft(_actor(actor), document))

    @rpc(expected_exceptions=PlatformError)
    def get_notice_draft(self, actor, review_year):
        loaded = load_or_raise(schemas.ReviewYearSchema(), {"review_year": review_year})
        return dump(schemas.NoticeDraftOut, self.dossiers.get_notice_draft(_actor(actor), loaded["review_year"]))

    @rpc(expected_exceptions=PlatformError)
    def list_notice_drafts(self, actor):
        return dump(schemas.NoticeDraftOut, self.dossiers.list_notice_drafts(_actor(actor)), many=True)

    @rpc(expected_exceptions=PlatformError)
    def discard_notice_draft(self, actor, review_year):
        loaded = load_or_raise(schemas.ReviewYearSchema(), {"review_year": review_year})
        self.dossiers.discard_notice_draft(_actor(actor), loaded["review_year"])
        return {"review_year": loaded["review_year"], "discarded": True}

    @rpc(expected_exceptions=PlatformError)
    def publish_notice_draft(self, actor, review_year):
        acting = _actor(actor)
        loaded = load_or_raise(schemas.ReviewYearSchema(), {"review_year": review_year})
        key = _keyed("publish_notice_draft", loaded["review_year"], acting)
        return dump(schemas.NoticeOut, self.dossiers.publish_notice_draft(acting, loaded["review_year"], command_key=key))

    # -- queries -----------------------------------------------------------------------------

    @rpc(expected_exceptions=PlatformError)
    def get(self, dossier_id):
        return dump(schemas.DossierOut, self.dossiers.get(dossier_id))

    @rpc(expected_exceptions=PlatformError)
    def list(self, query=None):
        loaded = load_or_raise(schemas.ListQuerySchema(), query or {})
        filters = {name: loaded[name] for name in ("status", "review_year", "series", "level", "unit_id",
                                                    "district_id", "applicant_id", "applicant_name", "unit_name",
                                                    "submitted_from", "submitted_to")}
        page = self.dossiers.list(filters=filters, q=loaded["q"], page=loaded["page"], per_page=loaded["per_page"])
        return dump(schemas.DossierListOut, page)

    @rpc(expected_exceptions=PlatformError)
    def history(self, dossier_id):
        return dump(schemas.HistoryEntryOut, self.dossiers.history(dossier_id), many=True)

    @rpc(expected_exceptions=PlatformError)
    def state_at(self, dossier_id, version=None, at=None):
        loaded = load_or_raise(schemas.StateAtSchema(), {"version": version, "at": at})
        moment = parse_moment(loaded["at"]) if loaded["at"] else None
        return dump(schemas.DossierOut, self.dossiers.state_at(dossier_id, version=loaded["version"], at=moment))

    @rpc(expected_exceptions=PlatformError)
    def verify(self, dossier_id):
        """``{ok, events, first_bad_version, checkpoint, reason?}``; damage is an answer, never an error."""
        answer = self.dossiers.verify(dossier_id, checkpoints=self.checkpoints)
        answer.setdefault("checkpoint", None)  # no checkpoint key configured on this instance
        return dump(schemas.VerifyOut, answer)

    @rpc(expected_exceptions=PlatformError)
    def audit_scope(self, dossier_id):
        """Whose dossier it is (applicant, unit, district), from the summary: the gateway's scope check
        for audit routes, which must answer even when the events no longer fold."""
        return dump(schemas.AuditScopeOut, self.dossiers.audit_scope(dossier_id))

    @rpc(expected_exceptions=PlatformError)
    def latest_checkpoint(self, actor):
        """The newest signed checkpoint as stored, and whether its signature verifies (auditors, city admins)."""
        _auditor(actor)
        return dump(schemas.LatestCheckpointOut, checkpoints_audit.latest_summary(self._checkpoints()))

    @rpc(expected_exceptions=PlatformError)
    def checkpoint_proof(self, actor, dossier_id):
        """``{checkpoint, proof, public_key, key_id}`` for an offline check (checkpoint_verify.py)."""
        _auditor(actor)
        return dump(schemas.CheckpointProofOut, checkpoints_audit.inclusion(self._checkpoints(), str(_dossier_uuid(dossier_id))))

    @rpc(expected_exceptions=PlatformError)
    def audit_records(self, actor, dossier_id):
        """The dossier's events exactly as stored, for an audit package: ``[{version, topic, originator_id,
        class_version, state}]``, *state* the plain JSON its hash covers (audit_package_signing.py)."""
        _auditor(actor, "导出审计包")
        return dump(schemas.AuditRecordOut, audit_package_signing.stored_records(self.dossiers, dossier_id), many=True)

    @rpc(expected_exceptions=PlatformError)
    def sign_audit_package(self, actor, dossier_id, statement):
        """``{key_id, signature}`` over an audit package's statement, with the checkpoint key — only for
        auditors and city admins, only when it names this dossier's stored, verified count and head hash."""
        acting = _auditor(actor, "导出审计包")
        return dump(schemas.AuditPackageSignatureOut, audit_package_signing.sign_statement(
            self.dossiers, self.checkpoints, acting, dossier_id, statement))

    @rpc(expected_exceptions=PlatformError)
    def audit_public_keys(self):
        """Public: ``{algorithm, keys: {key id: PEM}, current}``, the keys audit packages and checkpoints verify with."""
        return dump(schemas.AuditPublicKeysOut, audit_package_signing.public_keys(self.checkpoints))

    def _checkpoints(self):
        if self.checkpoints is None:
            raise NotFound("本系统未配置签名检查点")
        return self.checkpoints

    @checkpoint_timer()
    def make_checkpoint(self):
        """Every CHECKPOINTS.interval_seconds: a signed checkpoint, if the event log grew since the last."""
        if self.checkpoints is not None:
            self.checkpoints.make()

    @rpc
    def health(self):
        """Database reachable, events stored, and how far the relay and projector are behind."""
        report = {"service": self.name, "status": "ok", "instance": self.instance}
        try:
            with self.dossiers.read_engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            report["events"] = self.dossiers.recorder.max_notification_id() or 0
            report["relay_backlog"] = LogFollower(self.dossiers, name=OUTBOX_RELAY).backlog()
            report["projection_lag"] = LogFollower(self.dossiers, name=SUMMARY_PROJECTOR).backlog()
            # Summaries the projector could not write and went past (services/dossier/catchup.py).
            health_with_failures(report, self.dossiers.read_engine, self.name)
        except Exception as error:
            report.update(status="error", error=str(error))
        return dump(schemas.HealthOut, report)

