"""Use cases of committees and their expert pools: the city admin manages them, the office reads them.

A committee's minimums and longest approval are the policy of the review year its approval starts in
(``valid_from``), read at the step (services/review/policy.py) and recorded with the committee. The vote's
quorum and pass share are the year's policy too; a committee no longer carries shares of its own (its
``settings`` column keeps which policy version it was checked against). An expert's unit, which
same-unit recusal compares, is their organisation membership in identity; only the city admin's
recorded, reasoned act (``change_expert_unit``) changes it for a pool.
"""
from datetime import date

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from shared.contracts.identity import UNIT as UNIT_KIND
from shared.errors import NotFound
from shared.roles import AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY, EXPERT
from shared.titles import LEVELS, SERIES

from ..committee_tables import committee_experts, committees, expert_unit_changes, meeting_experts, meetings
from ..context import Clock, new_id
from ..domain import committees as rules
from ..domain.ballots import DRAWN, OPEN
from ..domain.scoping import require_role
from ..exceptions import CommitteeNotFound, CommitteeRuleError, InvalidReviewCommandError, ReviewNotAllowedError
from ..policy import YearPolicies, record_readings
from ..ports import IdentityPort
from ..settings import Settings

READERS = (CITY_ADMIN, COMMITTEE_SECRETARY, AUDITOR)


