"""Dossiers: the dossier use cases over the event store (commands, batches, audit queries, lists).

Each command is get -> aggregate command -> save, retried with jittered backoff when another
command on the same dossier won the race (the event store's version check), then refused with a
conflict. After saving, the summary read model is updated in its own transaction; if that fails
the catch-up projector repairs it from the log, so the command itself never fails for it.
Creating and submitting first pass the year's annual notice and eligibility policy (policy.py).
"""
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

from shared.clock import beijing_date, utc_now
from shared.db import ensure_database, make_engine
from shared.errors import PlatformError
from shared.roles import APPLICANT, AUDITOR, CITY_ADMIN, DISTRICT_ADMIN, UNIT_ADMIN, Actor

from . import notices, policy, projections
from . import statuses as st
from .domain import Dossier, DossierEvent, event_name, events_stamped_by
from .exceptions import ActorNotAllowedError, ConcurrentModificationError, DossierNotFound, InvalidCommandError
from .hashchain import verify_chain
from .policy_errors import IneligibleError, NoticeNotPublishedError

log = logging.getLogger(__name__)

# Fields every event has; history shows the rest as the event's data.
_COMMON_FIELDS = {"originator_id", "originator_version", "timestamp", "actor", "prev_hash", "hash", "originator_topic"}


def persistence_env(database_url):
    """The eventsourcing environment for our PostgreSQL event store (psycopg2 via SQLAlchemy)."""
    return {
        "PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
        "SQLALCHEMY_URL": database_url,
        "CREATE_TABLE": "y",
    }


