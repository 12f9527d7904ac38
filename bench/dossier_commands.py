"""Benchmark: dossier commands through the real service against two baselines measured in the same run.

    .venv/bin/python bench/dossier_commands.py [--dossiers N] [--concurrency C] [--rounds R] [--quick]

Every scenario drives the same command mix per dossier -- create, basic_info, education,
work_experience, annual_assessments, continuing_education, review_form, commitment, attach_material,
submit, unit approve: eleven commands (the two eligibility sections are there because submission
checks eligibility), one stored event or one row write each, each command its own transaction:

  (a) raw eventsourcing   a minimal Application + Aggregate written here (same events, similar
                          payloads, no hash chain, no projection, no notice/policy checks), same
                          persistence module (eventsourcing_sqlalchemy) on the same PostgreSQL server;
  (b) dossier RPC         the real DossierService started in this process (nameko ServiceContainer)
                          and called through ClusterRpcProxy over RabbitMQ;
  (c) plain SQL           one row per dossier with a mutable status column: INSERT, then one UPDATE
                          per command, no history (what systems without event sourcing do);
  (d) Dossiers, no RPC    the real Dossiers application called directly (hash chain, notice and
                          eligibility checks, summary projection);
  (e) Dossiers, no proj.  the same without the summary projection upsert, to split (d) - (a);
  RPC echo / health       a no-op bench service returning a dossier-sized reply, and the service's
                          own ``health`` RPC: the transport cost alone.

Sequential rows use one caller; concurrent rows use --concurrency green threads, each with its own
dossiers (and, for RPC, its own ClusterRpcProxy: the standalone proxy is single-threaded). The
concurrent (a)/(d)/(e) rows share one application object between the callers, as the service
shares one Dossiers per container. ``eventlet.monkey_patch()`` also makes psycopg2 cooperative (a
wait callback), as it is under ``nameko run``, so callers overlap their database waits. Scenarios
run in interleaved rounds, so background load on the machine skews every row alike. Everything
runs in fresh databases and a fresh RabbitMQ vhost that are removed at the end. This is a
benchmark, not a timed test: it prints figures next to baselines measured in the same run and
never fails on them.
"""
import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg2.extensions  # noqa: E402
from eventlet.greenpool import GreenPool  # noqa: E402
from eventsourcing.application import Application  # noqa: E402
from eventsourcing.domain import Aggregate  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402
from nameko.extensions import DependencyProvider  # noqa: E402
from nameko.rpc import rpc  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from sqlalchemy import Column, DateTime, MetaData, Table, Text, create_engine, insert, text  # noqa: E402
from sqlalchemy.dialects.postgresql import JSONB, UUID  # noqa: E402

from shared.contracts import dossier as st  # noqa: E402
from services.dossier.application import Dossiers, persistence_env  # noqa: E402
from services.dossier.commands import SECTION_EDITS  # noqa: E402
from services.dossier.domain import Dossier  # noqa: E402
from services.dossier.schemas import SECTION_COMMANDS  # noqa: E402
from services.dossier.service import DossierService  # noqa: E402
from shared.db import drop_database, ensure_database  # noqa: E402
from shared.roles import Actor  # noqa: E402
from shared.rpc import register_platform_errors  # noqa: E402
from tests.factories import (  # noqa: E402
    Cast, annual_assessments, basic_info, continuing_education, education, material, notice_document, review_form,
    work_experience,
)

PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql+psycopg2://postgres@127.0.0.1:5432")
AMQP_SERVER = os.environ.get("BENCH_AMQP_SERVER", "pyamqp://guest:guest@127.0.0.1:5672")
OPINION = "同意推荐"
CITY_ADMIN = Actor(account_id="bench-city-admin", role="city_admin", org_id="city")


def section_steps():
    """The section commands of the mix, with payloads as the service receives them. The annual
    assessments and continuing education are there because submission checks eligibility."""
    return [
        ("basic_info", basic_info()),
        ("education", {"entries": education()}),
        ("work_experience", {"entries": work_experience()}),
        ("annual_assessments", {"entries": annual_assessments()}),
        ("continuing_education", {"entries": continuing_education()}),
        ("review_form", review_form()),
        ("commitment", {"statement_version": "2026-1", "signed_name": "李明"}),
    ]


# create + sections + attach_material + submit + unit approve
COMMANDS_PER_DOSSIER = 1 + len(section_steps()) + 3

# =============================================================================================
# (a) A raw eventsourcing application: the same events, no hash chain, no projection.
# =============================================================================================


class RawEvent(Aggregate.Event):
    actor: dict

    def apply(self, dossier):
        dossier.updated_at = self.timestamp
        self.apply_to(dossier)

    def apply_to(self, dossier):
        pass


class RawCreated(RawEvent, Aggregate.Created):
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

    def apply_to(self, dossier):
        for name in ("applicant_id", "applicant_name", "unit_id", "unit_name", "district_id", "district_name",
                     "review_year", "series", "specialty", "level"):
            setattr(dossier, name, getattr(self, name))
        dossier.status = st.DRAFT


class RawSectionRecorded(RawEvent):
    """One class per section keeps the topic count equal to the real aggregate's."""

    def apply_to(self, dossier):
        name, value = self.section_value()
        dossier.sections[name] = value


class RawBasicInfoUpdated(RawSectionRecorded):
    data: dict

    def section_value(self):
        return "basic_info", self.data


class RawEducationRecorded(RawSectionRecorded):
    entries: list

    def section_value(self):
        return "education", self.entries


