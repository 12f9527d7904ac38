"""Use cases of committees and their expert pools: the city admin manages them, the office reads them."""
from datetime import date

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from shared.roles import AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY, EXPERT
from shared.titles import LEVELS, SERIES

from ..committee_tables import committee_experts, committees, meeting_experts, meetings
from ..context import Clock, new_id
from ..domain import committees as rules
from ..domain.ballots import DRAWN, OPEN, share
from ..domain.scoping import require_role
from ..exceptions import CommitteeNotFound, CommitteeRuleError, ReviewNotAllowedError
from ..ports import IdentityPort
from ..settings import Settings

READERS = (CITY_ADMIN, COMMITTEE_SECRETARY, AUDITOR)


class CommitteeCases:
    """Committees and their expert pools; identity confirms each expert and names their unit.

    Meetings, the draw and the ballot read committees through ``committee_row``, ``pool`` and
    ``check_office``."""

    def __init__(self, engine, identity: IdentityPort, settings: Settings, clock: Clock):
        self.engine, self.identity, self.settings, self.clock = engine, identity, settings, clock

    def create_committee(self, actor, data):
        require_role(actor, CITY_ADMIN, action="组建评委会")
        committee = dict(data, valid_from=data.get("valid_from") or self.clock.today())
        self._check_committee(committee, pool_size=0)
        now = self.clock.now()
        row = {**committee, "id": new_id(), "created_by": actor.account_id, "created_at": now, "updated_at": now}
        with self.engine.begin() as connection:
            connection.execute(insert(committees).values(row))
        return self.get_committee(actor, row["id"])

    def update_committee(self, actor, committee_id, changes):
        require_role(actor, CITY_ADMIN, action="调整评委会")
        changes = {name: value for name, value in changes.items() if not (name == "valid_from" and value is None)}
        committee = {**self.committee_row(committee_id), **changes}
        self._check_committee(committee, pool_size=self.pool_size(committee_id))
        if "settings" in changes:
            changes = {**changes, "settings": committee["settings"]}
        with self.engine.begin() as connection:
            connection.execute(update(committees).where(committees.c.id == str(committee_id))
                               .values(**changes, updated_at=self.clock.now()))
        return self.get_committee(actor, committee_id)

    def delete_committee(self, actor, committee_id):
        """Only a committee that never held a meeting can be deleted; otherwise its record stays."""
        require_role(actor, CITY_ADMIN, action="撤销评委会")
        self.committee_row(committee_id)
        with self.engine.begin() as connection:
            held = connection.execute(select(func.count()).select_from(meetings)
                                      .where(meetings.c.committee_id == str(committee_id))).scalar()
            if held:
                raise CommitteeRuleError("该评委会已组织过评审会议,记录须保留,不能删除")
            connection.execute(delete(committee_experts).where(committee_experts.c.committee_id == str(committee_id)))
            connection.execute(delete(committees).where(committees.c.id == str(committee_id)))
        return {"deleted": str(committee_id)}

    def list_committees(self, actor):
        require_role(actor, *READERS, action="查看评委会")
        statement = select(committees).order_by(committees.c.created_at)
        if actor.role == COMMITTEE_SECRETARY:
            statement = statement.where(committees.c.office_org_id == actor.org_id)
        with self.engine.connect() as connection:
            rows = connection.execute(statement).mappings().all()
        return [self._committee_view(row, self.pool_size(row["id"])) for row in rows]

    def get_committee(self, actor, committee_id):
        require_role(actor, *READERS, action="查看评委会")
        committee = self.committee_row(committee_id)
        self.check_office(actor, committee)
        with self.engine.connect() as connection:
            experts = connection.execute(select(committee_experts)
                                         .where(committee_experts.c.committee_id == str(committee_id),
                                                committee_experts.c.active.is_(True))
                                         .order_by(committee_experts.c.added_at, committee_experts.c.expert_id)
                                         ).mappings().all()
        view = self._committee_view(committee, len(experts))
        view["experts"] = [{key: value for key, value in expert.items() if key not in ("committee_id", "active")}
                           | {"added_at": expert["added_at"].isoformat()} for expert in experts]
        return view

    # -- the expert pool ------------------------------------------------------------------

    def add_experts(self, actor, committee_id, data):
        """Add expert accounts to the pool: identity confirms each is an expert and names their unit."""
        require_role(actor, CITY_ADMIN, action="维护专家库")
        committee = self.committee_row(committee_id)
        with self.engine.connect() as connection:
            present = set(connection.execute(select(committee_experts.c.expert_id).where(
                committee_experts.c.committee_id == str(committee_id), committee_experts.c.active.is_(True))).scalars())
        entries = [entry for entry in data["experts"] if entry["expert_id"] not in present]
        rules.check_pool_room(committee, len(present), len({entry["expert_id"] for entry in entries}))
        rows = [self._expert_row(committee_id, entry) for entry in entries]
        with self.engine.begin() as connection:
            for row in rows:
                statement = insert(committee_experts).values(row)
                connection.execute(statement.on_conflict_do_update(
                    index_elements=[committee_experts.c.committee_id, committee_experts.c.expert_id],
                    set_={name: statement.excluded[name] for name in row if name not in ("committee_id", "expert_id")}))
        return self.get_committee(actor, committee_id)

    def remove_expert(self, actor, committee_id, expert_id):
        require_role(actor, CITY_ADMIN, action="维护专家库")
        self.committee_row(committee_id)
        with self.engine.begin() as connection:
            busy = connection.execute(
                select(func.count())
                .select_from(meeting_experts.join(meetings, meetings.c.id == meeting_experts.c.meeting_id))
                .where(meetings.c.committee_id == str(committee_id), meeting_experts.c.expert_id == expert_id,
                       meetings.c.state.in_((DRAWN, OPEN)))).scalar()
            if busy:
                raise CommitteeRuleError("该专家已被抽取参加尚未结束的评审会议,会议结束后方可移出专家库")
            connection.execute(update(committee_experts).where(
                committee_experts.c.committee_id == str(committee_id), committee_experts.c.expert_id == expert_id
            ).values(active=False))
        return self.get_committee(actor, committee_id)

    def _expert_row(self, committee_id, entry):
        account = self.identity.get_account(entry["expert_id"])
        if not any(role["role"] == EXPERT for role in account.get("roles") or []):
            raise CommitteeRuleError(f"账号「{account.get('name')}」没有评审专家身份,不能加入专家库",
                                     fields={"experts": [f"{entry['expert_id']} 不是评审专家账号"]})
        membership = account.get("membership") or {}
        unit_id = entry.get("unit_id") or membership.get("unit_id")
        if not unit_id:
            raise CommitteeRuleError(f"专家「{account.get('name')}」没有登记工作单位,无法执行回避规则",
                                     fields={"experts": [f"{entry['expert_id']} 缺少工作单位"]})
        return {"committee_id": str(committee_id), "expert_id": entry["expert_id"],
                "name": entry.get("name") or account.get("name") or "", "unit_id": unit_id,
                "unit_name": entry.get("unit_name") or membership.get("unit_name") or "",
                "title": entry["title"], "specialty": entry["specialty"], "active": True, "added_at": self.clock.now()}

    # -- helpers shared with meetings -----------------------------------------------------

    def committee_row(self, committee_id):
        with self.engine.connect() as connection:
            row = connection.execute(select(committees).where(committees.c.id == str(committee_id))).mappings().first()
        if row is None:
            raise CommitteeNotFound(f"评委会 {committee_id} 不存在")
        return dict(row)

    def pool(self, committee_id):
        with self.engine.connect() as connection:
            rows = connection.execute(select(committee_experts).where(
                committee_experts.c.committee_id == str(committee_id), committee_experts.c.active.is_(True))).mappings()
            return [dict(row) for row in rows]

    def pool_size(self, committee_id):
        return len(self.pool(committee_id))

    def check_office(self, actor, committee):
        """The committee office runs its own committee's meetings; the city admin and auditor see all."""
        if actor.role == COMMITTEE_SECRETARY and committee.get("office_org_id") != actor.org_id:
            raise ReviewNotAllowedError("只能办理本评委会办公室负责的评委会事务")

    def _check_committee(self, committee, pool_size):
        settings = committee.get("settings") or {}
        for name in ("quorum_share", "pass_share"):
            share(settings.get(name, "2/3"))
        committee["settings"] = {"quorum_share": settings.get("quorum_share", self.settings.quorum_share),
                                 "pass_share": settings.get("pass_share", self.settings.pass_share)}
        rules.check_committee(committee, self.settings.committee_minimums, pool_size)

    def _committee_view(self, row, pool_size):
        view = {key: (value.isoformat() if isinstance(value, date) else value) for key, value in dict(row).items()}
        band = rules.band_of(row["levels"])
        view.update(
            series_label=SERIES.get(row["series"], row["series"]),
            level_labels=[LEVELS[level] for level in row["levels"]],
            band=band, band_label=rules.BAND_LABELS[band],
            organised_by_label=rules.ORGANISED_BY[row["organised_by"]],
            minimum_members=rules.minimum_members(row["levels"], row["organised_by"], self.settings.committee_minimums),
            pool_size=pool_size, pool_complete=pool_size == row["member_count"],
            valid_today=row["valid_from"] <= self.clock.today() <= row["valid_until"],
            unconfirmed=rules.UNCONFIRMED_MINIMUMS if band != "senior" else None,
        )
        return view