class CommitteeCases:
    """Committees and their expert pools; identity confirms each expert and names their unit.

    Meetings, the draw and the ballot read committees through ``committee_row``, ``pool`` and
    ``check_office``."""

    def __init__(self, engine, identity: IdentityPort, settings: Settings, clock: Clock, policies: YearPolicies):
        self.engine, self.identity, self.settings, self.clock = engine, identity, settings, clock
        self.policies = policies

    def create_committee(self, actor, data):
        require_role(actor, CITY_ADMIN, action="组建评委会")
        committee = dict(data, valid_from=data.get("valid_from") or self.clock.today())
        policy = self._check_committee(committee, pool_size=0)
        now = self.clock.now()
        row = {**committee, "id": new_id(), "settings": policy.provenance(), "created_by": actor.account_id,
               "created_at": now, "updated_at": now}
        with self.engine.begin() as connection:
            connection.execute(insert(committees).values(row))
            record_readings(connection, f"committee:{row['id']}", [policy], _committee_settings, now)
        return self.get_committee(actor, row["id"])

    def update_committee(self, actor, committee_id, changes):
        require_role(actor, CITY_ADMIN, action="调整评委会")
        changes = {name: value for name, value in changes.items() if not (name == "valid_from" and value is None)}
        committee = {**self.committee_row(committee_id), **changes}
        policy = self._check_committee(committee, pool_size=self.pool_size(committee_id))
        now = self.clock.now()
        with self.engine.begin() as connection:
            connection.execute(update(committees).where(committees.c.id == str(committee_id))
                               .values(**changes, settings=policy.provenance(), updated_at=now))
            record_readings(connection, f"committee:{committee_id}", [policy], _committee_settings, now)
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
            changes = connection.execute(select(expert_unit_changes)
                                         .where(expert_unit_changes.c.committee_id == str(committee_id))
                                         .order_by(expert_unit_changes.c.changed_at.desc())).mappings().all()
        view = self._committee_view(committee, len(experts))
        view["experts"] = [{key: value for key, value in expert.items() if key not in ("committee_id", "active")}
                           | {"added_at": expert["added_at"].isoformat()} for expert in experts]
        view["unit_changes"] = [{key: (value.isoformat() if hasattr(value, "isoformat") else value)
                                 for key, value in change.items() if key != "committee_id"} for change in changes]
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

    def change_expert_unit(self, actor, committee_id, expert_id, data):
        """The city admin's recorded act changing the unit an expert of the pool recuses by (for
        instance an expert who moved and whose membership identity has not caught up): it needs a
        reason, names a unit identity knows, and is kept with who and when, shown on the committee page."""
        require_role(actor, CITY_ADMIN, action="更改专家回避单位")
        self.committee_row(committee_id)
        with self.engine.connect() as connection:
            expert = connection.execute(select(committee_experts).where(
                committee_experts.c.committee_id == str(committee_id), committee_experts.c.expert_id == expert_id,
                committee_experts.c.active.is_(True))).mappings().first()
        if expert is None:
            raise CommitteeRuleError("该专家不在本评委会专家库中", fields={"expert_id": ["不在专家库中"]})
        try:
            unit = self.identity.get_org(data["unit_id"])
        except NotFound:
            raise InvalidReviewCommandError("回避单位不存在", fields={"unit_id": ["单位不存在"]}) from None
        if unit.get("kind") != UNIT_KIND:
            raise InvalidReviewCommandError("回避单位须为用人单位", fields={"unit_id": ["不是用人单位"]})
        if unit["id"] == expert["unit_id"]:
            raise InvalidReviewCommandError(f"专家「{expert['name']}」的回避单位已是「{expert['unit_name']}」",
                                            fields={"unit_id": ["与当前回避单位相同"]})
        now = self.clock.now()
        with self.engine.begin() as connection:
            connection.execute(insert(expert_unit_changes).values(
                id=new_id(), committee_id=str(committee_id), expert_id=expert_id, expert_name=expert["name"],
                from_unit_id=expert["unit_id"], from_unit_name=expert["unit_name"], to_unit_id=unit["id"],
                to_unit_name=unit.get("name") or "", reason=data["reason"], changed_by=actor.account_id,
                changed_at=now))
            connection.execute(update(committee_experts).where(
                committee_experts.c.committee_id == str(committee_id), committee_experts.c.expert_id == expert_id
            ).values(unit_id=unit["id"], unit_name=unit.get("name") or ""))
            # A meeting whose vote has not opened recuses by the new unit too; an open vote keeps its voters.
            connection.execute(update(meeting_experts).where(
                meeting_experts.c.expert_id == expert_id,
                meeting_experts.c.meeting_id.in_(select(meetings.c.id).where(
                    meetings.c.committee_id == str(committee_id), meetings.c.state == DRAWN))
            ).values(unit_id=unit["id"]))
        return self.get_committee(actor, committee_id)

    def _expert_row(self, committee_id, entry):
        """The pool entry of an expert: name and unit as identity has them (the unit is their membership)."""
        account = self.identity.get_account(entry["expert_id"])
        if not any(role["role"] == EXPERT for role in account.get("roles") or []):
            raise CommitteeRuleError(f"账号「{account.get('name')}」没有评审专家身份,不能加入专家库",
                                     fields={"experts": [f"{entry['expert_id']} 不是评审专家账号"]})
        membership = account.get("membership") or {}
        unit_id = membership.get("unit_id")
        if not unit_id:
            raise CommitteeRuleError(f"专家「{account.get('name')}」没有登记工作单位,无法执行回避规则;"
                                     "请专家先在身份认证中加入所在单位",
                                     fields={"experts": [f"{entry['expert_id']} 缺少工作单位"]})
        return {"committee_id": str(committee_id), "expert_id": entry["expert_id"],
                "name": entry.get("name") or account.get("name") or "", "unit_id": unit_id,
                "unit_name": membership.get("unit_name") or "",
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

    def policy_of(self, committee):
        """The policy a committee is judged by: that of the review year its approval starts in."""
        return self.policies.of(committee["valid_from"].year)

    def vote_policy(self, review_year=None):
        """The policy whose quorum and pass share a meeting applies: its dossiers' review year, else this year's."""
        return self.policies.of(review_year or self.clock.today().year)

    def _check_committee(self, committee, pool_size):
        policy = self.policy_of(committee)
        rules.check_committee(committee, policy.committee_minimums, policy.max_valid_years, pool_size)
        return policy

    def _committee_view(self, row, pool_size):
        view = {key: (value.isoformat() if isinstance(value, date) else value) for key, value in dict(row).items()}
        band = rules.band_of(row["levels"])
        policy = self.policy_of(row)
        vote = self.vote_policy()
        view.update(
            series_label=SERIES.get(row["series"], row["series"]),
            level_labels=[LEVELS[level] for level in row["levels"]],
            band=band, band_label=rules.BAND_LABELS[band],
            organised_by_label=rules.ORGANISED_BY[row["organised_by"]],
            minimum_members=rules.minimum_members(row["levels"], row["organised_by"], policy.committee_minimums),
            max_valid_years=policy.max_valid_years, policy=policy.provenance(),
            # The vote's shares as this year's policy has them (a meeting applies its dossiers' year's).
            settings={"quorum_share": vote.quorum_share, "pass_share": vote.pass_share},
            pool_size=pool_size, pool_complete=pool_size == row["member_count"],
            valid_today=row["valid_from"] <= self.clock.today() <= row["valid_until"],
            unconfirmed=rules.UNCONFIRMED_MINIMUMS if band != "senior" else None,
        )
        return view


def _committee_settings(policy):
    return {"committees.minimums": policy.committee_minimums, "committees.max_valid_years": policy.max_valid_years}