class RawWorkExperienceRecorded(RawSectionRecorded):
    entries: list

    def section_value(self):
        return "work_experience", self.entries


class RawAnnualAssessmentRecorded(RawSectionRecorded):
    entries: list

    def section_value(self):
        return "annual_assessments", self.entries


class RawContinuingEducationRecorded(RawSectionRecorded):
    entries: list

    def section_value(self):
        return "continuing_education", self.entries


class RawReviewFormFilled(RawSectionRecorded):
    data: dict

    def section_value(self):
        return "review_form", self.data


class RawCommitmentSigned(RawSectionRecorded):
    statement_version: str
    signed_name: str

    def section_value(self):
        return "commitment", {"statement_version": self.statement_version, "signed_name": self.signed_name}


class RawMaterialAttached(RawEvent):
    material_id: str
    object_key: str
    sha256: str
    size: int
    pages: int
    category: str
    filename: str

    def apply_to(self, dossier):
        dossier.materials[self.material_id] = {"object_key": self.object_key, "sha256": self.sha256}


class RawSubmitted(RawEvent):
    resubmission: bool

    def apply_to(self, dossier):
        dossier.status = st.SUBMITTED


class RawUnitApproved(RawEvent):
    opinion: str

    def apply_to(self, dossier):
        dossier.status = st.UNIT_APPROVED
        dossier.opinions.append(self.opinion)


class RawDossier(Aggregate):
    def __init__(self):
        self.status = None
        self.sections, self.materials, self.opinions = {}, {}, []

    @classmethod
    def create(cls, actor, **fields):
        return cls._create(RawCreated, id=uuid.uuid4(), actor=actor.to_dict(), applicant_id=actor.account_id,
                           **fields)

    def _draft(self, actor):
        if self.status != st.DRAFT or actor.account_id != self.applicant_id:
            raise ValueError("not an editable draft of this applicant")

    def update_basic_info(self, actor, data):
        self._draft(actor)
        self.trigger_event(RawBasicInfoUpdated, actor=actor.to_dict(), data=data)

    def record_education(self, actor, entries):
        self._draft(actor)
        self.trigger_event(RawEducationRecorded, actor=actor.to_dict(), entries=entries)

    def record_work_experience(self, actor, entries):
        self._draft(actor)
        self.trigger_event(RawWorkExperienceRecorded, actor=actor.to_dict(), entries=entries)

    def record_annual_assessments(self, actor, entries):
        self._draft(actor)
        self.trigger_event(RawAnnualAssessmentRecorded, actor=actor.to_dict(), entries=entries)

    def record_continuing_education(self, actor, entries):
        self._draft(actor)
        self.trigger_event(RawContinuingEducationRecorded, actor=actor.to_dict(), entries=entries)

    def fill_review_form(self, actor, data):
        self._draft(actor)
        self.trigger_event(RawReviewFormFilled, actor=actor.to_dict(), data=data)

    def sign_commitment(self, actor, *, statement_version, signed_name):
        self._draft(actor)
        self.trigger_event(RawCommitmentSigned, actor=actor.to_dict(), statement_version=statement_version,
                           signed_name=signed_name)

    def attach_material(self, actor, *, material_id, object_key, sha256, size, pages, category, filename=""):
        self._draft(actor)
        self.trigger_event(RawMaterialAttached, actor=actor.to_dict(), material_id=material_id,
                           object_key=object_key, sha256=sha256, size=int(size), pages=int(pages),
                           category=category, filename=filename)

    def submit(self, actor):
        self._draft(actor)
        if not self.materials or len(self.sections) < len(section_steps()):
            raise ValueError("incomplete")
        self.trigger_event(RawSubmitted, actor=actor.to_dict(), resubmission=False)

    def approve(self, actor, opinion):
        if self.status != st.SUBMITTED or actor.org_id != self.unit_id:
            raise ValueError("not this unit's turn")
        self.trigger_event(RawUnitApproved, actor=actor.to_dict(), opinion=opinion)


# The raw aggregate's section commands, by the names the section forms give (as SECTION_EDITS for Dossier).
RAW_SECTION_EDITS = {
    "update_basic_info": RawDossier.update_basic_info,
    "record_education": RawDossier.record_education,
    "record_work_experience": RawDossier.record_work_experience,
    "record_continuing_education": RawDossier.record_continuing_education,
    "record_annual_assessments": RawDossier.record_annual_assessments,
    "fill_review_form": RawDossier.fill_review_form,
    "sign_commitment": RawDossier.sign_commitment,
}


class RawDossiers(Application):
    """get -> command -> save, one transaction per command; nothing else."""

    name = "RawDossiers"

    def __init__(self, database_url):
        ensure_database(database_url)
        super().__init__(env=persistence_env(database_url))

    def create(self, actor, **fields):
        dossier = RawDossier.create(actor, **fields)
        self.save(dossier)
        return dossier

    def _change(self, dossier_id, act):
        dossier = self.repository.get(dossier_id)
        act(dossier)
        self.save(dossier)
        return dossier

    # The use cases the mix runs, named as in Dossiers (services/dossier/commands.py).

    def edit_section(self, dossier_id, actor, command, **arguments):
        edit = RAW_SECTION_EDITS[command]
        return self._change(dossier_id, lambda dossier: edit(dossier, actor, **arguments))

    def attach_material(self, dossier_id, actor, **material):
        return self._change(dossier_id, lambda dossier: dossier.attach_material(actor, **material))

    def submit(self, dossier_id, actor):
        return self._change(dossier_id, lambda dossier: dossier.submit(actor))

    def approve(self, dossier_id, actor, *, opinion):
        return self._change(dossier_id, lambda dossier: dossier.approve(actor, opinion))


