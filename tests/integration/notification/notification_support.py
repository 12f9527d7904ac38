"""One notification deployment for a group of tests, isolated on a database and virtual host of its
own: the real NotificationService (one instance or several), the real IdentityService (accounts
seeded with phones) and, at the RPC boundary only, the dossier's ``get_notice`` and the payment's
``get_fee_schedule`` as small stand-in services whose answers a test sets. Dossier, identity and
review events are published on the real bus as their publishers would."""
import itertools
import uuid
from datetime import date, datetime, time, timedelta, timezone

import time as _time

from kombu import Connection, Exchange, Producer
from nameko.containers import ServiceContainer
from nameko.rpc import rpc
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, select

from services.identity.service import IdentityService
from services.identity.tables import Account, Organisation, RoleGrant
from services.notification.dependencies import build_notifications
from services.notification.service import NotificationService
from services.notification.tables import deliveries, messages
from shared.clock import BEIJING, utc_now
from shared.contracts.dossier_errors import NoticeNotFound
from shared.contracts.dossier_events import DOSSIER_EXCHANGE
from shared.contracts.identity import UNIT
from tests.service_configs import service_config

# Tests run on a fixed Beijing calendar (the clock below), whatever the real date and hour.
TODAY = date(2026, 6, 10)
_notification_ids = itertools.count(1)


class Clock:
    """A clock that runs with real time from an instant a test chooses (Beijing wall-clock time)."""

    def __init__(self):
        self.at(10)

    def at(self, hour, minute=0, day=None):
        moment = datetime.combine(day or TODAY, time(hour, minute), tzinfo=BEIJING).astimezone(timezone.utc)
        self._anchor, self._started = moment, _time.monotonic()

    def travel(self, **delta):
        self._anchor += timedelta(**delta)

    def __call__(self):
        return self._anchor + timedelta(seconds=_time.monotonic() - self._started)


# --- the stand-ins at the RPC boundary --------------------------------------------------------------

NOTICES = {}  # review year -> the notice document get_notice answers (absent: NoticeNotFound)
FEES = {}  # review year -> review_fees_fen
CERTIFICATE_FEES = {}  # review year -> certificate_fee_fen (absent: 0, as the default policy has it)


class DossierStandIn:
    name = "dossier"

    @rpc(expected_exceptions=NoticeNotFound)
    def get_notice(self, review_year):
        if review_year not in NOTICES:
            raise NoticeNotFound(f"{review_year}年度职称评审通知尚未发布")
        return {"review_year": review_year, "version": 1, "notice": NOTICES[review_year]}


class PaymentStandIn:
    name = "payment"

    @rpc
    def get_fee_schedule(self, review_year):
        fees = FEES.get(review_year, {"primary": 10000, "intermediate": 16000, "associate_senior": 36000,
                                      "senior": 36000})
        return {"review_year": review_year, "review_fees_fen": fees,
                "certificate_fee_fen": CERTIFICATE_FEES.get(review_year, 0)}


def beijing(day, hour=17, minute=0):
    """An aware ISO instant at *hour* Beijing time on *day*, as a notice holds it."""
    return datetime.combine(day, time(hour, minute), tzinfo=BEIJING).isoformat()


def notice(review_year, *, window_end=None, **deadlines):
    """A notice document with the window ending *window_end* (a date) and deadlines (dates)."""
    document = {"review_year": review_year, "window": {"start": beijing(TODAY - timedelta(days=60), 9),
                                                       "end": beijing(window_end or TODAY + timedelta(days=60))},
                "deadlines": {name: beijing(day) if day else None for name, day in deadlines.items()}}
    NOTICES[review_year] = document
    return document


# --- people in identity -------------------------------------------------------------------------------

def new_phone():
    return f"13{uuid.uuid4().int % 10 ** 9:09d}"


class People:
    """Accounts and organisations written straight into identity's tables (the service reads them)."""

    def __init__(self, identity_app, city_id, district_id):
        self.session_factory, self.city_id, self.district_id = identity_app.session_factory, city_id, district_id

    def unit(self):
        with self.session_factory.begin() as session:
            unit = Organisation(id=str(uuid.uuid4()), name=f"测试单位{uuid.uuid4().hex[:6]}", kind=UNIT,
                                parent_id=self.district_id)
            session.add(unit)
        return unit.id

    def person(self, name="测试人员", role=None, org_id=None, phone=True):
        """``{account_id, name, phone}`` of a new active account, with *role* at *org_id* if given."""
        number = new_phone() if phone else None
        with self.session_factory.begin() as session:
            account = Account(id=str(uuid.uuid4()), name=name, phone=number, login_name=f"t{uuid.uuid4().hex[:12]}",
                              password_hash="not-for-login")
            session.add(account)
            session.flush()
            if role:
                session.add(RoleGrant(account_id=account.id, role=role, org_id=org_id))
        return {"account_id": account.id, "name": name, "phone": number}


