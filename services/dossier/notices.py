"""Storage of the annual notices in the dossier database: one current notice per review year, plus
every published version of it (who, when, and what changed from the version before), so an auditor
can see which policy was in force at any time; and the city admin's unpublished draft of a year's
notice, which nobody else reads and which becomes the next version when published."""
from sqlalchemy import DDL, Column, DateTime, Integer, String, Table, delete, event, select
from sqlalchemy.dialects.postgresql import JSONB, insert

from shared.roles import CITY_ADMIN, Actor
from shared.schemas import load_or_raise, plain

from shared.contracts.notice_schemas import NoticeSchema
from shared.contracts.year_policy import UNCONFIRMED, changes, effective_policy
from .policy import Notice
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
    # What this version changed from the one before (year_policy.changes); NULL for versions
    # published before the column existed.
    Column("changes", JSONB, nullable=True),
)

# Databases made before versions recorded their changes gain the column on the service's next
# start: create_all runs this after creating whatever tables are missing (a no-op when it exists).
event.listen(metadata, "after_create",
             DDL("ALTER TABLE notice_versions ADD COLUMN IF NOT EXISTS changes JSONB"))

notice_drafts = Table(
    "notice_drafts",
    metadata,
    Column("review_year", Integer, primary_key=True),
    Column("document", JSONB, nullable=False),
    Column("saved_by", String(64), nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
)

INVALID_NOTICE = "年度评审通知填写有误,请按提示修改"


def _city_admin_only(actor: Actor, what):
    if actor.role != CITY_ADMIN:
        raise NoticePermissionError(f"只有市人社局审核员可以{what}(当前角色:{actor.role_label})")


def publish(connection, actor: Actor, document, now):
    """Validate *document* and make it the notice of its review year (insert or replace); city admins only."""
    _city_admin_only(actor, "发布年度评审通知")
    notice = plain(load_or_raise(NoticeSchema(), document, INVALID_NOTICE))
    year = notice["review_year"]
    # The row lock makes concurrent publications of one year take turns, so versions never collide.
    current = connection.execute(
        select(notices.c.version, notices.c.notice).where(notices.c.review_year == year).with_for_update()
    ).first()
    row = {"review_year": year, "version": (current.version if current else 0) + 1, "notice": notice,
           "published_by": actor.account_id, "published_at": now}
    what_changed = changes(in_force(current.notice) if current else None, in_force(notice))
    connection.execute(insert(notice_versions).values({**row, "changes": what_changed}))
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


def version_or_raise(connection, review_year, version):
    row = connection.execute(select(notice_versions).where(
        notice_versions.c.review_year == int(review_year), notice_versions.c.version == int(version),
    )).mappings().first()
    if row is None:
        raise NoticeNotFound(f"{review_year}年度职称评审通知没有第 {version} 版")
    return dict(row)


def version_record(row):
    """A stored version as plain data: the record of that version plus what it changed."""
    return {**record(row), "changes": row.get("changes")}


def in_force(document):
    """A notice document with the policy it puts in force (defaults plus its overrides), so that two
    versions compare by what applies — an override equal to the default is no change, and a setting
    left out reads as its default rather than as missing."""
    policy = effective_policy(document.get("policy"), document.get("continuing_education"))
    return {**document, "continuing_education": policy.pop("continuing_education"), "policy": policy}


# -- drafts ----------------------------------------------------------------------------------------

def save_draft(connection, actor: Actor, document, now):
    """Validate *document* and keep it as its year's draft (replacing an earlier draft); nothing is
    stored when it is invalid. City admins only."""
    _city_admin_only(actor, "编辑年度评审通知")
    draft = plain(load_or_raise(NoticeSchema(), document, INVALID_NOTICE))
    row = {"review_year": draft["review_year"], "document": draft, "saved_by": actor.account_id, "saved_at": now}
    statement = insert(notice_drafts).values(row)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[notice_drafts.c.review_year],
        set_={name: statement.excluded[name] for name in ("document", "saved_by", "saved_at")},
    ))
    return draft_record(row)


def get_draft(connection, actor: Actor, review_year, lock=False):
    """The draft of *review_year* (NoticeNotFound when there is none); city admins only."""
    _city_admin_only(actor, "查看年度评审通知草稿")
    query = select(notice_drafts).where(notice_drafts.c.review_year == int(review_year))
    row = connection.execute(query.with_for_update() if lock else query).mappings().first()
    if row is None:
        raise NoticeNotFound(f"{review_year}年度职称评审通知没有未发布的草稿")
    return dict(row)


def list_drafts(connection, actor: Actor):
    _city_admin_only(actor, "查看年度评审通知草稿")
    rows = connection.execute(select(notice_drafts).order_by(notice_drafts.c.review_year.desc())).mappings()
    return [draft_record(row) for row in rows]


def discard_draft(connection, actor: Actor, review_year):
    get_draft(connection, actor, review_year, lock=True)
    connection.execute(delete(notice_drafts).where(notice_drafts.c.review_year == int(review_year)))


def publish_draft(connection, actor: Actor, review_year, now):
    """Publish the year's draft as the next version of its notice and remove the draft, together."""
    _city_admin_only(actor, "发布年度评审通知")
    draft = get_draft(connection, actor, review_year, lock=True)
    published = publish(connection, actor, draft["document"], now)
    connection.execute(delete(notice_drafts).where(notice_drafts.c.review_year == int(review_year)))
    return published


def draft_record(row):
    document = row["document"]
    return {
        "review_year": row["review_year"],
        "document": document,
        "policy": effective_policy(document.get("policy"), document.get("continuing_education")),
        "unconfirmed": dict(UNCONFIRMED),
        "saved_by": row["saved_by"],
        "saved_at": row["saved_at"].isoformat(),
    }


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