class DossiersWithoutProjection(Dossiers):
    """(e): the real Dossiers with the summary upsert left out, to split its cost from the hash chain's."""

    def save(self, *dossiers, **kwargs):
        return Application.save(self, *dossiers, **kwargs)


# =============================================================================================
# A no-op RPC service: the transport cost of one call with a dossier-sized request and reply.
# =============================================================================================


class BenchEcho:
    name = "bench_echo"
    reply = {}

    @rpc
    def echo(self, actor, dossier_id, section, data):
        return BenchEcho.reply


class WorkerTimer(DependencyProvider):
    """A passive observer added to a container: how long each worker ran, from set-up to after its reply
    was published (nameko calls ``worker_result`` after ``handle_result``). The service class is untouched."""

    bucket = None  # the list the running scenario collects worker durations into
    app_bucket = None  # ... and durations of the Dossiers application calls made inside those workers

    @staticmethod
    def time_app_calls(app, names=("create", "edit_section", "attach_material", "submit", "approve")):
        """Time the service's own Dossiers instance from inside its workers (instance attributes only)."""
        for name in names:
            call = getattr(app, name)

            def timed(*arguments, _call=call, **keywords):
                started = time.perf_counter()
                try:
                    return _call(*arguments, **keywords)
                finally:
                    if WorkerTimer.app_bucket is not None:
                        WorkerTimer.app_bucket.append(time.perf_counter() - started)
            setattr(app, name, timed)

    def worker_setup(self, worker_ctx):
        worker_ctx.data["bench_started"] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = worker_ctx.data.pop("bench_started", None)
        if started is not None and WorkerTimer.bucket is not None:
            WorkerTimer.bucket.append(time.perf_counter() - started)

    def get_dependency(self, worker_ctx):
        return None


