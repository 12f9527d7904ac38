"""Storage of the annual notices in the dossier database: one current notice per review year, plus
every published version of it, so an auditor can see which policy was in force at any time."""
from sqlalchemy import Column, DateTime, Integer, String, Table, select
from sqlalchemy.dialects.postgresql import JSONB, insert

from shared.roles import CITY_ADMIN, Actor
from shared.schemas import load_or_raise, plain

from shared.contracts.notice_schemas import NoticeSchema
from .policy import Notice
from .policy_defaults import UNCONFIRMED
from .exceptions import NoticeNotFound, NoticePermissionError
from .projections import metadata

notices = Table(
    "notices",
    metadata,
    Column("review_year", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("notice", JSONB, nullable=False),
    Column("published_by", String(64), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
)

notice_versions = Table(
    "notice_versions",
    metadata,
    Column("review_year", Integer, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("notice", JSONB, nullable=False),
    Column("published_by", String(64), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
)


def publish(connection, actor: Actor, document, now):
    """Validate *document* and make it the notice of its review year (insert or replace); city admins only."""
    if actor.role != CITY_ADMIN:
        raise NoticePermissionError(f"只有市人社局审核员可以发布年度评审通知(当前角色:{actor.role_label})")
    notice = plain(load_or_raise(NoticeSchema(), document, "年度评审通知填写有误,请按提示修改"))
    year = notice["review_year"]
    # The row lock makes concurrent publications of one year take turns, so versions never collide.
    current = connection.execute(
        select(notices.c.version).where(notices.c.review_year == year).with_for_update()
    ).scalar()
    row = {"review_year": year, "version": (current or 0) + 1, "notice": notice,
           "published_by": actor.account_id, "published_at": now}
    connection.execute(insert(notice_versions).values(row))
    statement = insert(notices).values(row)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[notices.c.review_year],
        set_={name: statement.excluded[name] for name in ("version", "notice", "published_by", "published_at")},
    ))
    return record(row)


def get(connection, review_year):
    """The published notice of *review_year*, or None."""
    row = connection.execute(select(notices).where(notices.c.review_year == int(review_year))).mappings().first()
    return dict(row) if row else None


def get_or_raise(connection, review_year):
    row = get(connection, review_year)
    if row is None:
        raise NoticeNotFound(f"{review_year}年度职称评审通知尚未发布")
    return row


def list_all(connection):
    """Every current notice, the newest review year first."""
    rows = connection.execute(select(notices).order_by(notices.c.review_year.desc())).mappings()
    return [dict(row) for row in rows]


def versions(connection, review_year):
    """Every published version of a year's notice, oldest first."""
    rows = connection.execute(
        select(notice_versions).where(notice_versions.c.review_year == int(review_year))
        .order_by(notice_versions.c.version)
    ).mappings()
    return [dict(row) for row in rows]


def record(row):
    """A stored row as plain data, with the policy in force (defaults plus the notice's overrides)."""
    return {
        "review_year": row["review_year"],
        "version": row["version"],
        "notice": row["notice"],
        "policy": Notice.from_document(row["notice"]).policy,
        "unconfirmed": dict(UNCONFIRMED),
        "published_by": row["published_by"],
        "published_at": row["published_at"].isoformat(),
    }
