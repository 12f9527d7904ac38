"""Fraud sanctions, and whether an account may apply for a title now."""
from sqlalchemy import select

from shared.contracts.identity import CONFIRMED
from shared.roles import APPLICANT, CITY_ADMIN, SYSTEM

from .. import domain
from ..tables import Membership, RoleGrant, Sanction, new_id
from .records import ACTIVE, account_by_id, acting_account
from .views import sanction_view


class Sanctions:
    """Sanctions bar an account from applying until the end date recorded with each (``bars_until``).

    How many years a sanction bars is the review year's policy (``sanction_bar_years``, read by whoever
    finds the fraud from the dossier service's notice) and comes with each sanction; identity keeps
    no number of its own (docs/domain-rules.md R4.9, R4.10)."""

    def __init__(self, database, clock):
        self.database, self.clock = database, clock

    def record_sanction(self, actor, account_id, kind, reason, sanctioned_on, bar_years, reference=None):
        """The city admin (or review or certificate, acting as system) records a fraud sanction barring
        *bar_years* from *sanctioned_on*. Once per *reference*: asked again, it answers the first."""
        with self.database.transaction() as session:
            acting_account(session, actor)
            domain.require_role(actor, CITY_ADMIN, SYSTEM)
            account = account_by_id(session, account_id)
            if reference:
                earlier = session.scalar(select(Sanction).where(
                    Sanction.account_id == account.id, Sanction.kind == kind, Sanction.reference == reference))
                if earlier is not None:
                    return sanction_view(earlier)
            sanction = Sanction(
                id=new_id(), account_id=account.id, kind=kind, reason=reason, reference=reference,
                sanctioned_on=sanctioned_on, bars_until=domain.sanction_end(sanctioned_on, bar_years),
                recorded_by=actor.account_id, recorded_at=self.clock(),
            )
            session.add(sanction)
            session.flush()
            self.database.audit(session, "sanction_recorded", "success", account.id, actor=actor, kind=kind,
                                bar_years=bar_years, bars_until=sanction.bars_until.isoformat())
            return sanction_view(sanction)

    def sanctions_of(self, account_id):
        with self.database.transaction() as session:
            account_by_id(session, account_id)
            rows = session.scalars(select(Sanction).where(Sanction.account_id == account_id)
                                   .order_by(Sanction.sanctioned_on))
            return [sanction_view(row) for row in rows]

    def can_apply(self, account_id, review_year, unit_id=None, on=None):
        """Whether the account may apply, with every reason why not (sanction, unit, disabled account)."""
        today = on or domain.local_date(self.clock())
        with self.database.transaction() as session:
            account = account_by_id(session, account_id)
            confirmed = session.scalars(select(Membership.unit_id).where(
                Membership.account_id == account.id, Membership.status == CONFIRMED)).all()
            is_applicant = session.scalar(select(RoleGrant.id).where(
                RoleGrant.account_id == account.id, RoleGrant.role == APPLICANT)) is not None
            sanctions = session.execute(select(Sanction.kind, Sanction.bars_until).where(
                Sanction.account_id == account.id)).all()
        refusals = domain.application_refusals(
            active=account.status == ACTIVE, is_applicant=is_applicant, confirmed_unit_ids=confirmed,
            unit_id=unit_id, sanctions=[tuple(row) for row in sanctions], today=today,
        )
        return {
            "account_id": account.id, "review_year": review_year, "allowed": not refusals,
            "unit_id": confirmed[0] if confirmed else None,
            "reasons": [{"code": r.code, "message": r.message} for r in refusals],
        }