class WarningCounter(logging.Handler):
    """Counts warnings logged while the benchmark runs (e.g. broker reconnects), to flag disturbed figures."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


# =============================================================================================
# Backends: the same commands, each a transaction, expressed for every scenario.
# =============================================================================================


def _arguments(section, payload):
    """Section payloads as the service receives them -> the aggregate command and its arguments."""
    command, _schema, style = SECTION_COMMANDS[section]
    if style == "kwargs":
        return command, payload
    return command, {style: payload["entries"] if style == "entries" else payload}


class EventStoreBackend:
    """(a), (d), (e): an application object called directly, no RPC."""

    def __init__(self, app):
        self.app = app

    def create(self, cast):
        return self.app.create(cast.applicant, **cast.creation_fields()).id

    def section(self, actor, dossier_id, section, payload):
        command, arguments = _arguments(section, payload)
        self.app.edit_section(dossier_id, actor, command, **arguments)

    def attach_material(self, actor, dossier_id, payload):
        self.app.attach_material(dossier_id, actor, **payload)

    def submit(self, actor, dossier_id):
        self.app.submit(dossier_id, actor)

    def approve(self, actor, dossier_id, opinion):
        return self.app.approve(dossier_id, actor, opinion=opinion).status


class RpcBackend:
    """(b): the dossier service through RabbitMQ; one proxy per caller (it is single-threaded)."""

    def __init__(self, amqp_uri):
        self._proxy = ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=120)
        self.cluster = self._proxy.start()
        self.rpc = self.cluster.dossier

    def close(self):
        self._proxy.stop()

    def create(self, cast):
        return self.rpc.create(cast.applicant.to_dict(), cast.creation_fields())["id"]

    def section(self, actor, dossier_id, section, payload):
        self.rpc.update_section(actor.to_dict(), dossier_id, section, payload)

    def attach_material(self, actor, dossier_id, payload):
        self.rpc.attach_material(actor.to_dict(), dossier_id, payload)

    def submit(self, actor, dossier_id):
        self.rpc.submit(actor.to_dict(), dossier_id)

    def approve(self, actor, dossier_id, opinion):
        version = self.rpc.get(dossier_id)["version"]
        return self.rpc.decide(actor.to_dict(), dossier_id, {"action": "approve", "opinion": opinion,
                                                             "expected_version": version})["status"]


plain_metadata = MetaData()
dossier_plain = Table(
    "dossier_plain",
    plain_metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("status", Text, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

_SET_SECTION = text(
    "UPDATE dossier_plain SET data = data || jsonb_build_object(CAST(:section AS text), CAST(:payload AS jsonb)), "
    "updated_at = now() WHERE id = :id AND status = :draft"
)
_ADD_MATERIAL = text(
    "UPDATE dossier_plain SET data = data || jsonb_build_object('materials', "
    "COALESCE(data->'materials', '[]'::jsonb) || jsonb_build_array(CAST(:material AS jsonb))), "
    "updated_at = now() WHERE id = :id AND status = :draft"
)
_SET_STATUS = text(
    "UPDATE dossier_plain SET status = :new, data = data || CAST(:patch AS jsonb), updated_at = now() "
    "WHERE id = :id AND status = :old"
)


class PlainSqlBackend:
    """(c): one mutable row per dossier; the status guard sits in the WHERE clause."""

    def __init__(self, engine):
        self.engine = engine

    def _write(self, statement, **parameters):
        with self.engine.begin() as connection:
            if connection.execute(statement, parameters).rowcount != 1:
                raise RuntimeError("plain SQL command matched no row")

    def create(self, cast):
        dossier_id = uuid.uuid4()
        data = dict(cast.creation_fields(), applicant_id=cast.applicant.account_id, actor=cast.applicant.to_dict())
        with self.engine.begin() as connection:
            connection.execute(insert(dossier_plain).values(
                id=dossier_id, status=st.DRAFT, data=data, updated_at=text("now()")))
        return dossier_id

    def section(self, actor, dossier_id, section, payload):
        self._write(_SET_SECTION, id=dossier_id, section=section, payload=json.dumps(payload), draft=st.DRAFT)

    def attach_material(self, actor, dossier_id, payload):
        self._write(_ADD_MATERIAL, id=dossier_id, material=json.dumps(payload), draft=st.DRAFT)

    def submit(self, actor, dossier_id):
        self._write(_SET_STATUS, id=dossier_id, new=st.SUBMITTED, old=st.DRAFT, patch="{}")

    def approve(self, actor, dossier_id, opinion):
        self._write(_SET_STATUS, id=dossier_id, new=st.UNIT_APPROVED, old=st.SUBMITTED,
                    patch=json.dumps({"unit_opinion": opinion}))
        return st.UNIT_APPROVED


def run_mix(backend, timed):
    """One dossier through the whole mix; every call timed on its own."""
    cast = Cast()
    applicant = cast.applicant
    dossier_id = timed(backend.create, cast)
    for section, payload in section_steps():
        timed(backend.section, applicant, dossier_id, section, payload)
    timed(backend.attach_material, applicant, dossier_id, material())
    timed(backend.submit, applicant, dossier_id)
    status = timed(backend.approve, cast.unit_admin, dossier_id, OPINION)
    if status != st.UNIT_APPROVED:
        raise RuntimeError(f"dossier ended in {status!r}, expected {st.UNIT_APPROVED!r}")
    return COMMANDS_PER_DOSSIER


# =============================================================================================
# Measurement.
# =============================================================================================


def host_cpu_ticks():
    """(busy, total) jiffies of the whole machine, from /proc/stat (None where unavailable)."""
    try:
        with open("/proc/stat") as handle:
            values = [int(value) for value in handle.readline().split()[1:]]
    except OSError:
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


class Scenario:
    """One row of the table: a workload over some callers, measured over several rounds and summed.

    Rounds interleave the scenarios, so a change in the machine's background load during the run
    hits every row alike instead of whichever row happened to be running.
    """

    def __init__(self, name, backends, *, work=run_mix, count_events=None):
        self.name, self.backends, self.work, self.count_events = name, backends, work, count_events
        self.concurrency = len(backends)
        self.pool = GreenPool(self.concurrency)
        self.events, self.seconds, self.cpu_seconds = 0, 0.0, 0.0
        self.mismatches = []  # stored events that do not match the commands sent
        self.host_busy_ticks = self.host_total_ticks = 0
        self.latencies, self.service_times, self.app_times = [], [], []

    def warm(self, dossiers_per_caller):
        """Connections, reply queues, statement caches: filled outside the timed window."""
        untimed = lambda function, *arguments: function(*arguments)  # noqa: E731
        list(self.pool.imap(lambda backend: [self.work(backend, untimed) for _ in range(dossiers_per_caller)],
                            self.backends))

    def run(self, dossiers):
        callers = self.concurrency
        share = [dossiers // callers + (1 if index < dossiers % callers else 0) for index in range(callers)]
        latencies = self.latencies

        def timed(function, *arguments):
            started = time.perf_counter()
            result = function(*arguments)
            latencies.append(time.perf_counter() - started)
            return result

        def caller(index):
            done = 0
            for _ in range(share[index]):
                done += self.work(self.backends[index], timed)
                eventlet.sleep(0)  # let the other callers in even where nothing else yields
            return done

        stored_before = self.count_events() if self.count_events else None
        WorkerTimer.bucket, WorkerTimer.app_bucket = self.service_times, self.app_times
        cpu_before, host_before, started = time.process_time(), host_cpu_ticks(), time.perf_counter()
        events = sum(self.pool.imap(caller, range(callers)))
        self.seconds += time.perf_counter() - started
        WorkerTimer.bucket = WorkerTimer.app_bucket = None
        self.cpu_seconds += time.process_time() - cpu_before
        host_after = host_cpu_ticks()
        if host_before and host_after:
            self.host_busy_ticks += host_after[0] - host_before[0]
            self.host_total_ticks += host_after[1] - host_before[1]
        if self.count_events:
            # Each dossier of the mix records each event type once: every type should grow by `dossiers`.
            stored = self.count_events()
            stored.subtract(stored_before)
            odd = {topic.rsplit(":", 1)[-1]: count for topic, count in stored.items() if count != dossiers}
            if sum(stored.values()) != events or odd:
                self.mismatches.append(f"{events} commands, {sum(stored.values())} events stored; "
                                       f"event types not stored once per dossier: {odd}")
        self.events += events

    @property
    def rate(self):
        return self.events / self.seconds if self.seconds else 0.0

    def percentile(self, fraction):
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))] * 1000

    @property
    def mean_ms(self):
        return sum(self.latencies) / len(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def cpu_ms_per_event(self):
        return self.cpu_seconds / self.events * 1000 if self.events else float("nan")

    @property
    def service_mean_ms(self):
        return sum(self.service_times) / len(self.service_times) * 1000 if self.service_times else float("nan")

    @property
    def app_mean_ms(self):
        return sum(self.app_times) / len(self.app_times) * 1000 if self.app_times else float("nan")

    @property
    def host_busy(self):
        return self.host_busy_ticks / self.host_total_ticks if self.host_total_ticks else None


def background_load(seconds=1.0):
    """Share of the machine's CPU busy while this process sleeps: other work that will skew the figures."""
    before = host_cpu_ticks()
    time.sleep(seconds)
    after = host_cpu_ticks()
    if not before or not after or after[1] == before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def echo_mix(backend, timed):
    """The RPC-only baseline: no-op calls carrying the same requests and a dossier-sized reply."""
    actor, dossier_id = {"account_id": "applicant-x", "role": "applicant", "org_id": None}, str(uuid.uuid4())
    for section, payload in (("create", Cast().creation_fields()), *section_steps(), ("material", material()),
                             ("submit", {}), ("approve", {"opinion": OPINION})):
        timed(backend.cluster.bench_echo.echo, actor, dossier_id, section, payload)
    return COMMANDS_PER_DOSSIER


