"""The review year's policy as review reads it (shared/contracts/year_policy.py): publicity days, the
vote's quorum and pass share, committee minimums and validity, the per-level deadlines and what
happens after them.

Review keeps none of these numbers. It asks the dossier service (``get_notice``) at the step it takes,
so the version in force then is the one applied; a ``YearPolicies`` lives as long as one request
(``Review`` is built per call), so a request reads each year once and never an older version than the
one published when it began. A year without a published notice is judged by the platform defaults
(``effective_policy()``, version ``None``), which is what publishing one would start from.
"""
import uuid
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select

from shared.clock import as_beijing_if_naive
from shared.contracts.year_policy import effective_policy
from shared.errors import NotFound

from .tables import policy_readings


class YearPolicy(NamedTuple):
    review_year: int
    version: int | None  # the notice version read; None: no notice, the platform defaults
    policy: dict
    notice: dict | None

    @property
    def unit_publicity_days(self):
        return int(self.policy["publicity"]["unit_working_days"])

    @property
    def city_publicity_days(self):
        return int(self.policy["publicity"]["city_working_days"])

    @property
    def quorum_share(self):
        return str(self.policy["vote"]["quorum_share"])

    @property
    def pass_share(self):
        return str(self.policy["vote"]["pass_share"])

    @property
    def committee_minimums(self):
        return {band: {kind: int(number) for kind, number in values.items()}
                for band, values in self.policy["committees"]["minimums"].items()}

    @property
    def max_valid_years(self):
        return int(self.policy["committees"]["max_valid_years"])

    @property
    def after_level_deadline(self):
        return self.policy.get("after_level_deadline") or "stay"

    def deadline(self, level):
        """The notice's deadline of a review level (unit, district, city) as an aware moment, or None."""
        value = ((self.notice or {}).get("deadlines") or {}).get(level)
        if not value:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return as_beijing_if_naive(moment)

    def provenance(self):
        """What a record of a step names as the policy it applied."""
        return {"review_year": self.review_year, "policy_version": self.version}


class YearPolicies:
    """Each review year's policy in force, read once per request from the dossier service."""

    def __init__(self, dossiers):
        self.dossiers = dossiers
        self._read = {}

    def of(self, review_year) -> YearPolicy:
        year = int(review_year)
        if year not in self._read:
            try:
                answer = self.dossiers.get_notice(year)
            except NotFound:
                self._read[year] = YearPolicy(year, None, effective_policy(), None)
            else:
                self._read[year] = YearPolicy(year, answer.get("version"), answer.get("policy") or effective_policy(),
                                              answer.get("notice"))
        return self._read[year]

    def strictest(self, review_years, reading):
        """The largest of *reading(policy)* over several years (a list mixing years meets each year's minimum)."""
        policies = [self.of(year) for year in sorted(set(review_years))]
        if not policies:
            return None, []
        return max(reading(policy) for policy in policies), policies


def record_readings(connection, subject, policies, settings, now):
    """Record which version of each year's policy *subject* applied, with the values it took from it."""
    rows = [{"id": str(uuid.uuid4()), "subject": subject, "review_year": policy.review_year,
             "policy_version": policy.version, "settings": settings(policy), "read_at": now} for policy in policies]
    if rows:
        connection.execute(policy_readings.insert().values(rows))


def readings_of(connection, subject):
    """``[{review_year, policy_version, settings}]`` recorded for *subject*, oldest first."""
    statement = (select(policy_readings.c.review_year, policy_readings.c.policy_version, policy_readings.c.settings)
                 .where(policy_readings.c.subject == subject).order_by(policy_readings.c.read_at))
    return [dict(row) for row in connection.execute(statement).mappings()]
