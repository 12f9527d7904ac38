"""Use cases of objections (异议, docs/domain-rules.md R7.4, R7.6, R4.10): anyone objects during the window, with a contact and
within the limits; the city admin dismisses (the dossier proceeds) or upholds (its result is
cancelled; fraud also records the 3-year sanction in identity)."""
from datetime import timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from shared.errors import NotFound, PlatformError
from shared.roles import AUDITOR, CITY_ADMIN

from ..context import Clock, QueueRows, new_id, wire
from ..domain import publicity as rules
from ..domain.scoping import require_role
from ..exceptions import ObjectionNotFound, PublicityWindowError
from ..publicity_tables import objections, publicity_entries
from ..ports import DossierPort, IdentityPort
from ..settings import Settings
from .publicity import PublicityCases, plain_row


class ObjectionCases:
    """Objections to a publicity entry; the dossier records them, identity records a fraud sanction."""

    def __init__(self, engine, rows: QueueRows, dossiers: DossierPort, identity: IdentityPort,
                 publicity: PublicityCases, settings: Settings, clock: Clock):
        self.engine, self.rows, self.dossiers, self.identity = engine, rows, dossiers, identity
        self.publicity, self.settings, self.clock = publicity, settings, clock

    def lodge_objection(self, publicity_id, objection, source_address=None):
        """Anyone objects during the window with a contact; limited per contact and per address."""
        publicity = self.publicity.publicity(publicity_id)
        entry = self.publicity.entry(publicity["id"], objection["dossier_id"])
        rules.check_open_for_objections(self.clock.today(), publicity["start"], publicity["end"])
        if entry["state"] in (rules.CANCELLED, rules.ENDED):
            raise PublicityWindowError("该人员的公示已结束,不再受理异议")
        contact_key = rules.normalise_contact(objection["contact"])
        address_key = rules.address_key(source_address, self.settings.address_pepper)
        objection_id, now = new_id(), self.clock.now()
        with self.engine.begin() as connection:
            # One check-and-insert at a time per contact, so parallel requests cannot slip past the limit.
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                               {"key": f"objection:{contact_key}"})
            self._check_rate(connection, contact_key, address_key, now)
            connection.execute(insert(objections).values(
                id=objection_id, publicity_id=publicity["id"], dossier_id=entry["dossier_id"],
                contact=objection["contact"].strip(), contact_key=contact_key, address_key=address_key,
                objector_name=objection.get("name") or "", facts=objection["facts"].strip(), state=rules.OPEN,
                lodged_at=now, fraud=False, sanction_state="none"))
        try:
            dossier = self.dossiers.raise_objection(entry["dossier_id"], objection_id,
                                                    f"公示期间收到异议(编号 {objection_id[:8]}),正在核查")
        except Exception:
            with self.engine.begin() as connection:
                connection.execute(objections.delete().where(objections.c.id == objection_id))
            raise
        self.rows.refresh(dossier)
        self.publicity.set_entry_state(publicity["id"], entry["dossier_id"], rules.HELD)
        return {"objection_id": objection_id, "state": rules.OPEN, "message": "异议已受理,我们将核查并与您联系"}

    def _check_rate(self, connection, contact_key, address_key, now):
        limits = self.settings.objection_limits
        since = now - timedelta(hours=limits.window_hours)
        by_contact = connection.execute(select(func.count()).select_from(objections).where(
            objections.c.contact_key == contact_key, objections.c.lodged_at >= since)).scalar()
        by_address = 0
        if address_key:
            by_address = connection.execute(select(func.count()).select_from(objections).where(
                objections.c.address_key == address_key, objections.c.lodged_at >= since)).scalar()
        rules.check_rate(limits, by_contact, by_address)

    def list_objections(self, actor, query):
        require_role(actor, CITY_ADMIN, AUDITOR, action="查看异议")
        statement = select(objections).order_by(objections.c.lodged_at.desc(), objections.c.id)
        if query.get("state"):
            statement = statement.where(objections.c.state == query["state"])
        if query.get("publicity_id"):
            statement = statement.where(objections.c.publicity_id == query["publicity_id"])
        with self.engine.connect() as connection:
            return [_objection_view(row) for row in connection.execute(statement).mappings()]

    def resolve_objection(self, actor, objection_id, resolution):
        """Dismiss (the dossier proceeds) or uphold (its result is cancelled; fraud: a 3-year sanction)."""
        require_role(actor, CITY_ADMIN, action="处理异议")
        objection = self._objection(objection_id)
        if objection["state"] != rules.OPEN:
            raise PublicityWindowError(f"该异议已处理(结论:{rules.OBJECTION_STATES[objection['state']]})")
        upheld = resolution["outcome"] == rules.UPHELD
        fraud = upheld and resolution["fraud"]
        dossier = self.dossiers.resolve_objection(wire(actor), objection["dossier_id"], objection["id"],
                                                  resolution["outcome"], resolution["reason"], fraud)
        self.rows.refresh(dossier)
        with self.engine.begin() as connection:
            connection.execute(update(objections).where(objections.c.id == objection["id"]).values(
                state=resolution["outcome"], resolved_by=actor.account_id, resolved_at=self.clock.now(),
                resolution_reason=resolution["reason"], fraud=fraud, sanction_state="pending" if fraud else "none"))
        if upheld:
            self.publicity.set_entry_state(objection["publicity_id"], objection["dossier_id"], rules.CANCELLED)
        elif not dossier["open_objections"]:
            self.publicity.set_entry_state(objection["publicity_id"], objection["dossier_id"], rules.LISTED)
        if fraud:
            self.record_sanction(objection["id"])
        return _objection_view(self._objection(objection["id"]))

    def record_sanction(self, objection_id):
        """Record the fraud sanction of an upheld objection in identity (retried by the timer on failure)."""
        objection = self._objection(objection_id)
        with self.engine.connect() as connection:
            applicant_id = connection.execute(select(publicity_entries.c.applicant_id).where(
                publicity_entries.c.publicity_id == objection["publicity_id"],
                publicity_entries.c.dossier_id == objection["dossier_id"])).scalar()
        try:
            sanction = self.identity.record_sanction(
                applicant_id, f"公示异议成立,认定弄虚作假:{objection['resolution_reason']}"[:1000],
                self.clock.today().isoformat(), self._fraud_bar_years(objection["dossier_id"]),
                f"objection:{objection['id']}")
        except PlatformError:
            return None
        with self.engine.begin() as connection:
            connection.execute(update(objections).where(objections.c.id == objection["id"])
                               .values(sanction_state="recorded", sanction=sanction))
        return sanction

    def _fraud_bar_years(self, dossier_id):
        """The bar of the policy of the year the fraud was found in (docs/domain-rules.md R4.10); with no
        notice for that year yet, the dossier's own review year's."""
        try:
            notice = self.dossiers.get_notice(self.clock.today().year)
        except NotFound:
            notice = self.dossiers.get_notice(self.dossiers.get(dossier_id)["review_year"])
        return int(notice["policy"]["sanction_bar_years"]["fraud"])

    def _objection(self, objection_id):
        with self.engine.connect() as connection:
            row = connection.execute(select(objections).where(objections.c.id == str(objection_id))).mappings().first()
        if row is None:
            raise ObjectionNotFound(f"异议 {objection_id} 不存在")
        return dict(row)


def _objection_view(row):
    view = {key: value for key, value in plain_row(row).items() if key not in ("contact_key", "address_key")}
    view["state_label"] = rules.OBJECTION_STATES[row["state"]]
    return view