def health_mix(backend, timed):
    for _ in range(COMMANDS_PER_DOSSIER):
        timed(backend.cluster.dossier.health)
    return COMMANDS_PER_DOSSIER


def in_memory_cost(rounds):
    """CPU µs per event for command + fold + encoding to a stored event, no database: raw vs Dossier."""
    raw_mapper = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}).mapper

    def one(create, section_edits):
        cast = Cast()
        dossier = create(cast)
        for section, payload in section_steps():
            command, arguments = _arguments(section, payload)
            section_edits[command](dossier, cast.applicant, **arguments)
        dossier.attach_material(cast.applicant, **material())
        dossier.submit(cast.applicant)
        dossier.approve(cast.unit_admin, OPINION)
        return [raw_mapper.to_stored_event(event) for event in dossier.collect_events()]

    def run(create, section_edits):
        started = time.process_time()
        for _ in range(rounds):
            one(create, section_edits)
        return (time.process_time() - started) / (rounds * COMMANDS_PER_DOSSIER) * 1e6

    raw = run(lambda cast: RawDossier.create(cast.applicant, **cast.creation_fields()), RAW_SECTION_EDITS)
    real = run(lambda cast: Dossier.create(cast.applicant, **cast.creation_fields()), SECTION_EDITS)
    return raw, real


class _InMemoryStore:
    """Stands in for the Dossiers dependency so the service's own method bodies run without a database."""

    def __init__(self):
        self.dossiers = {}

    def create(self, actor, *, command_key=None, **fields):
        dossier = Dossier.create(actor, **fields)
        self.dossiers[str(dossier.id)] = dossier
        return dossier

    def get(self, dossier_id):
        return self.dossiers[str(dossier_id)].to_dict()

    def _change(self, dossier_id, act):
        dossier = self.dossiers[str(dossier_id)]
        act(dossier)
        return dossier

    # The use cases the service's methods call (services/dossier/commands.py), in memory.

    def edit_section(self, dossier_id, actor, command, *, command_key=None, **arguments):
        edit = SECTION_EDITS[command]
        return self._change(dossier_id, lambda dossier: edit(dossier, actor, **arguments))

    def attach_material(self, dossier_id, actor, *, command_key=None, **material):
        return self._change(dossier_id, lambda dossier: dossier.attach_material(actor, **material))

    def submit(self, dossier_id, actor, sanctions=(), command_key=None):
        # The notice and eligibility checks need the database; they are in (d), not here.
        return self._change(dossier_id, lambda dossier: dossier.submit(actor))

    def approve(self, dossier_id, actor, *, opinion, expected_version=None, command_key=None):
        return self._change(dossier_id, lambda dossier: dossier.approve(actor, opinion))


def service_edge_cost(rounds):
    """CPU µs per command for DossierService's method bodies (schemas, Actor, command, to_dict), no I/O."""
    service = DossierService()
    service.dossiers = _InMemoryStore()

    backend = RpcBackend.__new__(RpcBackend)
    backend.rpc = service
    untimed = lambda function, *arguments: function(*arguments)  # noqa: E731
    started = time.process_time()
    for _ in range(rounds):
        run_mix(backend, untimed)
    service.dossiers.dossiers.clear()
    return (time.process_time() - started) / (rounds * COMMANDS_PER_DOSSIER) * 1e6


def projection_detail(app, iterations):
    """Split the summary projection's cost: the engine's pre-ping checkout, and the upsert statement
    in its own transaction where the version guard makes it change nothing (no row written).
    Also reports how SQLAlchemy's compiled-statement cache treated the upsert."""
    from sqlalchemy import event
    from sqlalchemy.engine.interfaces import CacheStats

    from services.dossier import projections

    cache = set()

    def note_cache(_connection, _cursor, statement, _parameters, context, _many):
        if statement.lstrip().upper().startswith("INSERT INTO DOSSIER_SUMMARY"):
            cache.add(CacheStats(context.cache_hit).name)

    with app.read_engine.connect() as connection:
        ids = [row[0] for row in connection.execute(text("SELECT dossier_id FROM dossier_summary LIMIT 50"))]
    dossiers = [app.load(dossier_id) for dossier_id in ids]

    def clock(function):
        cpu, wall = time.process_time(), time.perf_counter()
        for index in range(iterations):
            function(dossiers[index % len(dossiers)])
        return ((time.perf_counter() - wall) / iterations * 1000, (time.process_time() - cpu) / iterations * 1000)

    def checkout(_dossier):
        with app.read_engine.connect():
            pass

    def unchanged_upsert(dossier):
        with app.read_engine.begin() as connection:
            projections.upsert_summaries(connection, [dossier])

    event.listen(app.read_engine, "after_cursor_execute", note_cache)
    try:
        return clock(checkout), clock(unchanged_upsert), sorted(cache)
    finally:
        event.remove(app.read_engine, "after_cursor_execute", note_cache)