# --- dossier events ----------------------------------------------------------------------------------

def snapshot(applicant, unit_id, review_year=2026, **overrides):
    return {"applicant_id": applicant["account_id"], "applicant_name": applicant["name"], "unit_id": unit_id,
            "unit_name": "测试单位", "district_id": "d-1", "district_name": "五华区人社局", "review_year": review_year,
            "series": "engineering", "specialty": "土木工程", "level": "intermediate", "submitted_at": None,
            **overrides}


def dossier_event(event_name, dossier_id, version, status, dossier, data=None, at=None):
    """A ``dossier_<event_name>`` message as the dossier's relay publishes it (DossierEventV1)."""
    return {"schema_version": 1, "event_id": f"{dossier_id}:{version}", "event_type": f"dossier_{event_name}",
            "notification_id": next(_notification_ids), "dossier_id": dossier_id, "version": version,
            "status": status, "occurred_at": (at or utc_now()).isoformat(),
            "actor": {"account_id": "someone", "role": "applicant", "org_id": None}, "data": data or {},
            "dossier": dossier}


class System:
    def __init__(self, name, database_url, amqp_vhost, identity_config, **overrides):
        self.clock = Clock()
        self.amqp_uri = amqp_vhost(name)
        self.config = service_config("services/notification/config.yaml")
        self.config.update(AMQP_URI=self.amqp_uri, DATABASE_URL=database_url(name), CLOCK=self.clock,
                           EVENT_HANDLING={"max_attempts": 3, "retry_pause_seconds": 0.05})
        self.config["SMS"].update(EXPOSE_OUTBOX=True)
        # Timers off: tests run the same duties by hand, or start instances with their own timers.
        self.config.update(DELIVERY={**self.config["DELIVERY"], "interval_seconds": 0},
                           REMINDERS={**self.config["REMINDERS"], "interval_seconds": 0},
                           DIGEST={**self.config["DIGEST"], "interval_seconds": 0})
        for section, values in overrides.items():
            self.config[section] = {**self.config.get(section, {}), **values} if isinstance(values, dict) else values
        self.identity_config = {**identity_config, "AMQP_URI": self.amqp_uri}
        self.containers = []
        self.engine = create_engine(self.config["DATABASE_URL"])
        self.app = None

    def start(self, instances=1, stand_ins=True):
        services = [(IdentityService, self.identity_config)]
        if stand_ins:
            services += [(DossierStandIn, {"AMQP_URI": self.amqp_uri}), (PaymentStandIn, {"AMQP_URI": self.amqp_uri})]
        services += [(NotificationService, self.config)] * instances
        for service_cls, config in services:
            self.start_one(service_cls, config)
        self.app = build_notifications(self.config)  # the same database, for duties a timer would run
        return self

    def start_one(self, service_cls, config):
        container = ServiceContainer(service_cls, config)
        container.start()
        self.containers.append(container)
        return container

    def instance_config(self, **sections):
        """The notification config with *sections* merged in (``DELIVERY={"interval_seconds": 0.1}``)."""
        config = dict(self.config)
        for section, values in sections.items():
            config[section] = {**config.get(section, {}), **values}
        return config

    def stop(self):
        for container in reversed(self.containers):
            container.stop()
        if self.app is not None:
            self.app.close()
        self.engine.dispose()

    def rpc(self):
        return ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, timeout=30)

    def publish(self, *events, times=1):
        """Publish each dossier event *times* times on the dossier exchange (duplicate deliveries)."""
        exchange = Exchange(DOSSIER_EXCHANGE, type="topic", durable=True)
        with Connection(self.amqp_uri) as connection:
            producer = Producer(connection.channel())
            for event in events:
                for _ in range(times):
                    producer.publish(event, exchange=exchange, routing_key=event["event_type"], serializer="json",
                                     delivery_mode=2, declare=[exchange])

    def dispatch(self, source, event_type, payload, times=1):
        """Publish a nameko event of another service (identity's join request, review's meeting)."""
        send = event_dispatcher({"AMQP_URI": self.amqp_uri})
        for _ in range(times):
            send(source, event_type, payload)

    def messages_of(self, account_id):
        with self.engine.connect() as connection:
            return [dict(row) for row in connection.execute(select(messages).where(
                messages.c.account_id == account_id).order_by(messages.c.created_at)).mappings()]

    def sms_of(self, account_id=None, phone=None):
        condition = deliveries.c.account_id == account_id if account_id else deliveries.c.phone == phone
        with self.engine.connect() as connection:
            return [dict(row) for row in connection.execute(select(deliveries).where(condition).order_by(
                deliveries.c.created_at)).mappings()]
