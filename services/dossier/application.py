"""Dossiers: the dossier use cases over the event store (commands, batches, audit queries, lists).

Each command is get -> aggregate command -> save. When another command on the same dossier won the
race (the event store's version check), ``conflicts.retry_on_conflict`` retries only commands whose
meaning does not depend on what the caller saw; a decision is made on the version its caller names
(``expected_version``) and its loser gets a 409 saying who moved the dossier (conflicts.py).
A command carrying an idempotency key (shared/idempotency.py) stores the key with its events in the
same transaction (event_store.py); a repeat answers the first result and records nothing.
After saving, the summary read model is updated in its own transaction; if that fails
the catch-up projector repairs it from the log, so the command itself never fails for it.
Creating and submitting first pass the year's annual notice and eligibility policy (policy.py).
"""
import hashlib
import logging
import random
import time
import uuid
import zlib
from contextlib import contextmanager
from datetime import datetime

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError

from shared import idempotency
from shared.clock import beijing_date, utc_now
from shared.db import ensure_database, make_engine
from shared.errors import PlatformError
from shared.roles import Actor
from shared.contracts import dossier_access

from . import conflicts, notices, policy, projections, required_materials, submission_notice
from .commands import DossierCommands
from .conflicts import LostRace, retry_on_conflict
from .domain import Dossier, DossierEvent, event_name, events_stamped_by
from .event_store import DuplicateCommand
from .exceptions import (
    ActorNotAllowedError, ConcurrentModificationError, DossierNotFound, InvalidCommandError,
    NoticeNotPublishedError,
)
from .hashchain import UNREADABLE, chain_report

log = logging.getLogger(__name__)

# Fields every event has; history shows the rest as the event's data.
_COMMON_FIELDS = {"originator_id", "originator_version", "timestamp", "actor", "prev_hash", "hash", "originator_topic"}


def persistence_env(database_url):
    """The eventsourcing environment for our PostgreSQL event store (psycopg2 via SQLAlchemy)."""
    return {
        # eventsourcing_sqlalchemy's factory with a recorder that stores command keys (event_store.py).
        "PERSISTENCE_MODULE": "services.dossier.event_store:Factory",
        "SQLALCHEMY_URL": database_url,
        "CREATE_TABLE": "y",
    }