def publish_cost(amqp_uri, count, body):
    """ms per kombu publish of *body* (persistent, as nameko sends), without and with publisher confirms.
    nameko 2.14 confirms every RPC request and every reply, so each call waits for two broker acks."""
    from kombu import Connection, Producer, Queue

    costs = []
    for confirms in (False, True):
        with Connection(amqp_uri, transport_options={"confirm_publish": confirms}) as connection:
            channel = connection.channel()
            queue = Queue(f"bench-publish-{uuid.uuid4().hex[:8]}", durable=False, auto_delete=False)
            queue(channel).declare()
            producer = Producer(channel)
            try:
                for _ in range(20):
                    producer.publish(body, routing_key=queue.name, serializer="json", delivery_mode=2)
                started = time.perf_counter()
                for _ in range(count):
                    producer.publish(body, routing_key=queue.name, serializer="json", delivery_mode=2)
                costs.append((time.perf_counter() - started) / count * 1000)
            finally:
                queue(channel).delete()
    return tuple(costs)


def sample_reply():
    """A completed dossier's to_dict(): the size of a real command reply, for the echo service."""
    cast = Cast()
    dossier = Dossier.create(cast.applicant, **cast.creation_fields())
    for section, payload in section_steps():
        command, arguments = _arguments(section, payload)
        getattr(dossier, command)(cast.applicant, **arguments)
    dossier.attach_material(cast.applicant, **material())
    dossier.submit(cast.applicant)
    dossier.approve(cast.unit_admin, OPINION)
    reply = dossier.to_dict()
    return json.loads(json.dumps(reply, default=str))


# =============================================================================================
# Environment: fresh databases and vhost, always removed.
# =============================================================================================


class Environment:
    def __init__(self):
        self.run_id = uuid.uuid4().hex[:8]
        self.vhost = f"kunming_bench_{self.run_id}"
        self.amqp_uri = f"{AMQP_SERVER}/{self.vhost}"
        self.databases, self.cleanups = [], []
        self.vhost_created = False

    def database(self, label):
        url = f"{PG_SERVER}/kunming_bench_dossier_{self.run_id}_{label}"
        ensure_database(url)
        self.databases.append(url)
        return url

    def create_vhost(self):
        subprocess.run(["rabbitmqctl", "-q", "add_vhost", self.vhost], check=True, capture_output=True)
        self.vhost_created = True
        subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*"],
                       check=True, capture_output=True)

    def on_close(self, function):
        self.cleanups.append(function)
        return function

    def close(self):
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception as error:  # keep cleaning up
                print(f"cleanup: {error}", file=sys.stderr)
        for url in self.databases:
            try:
                drop_database(url)
            except Exception as error:
                print(f"could not drop {url}: {error}", file=sys.stderr)
        if self.vhost_created:
            subprocess.run(["rabbitmqctl", "-q", "delete_vhost", self.vhost], capture_output=True)


def open_app(env, factory, label):
    app = factory(env.database(label))
    env.on_close(app.close)
    if isinstance(app, Dossiers):
        open_notice(app)
    return app


def open_notice(app):
    """Creating and submitting need the year's notice published with its window open (policy)."""
    app.publish_notice(CITY_ADMIN, notice_document(Cast().creation_fields()["review_year"]))


def event_counter(engine, table):
    """Stored events by topic, read straight from the events table."""
    from collections import Counter

    def count():
        with engine.connect() as connection:
            rows = connection.execute(text(f"SELECT topic, count(*) FROM {table} GROUP BY topic"))
            return Counter({topic: number for topic, number in rows})

    return count


def app_event_counter(app):
    return event_counter(app.recorder.datastore.engine, app.recorder.events_table_name)


def start_services(env):
    config = {"AMQP_URI": env.amqp_uri, "DATABASE_URL": env.database("rpc"), "max_workers": 10}
    setup = Dossiers(config["DATABASE_URL"])  # tables and the open notice, before the service starts
    try:
        open_notice(setup)
    finally:
        setup.close()
    containers = [ServiceContainer(DossierService, config),
                  ServiceContainer(BenchEcho, {"AMQP_URI": env.amqp_uri, "max_workers": 10})]
    for container in containers:
        container.dependencies.add(WorkerTimer().bind(container, "bench_worker_timer"))
        container.start()
        env.on_close(container.stop)
    store = next(provider for provider in containers[0].dependencies if provider.attr_name == "dossiers")
    WorkerTimer.time_app_calls(store.app)
    return containers[0]


def rpc_backends(env, count):
    backends = [RpcBackend(env.amqp_uri) for _ in range(count)]
    for backend in backends:
        env.on_close(backend.close)
    return backends


# =============================================================================================
# Report.
# =============================================================================================


def print_table(results):
    header = (f"{'scenario':<36} {'conc':>4} {'events':>7} {'seconds':>8} {'events/s':>9} {'p50 ms':>8} "
              f"{'p99 ms':>8} {'mean ms':>8} {'pyCPU ms/ev':>11} {'host CPU':>8}")
    print(header)
    print("-" * len(header))
    for result in results:
        busy = f"{result.host_busy * 100:7.0f}%" if result.host_busy is not None else "     n/a"
        print(f"{result.name:<36} {result.concurrency:>4} {result.events:>7} {result.seconds:>8.2f} "
              f"{result.rate:>9.1f} {result.percentile(0.50):>8.2f} {result.percentile(0.99):>8.2f} "
              f"{result.mean_ms:>8.2f} {result.cpu_ms_per_event:>11.2f} {busy:>8}")


