"""The review service with the real dossier and identity services around it, for integration tests.

Everything runs in this process on real PostgreSQL and RabbitMQ (the run's integration vhost): the
dossier service and its outbox relay (so review's handlers receive real events), identity seeded
with the demo organisations and experts, and dossier and review on one clock the tests can move.
"""
import copy
import uuid
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path

import eventlet
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, select

from services.dossier.application import Dossiers
from services.dossier.relay import OutboxRelay, run
from services.dossier.service import DossierService
from services.identity.seed import ENGINEERING_COMMITTEE, seed_id
from services.identity.service import IdentityService
from services.review.service import ReviewService
from services.review.tables import review_queue
from shared.clock import BEIJING, TravelClock, beijing_today
from shared.config import load_config
from shared.roles import Actor
from tests.factories import (
    Cast, annual_assessments, basic_info, continuing_education, education, material, mobile_phone, notice_document,
    required_uploads, resident_id, review_form, work_experience,
)
from tests.waiting import wait_until
from tests.ballot_casting import cast_sealed

ROOT = Path(__file__).resolve().parents[3]
CITY = Actor(account_id="review-city-admin", role="city_admin", org_id=seed_id("org", "昆明市人社局"))
SECRETARY = Actor(account_id="review-secretary", role="committee_secretary", org_id=seed_id("org", ENGINEERING_COMMITTEE))
AUDITOR = Actor(account_id="review-auditor", role="auditor", org_id=CITY.org_id)
SYSTEM = {"account_id": "system", "role": "system"}
UNIT_JIA = seed_id("org", "演示单位甲")
EXPERTS = [seed_id("account", f"expert{number:02d}") for number in range(1, 16)]


def expert(number):
    """The seeded expert ``expertNN`` acting as themselves (their unit: 甲, 乙, 丙, 丁, 戊, 甲, …)."""
    return Actor(account_id=EXPERTS[number - 1], role="expert", org_id=seed_id("org", ENGINEERING_COMMITTEE))