class Dossiers(DossierCommands, Application):
    """The dossier bounded context: an event store of Dossier aggregates plus its summary read model.

    *clock* (an aware-UTC callable, shared/clock.py) is the application's now: it stamps every event
    its commands record and decides application windows, so in-process tests and the demo can move it.
    """

    name = "Dossiers"

    def __init__(self, database_url, *, command_retries=6, retry_backoff=0.02, clock=utc_now):
        ensure_database(database_url)
        super().__init__(env=persistence_env(database_url))
        self.read_engine = make_engine(database_url)
        projections.metadata.create_all(self.read_engine)
        idempotency.metadata.create_all(self.read_engine)  # command_keys, written by the event store
        self.command_retries = command_retries
        self.retry_backoff = retry_backoff
        self.clock = clock

    def close(self):
        self.read_engine.dispose()
        super().close()

    # -- commands --------------------------------------------------------------------------

    def create(self, actor: Actor, *, now=None, command_key=None, **fields):
        """Open a draft dossier and return it: inside the year's application window, for a series and
        level the notice opens, while the applicant has fewer active dossiers that year than allowed and
        none of that year was rejected or failed (final for the year: policy.FINAL_FOR_YEAR).
        A repeat of a keyed creation returns the dossier the first one created (before any rule, since
        the first one already counts against the limit)."""
        replayed = self._replayed_command(command_key)
        if replayed is not None:
            return replayed[0]
        with events_stamped_by(self.clock):
            dossier = Dossier.create(actor, **fields)
        notice = self.notice_for(dossier.review_year)
        policy.check_window(notice, now or self.clock(), "create")
        policy.check_open(notice, dossier.series, dossier.level)
        with self._applicant_year_lock(actor.account_id, dossier.review_year):
            replayed = self._replayed_command(command_key)  # a twin may have created it while we waited
            if replayed is not None:
                return replayed[0]
            policy.check_not_decided(self.decided_dossier(actor.account_id, dossier.review_year), dossier.review_year)
            active = self.active_dossier_count(actor.account_id, dossier.review_year)
            policy.check_active_limit(notice.policy, active, dossier.review_year)
            try:
                self._save_keyed([dossier], command_key, _command_answer(dossier))
            except DuplicateCommand:  # a twin of this request stored its dossier first
                return self._replayed_command(command_key)[0]
        return dossier

    @retry_on_conflict
    def submit(self, dossier_id, actor: Actor, sanctions=(), now=None, command_key=None):
        """Submit (or resubmit) a dossier: the aggregate's own checks, then the application window,
        completeness and every eligibility rule of the year's policy; nothing is recorded on failure."""
        replayed = self._replayed_command(command_key)
        if replayed is not None:
            return replayed[0]
        now = now or self.clock()
        dossier = self.load(dossier_id)
        seen = dossier.version
        dossier.check_legal("submit")
        dossier.check_applicant(actor)
        notice = self.notice_for(dossier.review_year)
        policy.check_window(notice, now, "resubmit" if dossier.resubmitting else "submit")
        problems = self._problems(dossier, notice, sanctions, now)[1]
        with events_stamped_by(self.clock):
            # One answer for everything (一次性告知): the aggregate refuses with the whole list.
            dossier.submit(actor, problems=problems, notice_version=notice.version)
        try:
            self._save_keyed([dossier], command_key, _command_answer(dossier))
        except (IntegrityError, DuplicateCommand):
            return (self._replayed_command(command_key) or _lost(dossier_id, "submit", seen))[0]
        return dossier

    def check_eligibility(self, dossier_id, actor: Actor, sanctions=(), now=None):
        """The eligibility failures submission would report now (empty when eligible); records nothing."""
        return self.submission_check(dossier_id, actor, sanctions, now)[0]

    def submission_check(self, dossier_id, actor: Actor, sanctions=(), now=None):
        """``(eligibility failures, every problem submission would report now)``, the second being the
        same one-time notice a refused submission answers (submission_notice.py); records nothing."""
        now = now or self.clock()
        dossier = self.load(dossier_id)
        _check_may_see(dossier, actor)
        return self._problems(dossier, self.notice_for(dossier.review_year), sanctions, now)

    def required_materials(self, dossier_id, actor: Actor):
        """The dossier's materials checklist under its year's policy (required_materials.checklist)."""
        dossier = self.load(dossier_id)
        _check_may_see(dossier, actor)
        notice = self.notice_for(dossier.review_year)
        return required_materials.checklist(notice.policy, dossier.to_dict(), review_year=dossier.review_year)

    def _failures(self, dossier, notice, sanctions, now):
        today = beijing_date(now)
        return policy.check_eligibility(notice.policy, dossier.to_dict(), review_year=dossier.review_year,
                                        sanctions=list(sanctions or ()), today=today)

    def _problems(self, dossier, notice, sanctions, now):
        """``(eligibility failures, the one-time notice)``: sections, required materials and rules."""
        failures = self._failures(dossier, notice, sanctions, now)
        checklist = required_materials.checklist(notice.policy, dossier.to_dict(), review_year=dossier.review_year)
        return failures, submission_notice.problems(dossier.missing_sections(), checklist, failures)

    @contextmanager
    def _applicant_year_lock(self, account_id, review_year):
        """One creation at a time per applicant and year, across instances (a transaction advisory lock).

        The lock is polled rather than waited for: psycopg2 blocks the whole process under eventlet,
        so a blocking wait behind another greenthread of the same process would never end.
        """
        key = zlib.crc32(f"kunming-dossier-create:{account_id}:{review_year}".encode())
        with self.read_engine.begin() as connection:
            deadline = time.monotonic() + 10
            while not connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}).scalar():
                if time.monotonic() > deadline:
                    raise ConcurrentModificationError("您的另一项申报操作正在处理中,请稍后重试")
                time.sleep(random.uniform(0.005, 0.02))
            yield

    def active_dossier_count(self, applicant_id, review_year):
        """The applicant's dossiers of *review_year* that still count against the limit (summary read model)."""
        summary = projections.dossier_summary
        with self.read_engine.connect() as connection:
            return connection.execute(
                select(func.count()).select_from(summary).where(
                    summary.c.applicant_id == str(applicant_id),
                    summary.c.review_year == int(review_year),
                    summary.c.status.not_in(policy.INACTIVE_STATUSES),
                )
            ).scalar()

    def decided_dossier(self, applicant_id, review_year):
        """The applicant's earliest dossier of *review_year* whose result is final for the year (rejected,
        failed), as its summary row; None when there is none."""
        summary = projections.dossier_summary
        with self.read_engine.connect() as connection:
            row = connection.execute(
                select(summary.c.dossier_id, summary.c.status, summary.c.series, summary.c.level,
                       summary.c.specialty).where(
                    summary.c.applicant_id == str(applicant_id),
                    summary.c.review_year == int(review_year),
                    summary.c.status.in_(policy.FINAL_FOR_YEAR),
                ).order_by(summary.c.created_at).limit(1)
            ).mappings().first()
        return dict(row) if row else None

    # -- annual notices ----------------------------------------------------------------------

    def publish_notice(self, actor: Actor, document, now=None, command_key=None):
        """Publish (or replace) a review year's notice; city admins only. Returns the stored record.
        A keyed repeat answers the first record instead of publishing one more version."""
        return self._publishing(command_key, lambda connection: notices.publish(
            connection, actor, document, now or self.clock()))

    def publish_notice_draft(self, actor: Actor, review_year, now=None, command_key=None):
        """Publish the year's draft as the next version of its notice and remove the draft (one
        transaction); a keyed repeat answers the first record, though the draft is gone by then."""
        return self._publishing(command_key, lambda connection: notices.publish_draft(
            connection, actor, review_year, now or self.clock()))

    def _publishing(self, command_key, publish):
        try:
            with self.read_engine.begin() as connection:
                found = idempotency.first_answer(connection, command_key) if command_key else None
                if found is not None:
                    return found["answer"]
                record = publish(connection)
                if command_key is not None and not idempotency.claim(connection, command_key, record):
                    raise DuplicateCommand(command_key.key)  # a twin published first: roll this one back
                return record
        except DuplicateCommand:
            with self.read_engine.connect() as connection:
                return idempotency.first_answer(connection, command_key)["answer"]
        except DatabaseIntegrityError:  # two first publications of one year at the same moment
            raise ConcurrentModificationError("该年度通知正由他人同时发布,请刷新后重试") from None

    def get_notice(self, review_year):
        with self.read_engine.connect() as connection:
            return notices.record(notices.get_or_raise(connection, review_year))

    def list_notices(self):
        with self.read_engine.connect() as connection:
            return [notices.record(row) for row in notices.list_all(connection)]

    def list_notice_versions(self, review_year):
        """Every published version of the year's notice, oldest first, each with what it changed."""
        with self.read_engine.connect() as connection:
            return [notices.version_record(row) for row in notices.versions(connection, review_year)]

    def get_notice_version(self, review_year, version):
        with self.read_engine.connect() as connection:
            return notices.version_record(notices.version_or_raise(connection, review_year, version))

    # A draft is the city admin's unpublished next version of a year's notice (notices.py).

    def save_notice_draft(self, actor: Actor, document, now=None):
        with self.read_engine.begin() as connection:
            return notices.save_draft(connection, actor, document, now or self.clock())

    def get_notice_draft(self, actor: Actor, review_year):
        with self.read_engine.connect() as connection:
            return notices.draft_record(notices.get_draft(connection, actor, review_year))

    def list_notice_drafts(self, actor: Actor):
        with self.read_engine.connect() as connection:
            return notices.list_drafts(connection, actor)

    def discard_notice_draft(self, actor: Actor, review_year):
        with self.read_engine.begin() as connection:
            notices.discard_draft(connection, actor, review_year)

    def notice_for(self, review_year) -> policy.Notice:
        """The year's notice as a policy object; refuses when it has not been published."""
        with self.read_engine.connect() as connection:
            row = notices.get(connection, review_year)
        if row is None:
            raise NoticeNotPublishedError(f"{review_year}年度职称评审通知尚未发布")
        return policy.Notice.from_document(row["notice"], version=row["version"])

    def _change(self, dossier_id, command, act, *, expected_version=None, command_key=None):
        """Load -> ``act(dossier)`` (the aggregate command *command*) -> save; ``(dossier, result)``.

        With *expected_version* (the version the caller decided on) a dossier that has moved since is
        refused with a 409 naming who moved it; a decision without one is judged on the version loaded
        now and, like every command not in ``conflicts.RETRYABLE``, never retried on a lost race (the
        caller's ``retry_on_conflict`` decides, by *command*). *command_key*
        (``shared.idempotency.KeyedCommand``) is stored with the events; a repeat returns the first
        ``(dossier, result)`` as of the version it produced.
        """
        replayed = self._replayed_command(command_key)
        if replayed is not None:
            return replayed
        dossier = self.load(dossier_id)
        if expected_version is not None and dossier.version != expected_version:
            replayed = self._replayed_command(command_key)  # our own twin may be what moved it
            if replayed is not None:
                return replayed
            raise self.stale_error(dossier_id, expected_version)
        seen = dossier.version
        with events_stamped_by(self.clock):
            result = act(dossier)
        try:
            self._save_keyed([dossier], command_key, _command_answer(dossier, result))
        except (IntegrityError, DuplicateCommand):
            return self._replayed_command(command_key) or _lost(dossier_id, command, seen)
        return dossier, result

    def _change_each(self, actor: Actor, act, dossier_ids, *, expected_versions=None, command_key=None):
        """``act(dossier)`` on many dossiers, all or nothing, saved in one transaction.

        Returns ``(saved, results)`` where each result names a dossier and, if it could not move, the
        reason. A batch is a decision on each dossier's state, so it is never retried: a dossier that
        moved since *expected_versions* (id -> version, where given) or while the batch was being saved
        is named with who moved it.
        """
        stored = self._stored_answer(command_key)
        if stored is not None:
            return True, stored["results"]
        expected_versions = {str(key): value for key, value in (expected_versions or {}).items()}
        dossiers, results, seen = [], [], {}
        for dossier_id in dossier_ids:
            try:
                dossier = self.load(dossier_id)
                expected = expected_versions.get(str(dossier_id))
                if expected is not None and dossier.version != expected:
                    raise self.stale_error(dossier_id, expected)
                seen[str(dossier_id)] = dossier.version
                with events_stamped_by(self.clock):
                    act(dossier)
            except PlatformError as error:
                results.append({"dossier_id": str(dossier_id), "ok": False, "error": error.to_dict()})
            else:
                dossiers.append(dossier)
                results.append({"dossier_id": str(dossier_id), "ok": True, "version": dossier.version})
        if len(dossiers) < len(dossier_ids) or not dossiers:
            return False, results
        try:
            self._save_keyed(dossiers, command_key, {"results": results})
        except (IntegrityError, DuplicateCommand):
            stored = self._stored_answer(command_key)
            if stored is not None:
                return True, stored["results"]
            return False, self._moved_during_batch(results, seen)
        return True, results

    def _moved_during_batch(self, results, seen):
        """The batch's results after losing a race: each dossier that moved meanwhile says who moved it."""
        answered = []
        for result in results:
            dossier_id = result["dossier_id"]
            if self.load(dossier_id).version != seen[dossier_id]:
                error = self.stale_error(dossier_id, seen[dossier_id]).to_dict()
                result = {"dossier_id": dossier_id, "ok": False, "error": error}
            answered.append(result)
        return answered

    def stale_error(self, dossier_id, seen_version):
        """The 409 for a command made on *seen_version*: the current status and who moved it since."""
        current = self.load(dossier_id)
        moves = [event for event in self._domain_events(dossier_id) if event.originator_version > seen_version]
        return conflicts.stale_error(seen_version, current.to_dict(), moves)

    # -- command keys (shared/idempotency.py) ------------------------------------------------

    def _save_keyed(self, dossiers, command_key, answer):
        """Save; with a key, the key and *answer* go into the events' own transaction (event_store.py)."""
        if command_key is None:
            return self.save(*dossiers)
        return self.save(*dossiers, command_key=(command_key, answer))

    def _stored_answer(self, command_key):
        """What the key's first use stored (None if new); a key used for something else is refused."""
        if command_key is None:
            return None
        with self.read_engine.connect() as connection:
            found = idempotency.first_answer(connection, command_key)
        return found and found["answer"]

    def _replayed_command(self, command_key):
        """``(dossier as of the first use's version, its result)`` for a repeated key, else None."""
        answer = self._stored_answer(command_key)
        if answer is None:
            return None
        return self.load(answer["dossier_id"], version=answer["version"]), answer.get("result")

    def save(self, *dossiers, **kwargs):
        """Store the dossiers' new events in one transaction, then bring their summary rows up to date."""
        recordings = super().save(*dossiers, **kwargs)
        try:
            with self.read_engine.begin() as connection:
                projections.upsert_summaries(connection, dossiers)
        except Exception:  # the events are saved; the catch-up projector will repair the row
            log.exception("summary projection failed after save; catch-up will repair it")
        return recordings

    # -- queries ---------------------------------------------------------------------------

    def load(self, dossier_id, version=None):
        """The dossier aggregate (at *version*, if given)."""
        try:
            return self.repository.get(_as_uuid(dossier_id), version=version)
        except AggregateNotFoundError:
            raise DossierNotFound(f"申报材料 {dossier_id} 不存在") from None

    def get(self, dossier_id):
        return self.load(dossier_id).to_dict()

    def history(self, dossier_id):
        """Every event of the dossier, oldest first, with actor, time, data and hash."""
        return [history_entry(event) for event in self._domain_events(dossier_id)]

    def state_at(self, dossier_id, *, version=None, at=None):
        """The dossier folded up to *version*, or up to the last event at or before *at* (datetime)."""
        if version is None and at is None:
            raise InvalidCommandError("请指定版本号或时间点")
        if at is not None:
            versions = [event.originator_version for event in self._domain_events(dossier_id) if event.timestamp <= at]
            if not versions:
                raise DossierNotFound(f"申报材料 {dossier_id} 在 {at.isoformat()} 时尚未创建")
            version = versions[-1]
        dossier = self.load(dossier_id, version=version)
        if dossier.version != version:
            raise DossierNotFound(f"申报材料 {dossier_id} 没有第 {version} 版")
        return dossier.to_dict()

    def verify(self, dossier_id, checkpoints=None):
        """Recompute the hash chain from the stored rows: ``{ok, events, first_bad_version}``, with a
        Chinese ``reason`` when not ok. Damage of any kind — an unreadable, missing or moved event, the
        tail or every event deleted — is an answer, never an error. With *checkpoints*
        (checkpoints.Checkpoints) the dossier is also held against the newest signed checkpoint that has
        it, so a chain rewritten consistently from an edited event on fails too:
        ``checkpoint: {sequence, created_at, version, ok, reason?}`` (None before its first checkpoint)."""
        count, chain = self.chain(dossier_id)
        first_bad, reason = chain.first_bad_version, chain.reason
        if chain.ok:
            # The summary remembers how far the chain went; fewer events now means the tail was cut.
            with self.read_engine.connect() as connection:
                known = projections.summary_version(connection, str(_as_uuid(dossier_id)))
            if known is not None and known > count:
                first_bad, reason = count + 1, f"事件库只有 {count} 版事件,读模型记录到第 {known} 版:其后的事件被删除"
        answer = {"ok": first_bad is None, "events": count, "first_bad_version": first_bad}
        if checkpoints is not None:
            from .checkpoints_audit import checkpoint_verdict

            answer["checkpoint"], checkpoint_bad, checkpoint_reason = checkpoint_verdict(
                checkpoints, str(_as_uuid(dossier_id)), count, chain)
            if checkpoint_bad is not None and (first_bad is None or checkpoint_bad < first_bad):
                first_bad, reason = checkpoint_bad, checkpoint_reason
            elif checkpoint_reason and first_bad is None:
                reason = checkpoint_reason
            answer.update(ok=first_bad is None and not checkpoint_reason, first_bad_version=first_bad)
        if count == 0 and answer["ok"]:
            raise DossierNotFound(f"申报材料 {dossier_id} 不存在")
        if reason:
            answer["reason"] = reason
        return answer

    def audit_scope(self, dossier_id):
        """``{dossier_id, applicant_id, unit_id, district_id}`` from the summary row — whose dossier it is,
        known without folding its events (a damaged dossier must still be verifiable by those who may
        see it); the aggregate itself only when the summary has no row."""
        dossier_id = str(_as_uuid(dossier_id))
        summary = projections.dossier_summary
        with self.read_engine.connect() as connection:
            row = connection.execute(select(summary.c.applicant_id, summary.c.unit_id, summary.c.district_id).where(
                summary.c.dossier_id == dossier_id)).mappings().first()
        if row is None:
            dossier = self.get(dossier_id)
            row = {name: dossier[name] for name in ("applicant_id", "unit_id", "district_id")}
        return {"dossier_id": dossier_id, **row}

    def chain(self, dossier_id):
        """``(number of stored events, hashchain.ChainReport)`` of the dossier's raw stored rows, decoded
        before any upcasting; a row that cannot be decoded is reported at its version, not raised."""
        records = []
        stored = self.recorder.select_events(_as_uuid(dossier_id))
        for row in stored:
            try:
                state = self.mapper.transcoder.decode(row.state)
                class_version = state.pop("class_version", 1)
            except Exception:  # unreadable bytes are tampering too
                state, class_version = UNREADABLE, None
            records.append((row.originator_version, row.topic, row.originator_id, class_version, state))
        return len(stored), chain_report(records)

    def list(self, *, filters=None, q=None, page=1, per_page=20):
        with self.read_engine.connect() as connection:
            return projections.query_summaries(connection, filters=filters, q=q, page=page, per_page=per_page)

    def _domain_events(self, dossier_id):
        stored = self.recorder.select_events(_as_uuid(dossier_id))
        if not stored:
            raise DossierNotFound(f"申报材料 {dossier_id} 不存在")
        return [self.mapper.to_domain_event(row) for row in stored]