def ratio(b, a):
    return b.rate / a.rate if a.rate else float("nan")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=None,
                        help=f"dossiers per scenario ({COMMANDS_PER_DOSSIER} commands each); "
                             "default 320, or 6 with --quick")
    parser.add_argument("--concurrency", type=int, default=10, help="callers in the concurrent rows (default 10)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="interleaved rounds the dossiers are split into (default 4, 1 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run of a few seconds (6 dossiers, 1 round, at most 3 concurrent callers)")
    args = parser.parse_args(argv)
    dossiers = args.dossiers or (6 if args.quick else 320)
    concurrency = max(1, min(args.concurrency, 3 if args.quick else args.concurrency))
    warmup = 1 if args.quick else 3
    rounds = max(1, min(dossiers, args.rounds or (1 if args.quick else 4)))
    register_platform_errors()
    BenchEcho.reply = sample_reply()

    env = Environment()
    warnings_seen = WarningCounter()
    logging.getLogger().addHandler(warnings_seen)
    args.warnings_seen = warnings_seen

    def interrupted(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        return run(env, dossiers, concurrency, warmup, rounds, args)
    finally:
        env.close()


def run(env, dossiers, concurrency, warmup, rounds, args):
    env.create_vhost()
    load_before = background_load()
    green = psycopg2.extensions.get_wait_callback() is not None
    print(f"dossier command benchmark: {dossiers} dossiers x {COMMANDS_PER_DOSSIER} commands per scenario in "
          f"{rounds} interleaved rounds, concurrency {concurrency}, {os.cpu_count()} CPUs, psycopg2 "
          f"{'cooperative (eventlet wait callback, as under nameko)' if green else 'BLOCKING (no wait callback)'}",
          flush=True)

    raw = open_app(env, RawDossiers, "raw")
    real = open_app(env, Dossiers, "app")
    no_projection = open_app(env, DossiersWithoutProjection, "noproj")
    plain_engine = create_engine(env.database("plain"), future=True, pool_size=concurrency,
                                 max_overflow=concurrency)
    env.on_close(plain_engine.dispose)
    plain_metadata.create_all(plain_engine)
    start_services(env)
    service_db = env.databases[-1]
    counter_engine = create_engine(service_db, future=True, pool_size=1)  # counts the service's stored events
    env.on_close(counter_engine.dispose)

    rpc_events = event_counter(counter_engine, "dossiers_events")
    sequential_rpc = rpc_backends(env, 1)
    concurrent_rpc = rpc_backends(env, concurrency)
    sequential_rpc[0].rpc.health()  # the service's tables exist once it has answered

    def scenarios(callers, rpc):
        same = lambda backend: [backend] * callers  # noqa: E731  one shared application, as in the service
        return {
            "c": Scenario("(c) plain SQL, mutable status", same(PlainSqlBackend(plain_engine))),
            "a": Scenario("(a) raw eventsourcing app", same(EventStoreBackend(raw)),
                          count_events=app_event_counter(raw)),
            "e": Scenario("(e) Dossiers app, no RPC, no proj.", same(EventStoreBackend(no_projection)),
                          count_events=app_event_counter(no_projection)),
            "d": Scenario("(d) Dossiers app, no RPC", same(EventStoreBackend(real)),
                          count_events=app_event_counter(real)),
            "echo": Scenario("RPC echo (no-op, same payloads)", rpc, work=echo_mix),
            "b": Scenario("(b) DossierService over RPC", rpc, count_events=rpc_events),
        }

    sequential = scenarios(1, sequential_rpc)
    concurrent = scenarios(concurrency, concurrent_rpc) if concurrency > 1 else {}
    health = Scenario("RPC health (6 small reads)", sequential_rpc, work=health_mix)
    everything = [*sequential.values(), *concurrent.values(), health]
    for scenario in everything:
        scenario.warm(warmup)

    for round_number in range(rounds):
        share = dossiers // rounds + (1 if round_number < dossiers % rounds else 0)
        # Rotate the order each round so no row always follows the same neighbour.
        for group in (sequential, concurrent):
            keys = list(group)
            keys = keys[round_number % len(keys):] + keys[:round_number % len(keys)] if keys else keys
            for key in keys:
                group[key].run(share)
        health.run(max(1, share // 4))
        print(f"  round {round_number + 1}/{rounds} done", file=sys.stderr, flush=True)
    raw_us, real_us = in_memory_cost(200 if args.quick else 1000)
    edge_us = service_edge_cost(100 if args.quick else 500)
    publish_plain, publish_confirmed = publish_cost(env.amqp_uri, 100 if args.quick else 1000, BenchEcho.reply)
    ping, unchanged, upsert_cache = projection_detail(real, 50 if args.quick else 500)
    load_after = background_load()

    order = ["c", "a", "e", "d", "echo", "b"]
    print()
    print_table([sequential[key] for key in order] + [health] + [concurrent[key] for key in order if concurrent])
    print("pyCPU = CPU time of this Python process (bench callers + in-process service) per event; "
          "host CPU = whole machine, 100% = all cores busy.")
    loads = [f"{load * 100:.0f}%" if load is not None else "n/a" for load in (load_before, load_after)]
    print(f"machine busy with other work while idle: {loads[0]} before the run, {loads[1]} after"
          + (" -- figures are skewed by other load" if any(load and load > 0.15 for load in (load_before, load_after)) else ""))

    print()
    print("ratios (throughput, events/s):")
    for label, group in (("sequential", sequential), (f"concurrent x{concurrency}", concurrent)):
        if group:
            print(f"  {label:<15} b/a = {ratio(group['b'], group['a']):.2f}   b/c = {ratio(group['b'], group['c']):.2f}"
                  f"   (d/a = {ratio(group['d'], group['a']):.2f}, a/c = {ratio(group['a'], group['c']):.2f});"
                  f"  pyCPU per event a/b = {group['a'].cpu_ms_per_event / group['b'].cpu_ms_per_event:.2f}")
    print("  (one Python process does all the work of a row, so 1000 / pyCPU ms is that row's ceiling in events/s;"
          " for (b) the pyCPU includes the calling proxies' side of each RPC)")

    s = sequential
    def part(label, latency_ms, cpu_ms=None):
        return label, latency_ms, cpu_ms

    b_inside, echo_inside = s["b"].service_mean_ms, s["echo"].service_mean_ms
    parts = [
        part("raw event store: get + save, 1 transaction (a)", s["a"].mean_ms, s["a"].cpu_ms_per_event),
        part("Dossier domain, hash chain, notice + policy (e - a)", s["e"].mean_ms - s["a"].mean_ms,
             s["e"].cpu_ms_per_event - s["a"].cpu_ms_per_event),
        part("summary projection upsert (d - e)", s["d"].mean_ms - s["e"].mean_ms,
             s["d"].cpu_ms_per_event - s["e"].cpu_ms_per_event),
        part("RPC round trip, no-op echo (both ends, this process)", s["echo"].mean_ms, s["echo"].cpu_ms_per_event),
        part("service edge: schemas, to_dict, worker (b - d - echo)",
             s["b"].mean_ms - s["d"].mean_ms - s["echo"].mean_ms,
             s["b"].cpu_ms_per_event - s["d"].cpu_ms_per_event - s["echo"].cpu_ms_per_event),
    ]
    total = s["b"].mean_ms
    print()
    print(f"where a sequential (b) command's {total:.2f} ms goes (differences of the rows above):")
    print(f"  {'':<55} {'latency':>10} {'share':>6} {'of it pyCPU':>12}")
    for label, latency, cpu in parts:
        print(f"  {label:<55} {latency:7.2f} ms {latency / total * 100:5.1f}% {cpu:9.2f} ms")
    print(f"  timed inside the worker (set-up to reply published): (b) {b_inside:.2f} ms, echo {echo_inside:.2f} ms;"
          f" so outside it (publish, broker, dispatch, reply, proxy): (b) {total - b_inside:.2f} ms,"
          f" echo {s['echo'].mean_ms - echo_inside:.2f} ms")
    b_app = s["b"].app_mean_ms
    print(f"  inside (b)'s worker: its Dossiers application call {b_app:.2f} ms (the same call made directly, (d): "
          f"{s['d'].mean_ms:.2f} ms); the rest of the worker {b_inside - b_app:.2f} ms (echo's whole worker: "
          f"{echo_inside:.2f} ms)")
    print(f"  one publish of a dossier-sized reply (kombu, persistent): {publish_plain:.2f} ms without confirm, "
          f"{publish_confirmed:.2f} ms with; nameko confirms both the request and the reply of every RPC")
    print(f"  in-memory, no I/O, CPU per command: raw aggregate command + fold + encode {raw_us:.0f} µs; "
          f"Dossier (checks + hash chain) {real_us:.0f} µs;")
    print(f"    DossierService method bodies around an in-memory Dossier (marshmallow schemas, Actor, to_dict) "
          f"{edge_us:.0f} µs, i.e. {edge_us - real_us:.0f} µs of edge work")
    print(f"  summary projection, measured alone on (d)'s engine: pre-ping checkout {ping[0]:.2f} ms "
          f"({ping[1]:.2f} ms CPU); upsert transaction that writes no row {unchanged[0]:.2f} ms "
          f"({unchanged[1]:.2f} ms CPU); SQLAlchemy statement cache for the upsert: {', '.join(upsert_cache)}"
          + (" (compiled anew on every command)" if upsert_cache == ["NO_CACHE_KEY"] else ""))

    print()
    goal = ratio(s["b"], s["a"])
    overhead = parts[1:]
    biggest = max(overhead, key=lambda item: item[1])
    if goal >= 0.5:
        verdict = f"b/a = {goal:.2f} (sequential) >= 0.5: goal met"
    else:
        verdict = (f"b/a = {goal:.2f} (sequential) < 0.5: goal missed; the largest cost on top of the raw event store "
                   f"is {biggest[0]} at {biggest[1]:.2f} ms of {total:.2f} ms per command "
                   f"({biggest[2]:.2f} ms of it CPU in this process)")
    if concurrent:
        verdict += f"; concurrent x{concurrency}: b/a = {ratio(concurrent['b'], concurrent['a']):.2f}"
    print(verdict)
    for scenario in everything:
        for mismatch in scenario.mismatches:
            print(f"note: {scenario.name} (x{scenario.concurrency}): {mismatch}")
    if args.warnings_seen.records:
        first = args.warnings_seen.records[0]
        print(f"note: {len(args.warnings_seen.records)} warnings were logged during the run, first: "
              f"{first.name}: {first.getMessage()[:120]} -- the figures may be disturbed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
