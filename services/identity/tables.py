"""Identity's own tables (PostgreSQL). No other service reads them; they ask over RPC."""
import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, MetaData, String, Text,
    UniqueConstraint, Uuid, text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared import idempotency
from shared.clock import utc_now
from shared.contracts.identity import APPROVED, PENDING


def new_id():
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention={
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
    })
    type_annotation_map = {datetime: DateTime(timezone=True), str: String(255)}


Id = Uuid(as_uuid=False)


class Organisation(Base):
    """A node of the tree 市人社局 → 区县人社局 / 市级主管部门 / 评审委员会 → 用人单位."""

    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_organisations_parent_name"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[str | None] = mapped_column(Id, ForeignKey("organisations.id"), index=True)
    # GB/T 2260 region code for the city and districts, 统一社会信用代码 for units.
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    credit_code_checksum_ok: Mapped[bool | None] = mapped_column(Boolean)
    credit_code_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=APPROVED)
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    registered_by: Mapped[str | None] = mapped_column(Id)
    decided_by: Mapped[str | None] = mapped_column(Id)
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class Account(Base):
    """A person who logs in: an applicant (ID number + phone) or an administrator (login name)."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    gender: Mapped[str | None] = mapped_column(String(8))
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(11), unique=True)
    login_name: Mapped[str | None] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    # active, disabled, or pending (created by a sysadmin with a review role not yet confirmed).
    status: Mapped[str] = mapped_column(String(16), default="active")
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    # No longer set: failures are throttled per address (throttles.py), never by locking the account.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    # Bumped whenever every sign-in ends (password change, disabling, a revoked role); access tokens
    # carry it as ``ver`` and older ones are refused.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(Id)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    password_changed_at: Mapped[datetime] = mapped_column(default=utc_now)


class RoleGrant(Base):
    """An account acts in this role for this organisation (none for applicants)."""

    __tablename__ = "role_grants"
    __table_args__ = (
        UniqueConstraint(
            "account_id", "role", "org_id", name="uq_role_grants_account_role_org",
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(Id, ForeignKey("accounts.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    org_id: Mapped[str | None] = mapped_column(Id, ForeignKey("organisations.id"), index=True)
    granted_by: Mapped[str | None] = mapped_column(Id)
    granted_at: Mapped[datetime] = mapped_column(default=utc_now)


class Membership(Base):
    """An applicant's request to belong to a unit, and the unit admin's answer."""

    __tablename__ = "memberships"
    __table_args__ = (
        # One active (pending or confirmed) membership per person: the unit that recommends them.
        Index(
            "uq_memberships_one_active", "account_id", unique=True,
            postgresql_where=text("status IN ('pending', 'confirmed')"),
        ),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(Id, ForeignKey("accounts.id"), index=True)
    unit_id: Mapped[str] = mapped_column(Id, ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    requested_at: Mapped[datetime] = mapped_column(default=utc_now)
    decided_by: Mapped[str | None] = mapped_column(Id)
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)


class SignIn(Base):
    """One sign-in session (a login and every token rotated from it); its id is the tokens' ``sid``.

    Ending it (logout, password change, a reused refresh token) refuses its access tokens at once.
    """

    __tablename__ = "sign_ins"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(Id, ForeignKey("accounts.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utc_now)
    source_address: Mapped[str | None] = mapped_column(String(64))
    # SHA-256 of the session's CSRF token: access tokens carry it so the gateway checks forms locally.
    csrf_digest: Mapped[str] = mapped_column(String(64))
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(32))


class RoleRequest(Base):
    """A review role a sysadmin asked for (for a new or existing account), waiting for a second person
    of the city admin office to confirm or refuse it; nothing is granted before that."""

    __tablename__ = "role_requests"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))  # "create_account" or "grant"
    account_id: Mapped[str] = mapped_column(Id, ForeignKey("accounts.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    org_id: Mapped[str] = mapped_column(Id, ForeignKey("organisations.id"))
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    requested_by: Mapped[str] = mapped_column(Id)
    requested_at: Mapped[datetime] = mapped_column(default=utc_now)
    decided_by: Mapped[str | None] = mapped_column(Id)
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)


class RefreshToken(Base):
    """One refresh token, stored only as its SHA-256; rotation keeps the family id."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    family_id: Mapped[str] = mapped_column(Id, index=True)
    account_id: Mapped[str] = mapped_column(Id, ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class ResetCode(Base):
    """An SMS code for resetting a password, stored only as a keyed hash."""

    __tablename__ = "reset_codes"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(Id, ForeignKey("accounts.id"), index=True)
    phone: Mapped[str] = mapped_column(String(11), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]


class Sanction(Base):
    """A recorded sanction (弄虚作假) barring the account from applying until ``bars_until``."""

    __tablename__ = "sanctions"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(Id, ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(100))
    sanctioned_on: Mapped[date] = mapped_column(Date)
    bars_until: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utc_now)


class AuditEntry(Base):
    """The identity audit log: logins (every attempt), token and password events, admin actions."""

    __tablename__ = "identity_audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[str | None] = mapped_column(Id, index=True)
    actor_id: Mapped[str | None] = mapped_column(String(64))
    source_address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSONB, default=dict)


metadata = Base.metadata
# Idempotency keys of registrations and role grants, each stored in its write's transaction.
command_keys = idempotency.include_in(metadata)