def history_entry(event: DossierEvent):
    """One stored event as ``history`` answers it and the outbox relay publishes it (relay.py):
    version, type, time (ISO-8601), actor, its own data, and its link in the hash chain."""
    data = {key: value for key, value in vars(event).items() if key not in _COMMON_FIELDS}
    return {
        "version": event.originator_version,
        "type": event_name(event),
        "at": event.timestamp.isoformat(),
        "actor": event.actor,
        "data": data,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _command_answer(dossier, result=None):
    """What a command key stores: enough to rebuild the answer (the dossier at this version)."""
    return {"dossier_id": str(dossier.id), "version": dossier.version, "result": result}


def _lost(dossier_id, command, seen_version):
    """A save lost the version check: conflicts.retry_on_conflict decides between retry and 409."""
    raise LostRace(str(dossier_id), command, seen_version)


def batch_subject(dossier_ids):
    """A batch's subject for its command key: which dossiers, in any order."""
    return hashlib.sha256(",".join(sorted(str(i) for i in dossier_ids)).encode()).hexdigest()


def _check_may_see(dossier, actor: Actor):
    """Who may see the check is who may see the dossier (shared/contracts/dossier_access.py)."""
    if not dossier_access.may_see(actor, dossier.to_dict()):
        raise ActorNotAllowedError("只有申报人本人或负责审核该申报材料的管理员可以查看申报条件检查结果")


def _as_uuid(dossier_id):
    try:
        return dossier_id if isinstance(dossier_id, uuid.UUID) else uuid.UUID(str(dossier_id))
    except ValueError:
        raise DossierNotFound(f"申报材料编号 {dossier_id} 无效") from None


def parse_moment(text):
    """An ISO-8601 moment; a naive one is taken as Asia/Shanghai (the interface's time zone)."""
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise InvalidCommandError("时间格式应为 ISO-8601,例如 2026-03-01T09:30:00+08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
