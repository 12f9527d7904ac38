"""The platform's one clock: the current instant (aware, UTC) and the Beijing calendar date.

Storage keeps UTC instants. Every calendar date that a rule or a person means — today, a deadline,
a validity period, a meeting or publicity day, the date inside an order or certificate number, a
report's default day, "a birth date not in the future" — is the date in Asia/Shanghai, and comes
from here. A service that takes a ``clock`` takes a callable like :func:`utc_now`, so a test can
move time (:class:`TravelClock`) without touching the machine's clock.
"""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def utc_now() -> datetime:
    """The current instant, aware, in UTC: what every stored timestamp is."""
    return datetime.now(timezone.utc)


def beijing_now(clock=utc_now) -> datetime:
    """The current instant as Beijing wall-clock time."""
    return clock().astimezone(BEIJING)


def beijing_today(clock=utc_now) -> date:
    """Today's date in Beijing, whatever the server's own time zone."""
    return beijing_date(clock())


def beijing_date(moment: datetime) -> date:
    """The Beijing calendar date of an aware instant (a naive one is refused: it has no date)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no Beijing date; pass an aware one")
    return moment.astimezone(BEIJING).date()


def beijing_text(moment: datetime, pattern="%Y-%m-%d %H:%M") -> str:
    """An aware instant written as Beijing wall-clock time, for people and documents."""
    return moment.astimezone(BEIJING).strftime(pattern)


def beijing_day_start(day: date) -> datetime:
    """The instant (UTC) at which *day* begins in Beijing."""
    return datetime.combine(day, time.min, tzinfo=BEIJING).astimezone(timezone.utc)


def beijing_day_end(day: date) -> datetime:
    """The last microsecond (UTC) of *day* in Beijing: a window "until *day*" closes here."""
    return beijing_day_start(day + timedelta(days=1)) - timedelta(microseconds=1)


def as_beijing_if_naive(moment: datetime) -> datetime:
    """A person's typed date-time without an offset means Beijing time; an aware one is kept."""
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)


class TravelClock:
    """Real time plus an offset that a test moves (a publicity window ends, a deadline passes)."""

    def __init__(self, base=utc_now):
        self.base = base
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return self.base() + self.offset

    def travel(self, **delta):
        self.offset += timedelta(**delta)

    def reset(self):
        self.offset = timedelta()


class FixedClock:
    """A clock stopped at one instant (unit tests of rules that depend on the hour)."""

    def __init__(self, moment: datetime):
        if moment.tzinfo is None:
            raise ValueError("a clock needs an aware instant")
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def configured_clock(config) -> "callable":
    """The clock a service container runs on: ``config["CLOCK"]`` when a test or an in-process demo
    puts a callable there (YAML cannot hold one), else the real :func:`utc_now`."""
    clock = (config or {}).get("CLOCK")
    return clock if callable(clock) else utc_now