class Dossiers(Application):
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
        self.command_retries = command_retries
        self.retry_backoff = retry_backoff
        self.clock = clock

    def close(self):
        self.read_engine.dispose()
        super().close()

    # -- commands --------------------------------------------------------------------------

    def create(self, actor: Actor, *, now=None, **fields):
        """Open a draft dossier and return it: inside the year's application window, for a series and
        level the notice opens, and while the applicant has fewer active dossiers that year than allowed."""
        with events_stamped_by(self.clock):
            dossier = Dossier.create(actor, **fields)
        notice = self.notice_for(dossier.review_year)
        policy.check_window(notice, now or self.clock(), "create")
        policy.check_open(notice, dossier.series, dossier.level)
        with self._applicant_year_lock(actor.account_id, dossier.review_year):
            active = self.active_dossier_count(actor.account_id, dossier.review_year)
            policy.check_active_limit(notice.policy, active, dossier.review_year)
            self.save(dossier)
        return dossier

    def submit(self, dossier_id, actor: Actor, sanctions=(), now=None):
        """Submit (or resubmit) a dossier: the aggregate's own checks, then the application window,
        completeness and every eligibility rule of the year's policy; nothing is recorded on failure."""
        now = now or self.clock()
        for attempt in range(self.command_retries + 1):
            dossier = self.load(dossier_id)
            dossier.check_legal("submit")
            dossier.check_applicant(actor)
            notice = self.notice_for(dossier.review_year)
            policy.check_window(notice, now, "resubmit" if dossier.status == st.RETURNED else "submit")
            eligibility = self._failures(dossier, notice, sanctions, now)
            with events_stamped_by(self.clock):
                dossier.submit(actor)  # completeness is the aggregate's rule; its event is saved only below
            if eligibility:
                raise _ineligible(eligibility)
            try:
                self.save(dossier)
                return dossier
            except IntegrityError:
                self._back_off(attempt, dossier_id)

    def check_eligibility(self, dossier_id, actor: Actor, sanctions=(), now=None):
        """The eligibility failures submission would report now (empty when eligible); records nothing."""
        now = now or self.clock()
        dossier = self.load(dossier_id)
        _check_may_see(dossier, actor)
        return self._failures(dossier, self.notice_for(dossier.review_year), sanctions, now)

    def _failures(self, dossier, notice, sanctions, now):
        today = beijing_date(now)
        return policy.check_eligibility(notice.policy, dossier.to_dict(), review_year=dossier.review_year,
                                        sanctions=list(sanctions or ()), today=today)

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

    # -- annual notices ----------------------------------------------------------------------

    def publish_notice(self, actor: Actor, document, now=None):
        """Publish (or replace) a review year's notice; city admins only. Returns the stored record."""
        try:
            with self.read_engine.begin() as connection:
                return notices.publish(connection, actor, document, now or self.clock())
        except DatabaseIntegrityError:  # two first publications of one year at the same moment
            raise ConcurrentModificationError("该年度通知正由他人同时发布,请刷新后重试") from None

    def get_notice(self, review_year):
        with self.read_engine.connect() as connection:
            return notices.record(notices.get_or_raise(connection, review_year))

    def list_notices(self):
        with self.read_engine.connect() as connection:
            return [notices.record(row) for row in notices.list_all(connection)]

    def notice_for(self, review_year) -> policy.Notice:
        """The year's notice as a policy object; refuses when it has not been published."""
        with self.read_engine.connect() as connection:
            row = notices.get(connection, review_year)
        if row is None:
            raise NoticeNotPublishedError(f"{review_year}年度职称评审通知尚未发布")
        return policy.Notice.from_document(row["notice"])

    def execute(self, dossier_id, command, actor: Actor, **arguments):
        """Run one command on one dossier; returns ``(dossier, command result)``."""
        for attempt in range(self.command_retries + 1):
            dossier = self.load(dossier_id)
            with events_stamped_by(self.clock):
                result = getattr(dossier, command)(actor, **arguments)
            try:
                self.save(dossier)
                return dossier, result
            except IntegrityError:
                self._back_off(attempt, dossier_id)

    def execute_batch(self, actor: Actor, command, items):
        """Run *command* on many dossiers, all or nothing, saved in one transaction.

        *items* is a list of ``(dossier_id, arguments)``. Returns ``(saved, results)`` where each
        result names a dossier and, if it could not move, the reason.
        """
        for attempt in range(self.command_retries + 1):
            dossiers, results = [], []
            for dossier_id, arguments in items:
                try:
                    dossier = self.load(dossier_id)
                    with events_stamped_by(self.clock):
                        getattr(dossier, command)(actor, **arguments)
                except PlatformError as error:
                    results.append({"dossier_id": str(dossier_id), "ok": False, "error": error.to_dict()})
                else:
                    dossiers.append(dossier)
                    results.append({"dossier_id": str(dossier_id), "ok": True, "version": dossier.version})
            if len(dossiers) < len(items) or not dossiers:
                return False, results
            try:
                self.save(*dossiers)
                return True, results
            except IntegrityError:
                self._back_off(attempt, "batch")

    def save(self, *dossiers, **kwargs):
        """Store the dossiers' new events in one transaction, then bring their summary rows up to date."""
        recordings = super().save(*dossiers, **kwargs)
        try:
            with self.read_engine.begin() as connection:
                projections.upsert_summaries(connection, dossiers)
        except Exception:  # the events are saved; the catch-up projector will repair the row
            log.exception("summary projection failed after save; catch-up will repair it")
        return recordings

    def _back_off(self, attempt, dossier_id):
        if attempt >= self.command_retries:
            raise ConcurrentModificationError(
                f"申报材料 {dossier_id} 正被他人同时处理,请刷新后重试"
            )
        time.sleep(random.uniform(0, self.retry_backoff * 2**attempt))

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
        return [_history_entry(event) for event in self._domain_events(dossier_id)]

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

    def verify(self, dossier_id):
        """Recompute the hash chain from the stored rows: ``{ok, events, first_bad_version}``."""
        stored = self.recorder.select_events(_as_uuid(dossier_id))
        if not stored:
            raise DossierNotFound(f"申报材料 {dossier_id} 不存在")
        records = []
        for row in stored:
            try:
                state = self.mapper.transcoder.decode(row.state)
            except Exception:  # unreadable bytes are tampering too
                return {"ok": False, "events": len(stored), "first_bad_version": row.originator_version}
            class_version = state.pop("class_version", 1)
            records.append((row.originator_version, row.topic, row.originator_id, class_version, state))
        ok, count, first_bad = verify_chain(records)
        if ok:
            # The summary remembers how far the chain went; fewer events now means the tail was cut.
            with self.read_engine.connect() as connection:
                known = projections.summary_version(connection, dossier_id)
            if known is not None and known > count:
                ok, first_bad = False, count + 1
        return {"ok": ok, "events": len(stored), "first_bad_version": first_bad}

    def list(self, *, filters=None, q=None, page=1, per_page=20):
        with self.read_engine.connect() as connection:
            return projections.query_summaries(connection, filters=filters, q=q, page=page, per_page=per_page)

    def _domain_events(self, dossier_id):
        stored = self.recorder.select_events(_as_uuid(dossier_id))
        if not stored:
            raise DossierNotFound(f"申报材料 {dossier_id} 不存在")
        return [self.mapper.to_domain_event(row) for row in stored]


def _history_entry(event: DossierEvent):
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


def _ineligible(failures):
    """One error naming every failed rule; ``fields`` maps each rule to its messages."""
    fields = {}
    for failure in failures:
        fields.setdefault(failure.rule, []).append(failure.message)
    lines = ";".join(f"{number}. {failure.message}" for number, failure in enumerate(failures, 1))
    return IneligibleError(f"不符合申报条件,共 {len(failures)} 项:{lines}", fields=fields)


def _check_may_see(dossier, actor: Actor):
    """The applicant, the admins whose turn can come (unit, district, city) and auditors may see the check."""
    allowed = (
        (actor.role == APPLICANT and actor.account_id == dossier.applicant_id)
        or (actor.role == UNIT_ADMIN and actor.org_id == dossier.unit_id)
        or (actor.role == DISTRICT_ADMIN and actor.org_id == dossier.district_id)
        or actor.role in (CITY_ADMIN, AUDITOR)
    )
    if not allowed:
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