class ReviewSystem:
    def __init__(self, database_url, amqp_uri):
        self.amqp_uri = amqp_uri
        # The system's now and today, dossier and review alike (a unit approval and the publicity that
        # follows it happen on one timeline); tests move it.
        self.clock = TravelClock()
        self.dossier_config = {"AMQP_URI": amqp_uri, "DATABASE_URL": database_url("review_dossier"), "max_workers": 10,
                               "COMMANDS": {"retries": 6, "retry_backoff_seconds": 0.01}, "CLOCK": self.clock}
        identity = copy.deepcopy(load_config(ROOT / "services/identity/config.yaml"))
        identity.update(AMQP_URI=amqp_uri, DATABASE_URL=database_url("review_identity"))
        identity["PASSWORDS"].update(ARGON2_TIME_COST=1, ARGON2_MEMORY_KIB=8, ARGON2_PARALLELISM=1)
        self.identity_config = identity
        self.review_config = self.review_instance_config(database_url("review"))
        self.containers, self._stop, self._runner = [], [], None

    def review_instance_config(self, database_url, **timers):
        config = copy.deepcopy(load_config(ROOT / "services/review/config.yaml"))
        config.update(AMQP_URI=self.amqp_uri, DATABASE_URL=database_url, CLOCK=self.clock)
        config.pop("LOGGING", None)
        # Timers of the main instance stay quiet; tests that need timers start instances of their own.
        config["TIMERS"] = {"deadlines_seconds": 3600, "publicity_seconds": 3600, **timers}
        return config

    def start(self):
        from services.identity.dependencies import open_database, password_hasher
        from services.identity.seed import seed_demo
        from tests.integration.dossier.conftest import ensure_open_notice

        engine, sessions = open_database(self.identity_config)
        try:
            with sessions.begin() as session:
                seed_demo(session, password_hasher(self.identity_config), "Kunming@2026")
        finally:
            engine.dispose()
        self.dossier_app = Dossiers(self.dossier_config["DATABASE_URL"])
        ensure_open_notice(self.dossier_app)
        for cls, config in ((IdentityService, self.identity_config), (DossierService, self.dossier_config),
                            (ReviewService, self.review_config)):
            self.start_service(cls, config)
        self.relay = OutboxRelay(self.dossier_app, self.amqp_uri, batch_size=50)
        self._runner = eventlet.spawn(run, self.dossier_app, [self.relay], poll_interval=0.05,
                                      should_stop=lambda: bool(self._stop))
        self.proxy_context = ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, timeout=60)
        proxy = self.proxy_context.start()
        self.review, self.dossier, self.identity = proxy.review, proxy.dossier, proxy.identity
        self.review_engine = create_engine(self.review_config["DATABASE_URL"])
        return self

    def start_service(self, cls, config):
        container = ServiceContainer(cls, config)
        container.start()
        self.containers.append(container)
        return container

    def stop(self):
        self._stop.append(True)
        if self._runner is not None:
            self._runner.wait()
            self.relay.close()
        self.proxy_context.stop()
        for container in reversed(self.containers):
            container.stop()
        self.dossier_app.close()
        self.review_engine.dispose()

    # -- waiting for events -----------------------------------------------------------------

    def queue_version(self, dossier_id):
        with self.review_engine.connect() as connection:
            return connection.execute(select(review_queue.c.version)
                                      .where(review_queue.c.dossier_id == dossier_id)).scalar()

    def wait_projected(self, dossier_id, seconds=30):
        """Wait until review's queue holds the dossier's newest version (delivered by the bus)."""
        target = len(self.dossier.history(dossier_id))
        wait_until(lambda: (self.queue_version(dossier_id) or 0) >= target, seconds,
                   what=f"review to see version {target} of {dossier_id}")
        return target

    # -- driving dossiers through the chain -------------------------------------------------

    def new_cast(self, applicant_id=None, **overrides):
        cast = Cast(**overrides)
        if applicant_id:
            cast.applicant = Actor(account_id=applicant_id, role="applicant")
        return cast

    def submitted(self, cast, **fields):
        """A complete, eligible dossier of *cast*, submitted; returns its id."""
        actor = cast.applicant.to_dict()
        dossier_id = self.dossier.create(actor, cast.creation_fields(**fields))["id"]
        # Records up to the year before the review year (2026: 2017–2025 assessed, 2023–2025 studied).
        last = fields.get("review_year", 2026) - 1
        for section, data in (("basic_info", basic_info()), ("education", {"entries": education()}),
                              ("work_experience", {"entries": work_experience()}),
                              ("annual_assessments", {"entries": annual_assessments(last=last)}),
                              ("continuing_education", {"entries": continuing_education(years=range(last - 2, last + 1))}),
                              ("review_form", review_form())):
            self.dossier.update_section(actor, dossier_id, section, data)
        signed = fields.get("applicant_name", "李明")
        self.dossier.update_section(actor, dossier_id, "commitment", {"statement_version": "2026-1", "signed_name": signed})
        self.dossier.attach_material(actor, dossier_id, material())
        self.attach_required(actor, dossier_id)
        self.dossier.submit(actor, dossier_id)
        return dossier_id

    def attach_required(self, actor, dossier_id):
        """One file for each file the year's checklist still asks of the dossier (its notice's policy)."""
        state = self.dossier.get(dossier_id)
        policy = self.dossier.get_notice(state["review_year"])["policy"]
        for upload in required_uploads(state, policy):
            self.dossier.attach_material(actor, dossier_id, material(
                category=upload["category"], filename=upload["filename"], sha256=uuid.uuid4().hex * 2,
                year=upload["year"], achievement_id=upload["achievement_id"]))

    def decide(self, actor, dossier_id, decision):
        """``review.decide`` made on the dossier as it stands now: the version a reviewer would have
        seen on the page (decisions name it; a dossier moved since is refused)."""
        version = self.dossier.get(dossier_id)["version"]
        return self.review.decide(actor, dossier_id, {**decision, "expected_version": version})

    def unit_approved(self, cast, count=1, **fields):
        ids = [self.submitted(cast, **fields) for _ in range(count)]
        for dossier_id in ids:
            self.decide(cast.unit_admin.to_dict(), dossier_id, {"action": "approve", "opinion": "同意推荐"})
        return ids

    def publicised_in_unit(self, cast, dossier_ids, start=None):
        """Unit publicity from today: it may neither predate the unit approval nor be backdated, so it is
        over only once its working days have passed (``unit_publicity_over``)."""
        start = start or beijing_today(self.clock)
        return self.review.record_unit_publicity(cast.unit_admin.to_dict(),
                                                 {"dossier_ids": dossier_ids, "start": start.isoformat()})

    @contextmanager
    def unit_publicity_over(self, publicity):
        """Inside the block it is the day after *publicity* ends (the batch may go up); then back again."""
        before = self.clock.offset
        self.travel_to(date.fromisoformat(publicity["end"]) + timedelta(days=1))
        try:
            yield
        finally:
            self.clock.offset = before

    def open_notice_from(self, day):
        """The 2026 notice again, its application window opening on *day* (for tests set on that day)."""
        start = datetime.combine(day, wall_time(0), tzinfo=BEIJING)
        end = max(start, self.clock()) + timedelta(days=30)
        self.dossier.publish_notice(CITY.to_dict(), notice_document(2026, start=start, end=end,
                                                                     policy={"max_active_dossiers": 10}))

    def travel_to(self, day, hour=10):
        """Move the clock to *hour* o'clock Beijing time on *day* (forward or back)."""
        target = datetime.combine(day, wall_time(hour), tzinfo=BEIJING)
        self.clock.travel(seconds=(target - self.clock()).total_seconds())

    def recommended(self, cast, count=1, **fields):
        ids = self.unit_approved(cast, count, **fields)
        with self.unit_publicity_over(self.publicised_in_unit(cast, ids)):
            answer = self.review.submit_batch(cast.unit_admin.to_dict(), {"dossier_ids": ids})
        assert answer["saved"], answer
        return ids

    def fee_paid(self, cast, count=1, **fields):
        ids = self.recommended(cast, count, **fields)
        for dossier_id in ids:
            self.decide(cast.district_admin.to_dict(), dossier_id, {"action": "approve", "opinion": "同意上报"})
            self.decide(CITY.to_dict(), dossier_id, {"action": "approve", "opinion": "受理"})
            self.dossier.record_fee_paid(SYSTEM, dossier_id, f"order-{dossier_id[:8]}", 16000)
        return ids

    # -- committees and meetings ------------------------------------------------------------

    def committee(self, **overrides):
        # A short unique suffix: a long run of digits in a name would look like an ID number on public lists.
        data = {"name": f"工程系列中级评审委员会-{uuid.uuid4().hex[:8]}", "series": "engineering",
                "levels": ["intermediate"], "organised_by": "series", "organising_body": "昆明市人力资源和社会保障局",
                "office_org_id": SECRETARY.org_id, "valid_until": (beijing_today() + timedelta(days=700)).isoformat(),
                "member_count": 15, **overrides}
        committee = self.review.create_committee(CITY.to_dict(), data)
        experts = [{"expert_id": expert_id, "title": "高级工程师", "specialty": "土木工程"} for expert_id in EXPERTS]
        return self.review.add_experts(CITY.to_dict(), committee["id"], {"experts": experts[:data["member_count"]]})

    def open_meeting(self, dossier_ids, *, drawn=(1, 2, 3, 4, 5, 6, 7, 8, 9), attending=None):
        """A meeting of a fresh committee whose draw yields exactly the experts numbered *drawn*
        (the others are excluded as unavailable), all of them attending unless told otherwise."""
        committee = self.committee()
        meeting = self.review.create_meeting(SECRETARY.to_dict(), {
            "committee_id": committee["id"], "meeting_date": beijing_today(self.clock).isoformat(), "expert_count": len(drawn)})
        assigned = self.review.assign_dossiers(SECRETARY.to_dict(), meeting["id"], {"dossier_ids": dossier_ids})
        assert assigned["assigned"] == len(dossier_ids), assigned
        unavailable = [{"expert_id": EXPERTS[n - 1], "reason": "会期冲突"} for n in range(1, 16) if n not in drawn]
        self.review.draw_experts(SECRETARY.to_dict(), meeting["id"], {"exclusions": unavailable})
        present = [EXPERTS[n - 1] for n in (attending or drawn)]
        self.review.record_attendance(SECRETARY.to_dict(), meeting["id"], {"expert_ids": present})
        return self.review.open_meeting(SECRETARY.to_dict(), meeting["id"])

    def passed(self, cast, count=1, **fields):
        """Dossiers that went through a meeting where every drawn expert agreed."""
        ids = self.fee_paid(cast, count, **fields)
        meeting = self.open_meeting(ids)
        for number in range(1, 10):
            for dossier_id in ids:
                cast_sealed(self.review, expert(number).to_dict(), meeting["id"], dossier_id, "agree")
        self.review.close_meeting(SECRETARY.to_dict(), meeting["id"])
        return ids

    def registered_applicant(self, name="李明"):
        """An applicant account in identity (so exports and sanctions find a real person)."""
        account = self.identity.register({"name": name, "id_number": resident_id(), "phone": mobile_phone(),
                                          "password": "Passw0rd-review"})
        return account["id"]
