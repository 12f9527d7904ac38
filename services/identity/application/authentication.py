"""Signing in: login, token refresh, logout, authenticating an access token, the public key set.

Answers never tell a stranger whether an account exists: unknown and known usernames cost the same
password hash and get the same refusal, and the throttles (throttles.py) count them alike.
"""
from datetime import datetime, timezone

from sqlalchemy import select

from shared.contracts.identity import mask_phone
from shared.errors import NotAuthenticated
from shared.idnumbers import mask_resident_id
from shared.tokens import public_key_pem

from ..credentials import hash_refresh_token
from ..domain import username_kind
from ..exceptions import (
    AccountDisabledError, AccountPendingError, InvalidCredentialsError, RefreshTokenReusedError, TokenRefusedError,
    TooManyAttemptsError,
)
from ..tables import Account, RefreshToken, SignIn
from .records import ACTIVE, PENDING_ACCOUNT
from .views import roles_of

SESSION_ENDED = "登录已结束（已退出登录或密码已修改），请重新登录"


class Authentication:
    """Who may act, proven by a password once and by tokens afterwards."""

    def __init__(self, database, hasher, verifier, throttles, sessions, clock):
        self.database, self.hasher, self.verifier = database, hasher, verifier
        self.throttles, self.sessions, self.clock = throttles, sessions, clock

    def login(self, username, password, source_address=None):
        """Log in by ID number, phone or login name; failures slow that address down, never lock the account."""
        column, value = username_kind(username)
        username_key = f"{column}:{value}"
        try:
            self.throttles.check_login(username_key, source_address)
        except TooManyAttemptsError:
            with self.database.transaction() as session:
                self.database.audit(session, "login", "refused", None, source_address=source_address,
                                    reason="throttled", username=_masked_username(username))
            raise
        with self.database.transaction() as session:
            account = session.scalar(select(Account).where(getattr(Account, column) == value))
            found = account and (account.id, account.password_hash, account.status)
        account_id, password_hash, status = found or (None, None, None)
        # A missing account is checked against a decoy hash: both cases cost the same time.
        password_ok = self.hasher.verify(password_hash, password) and account_id is not None
        if not password_ok:
            self.throttles.login_failed(username_key, source_address)
            with self.database.transaction() as session:
                self.database.audit(session, "login", "failure", account_id, source_address=source_address,
                                    reason="bad_password" if account_id else "unknown_user",
                                    username=None if account_id else _masked_username(username))
            raise InvalidCredentialsError("用户名或密码错误")
        self.throttles.login_succeeded(username_key, source_address)
        if status != ACTIVE:
            self._refuse_inactive(account_id, status, source_address)
        new_hash = self.hasher.hash(password) if self.hasher.needs_rehash(password_hash) else None
        with self.database.transaction() as session:
            account = session.get(Account, account_id, with_for_update=True)
            if new_hash:
                account.password_hash = new_hash
            sign_in, csrf_token = self.sessions.start(session, account, source_address)
            self.database.audit(session, "login", "success", account.id, source_address=source_address,
                                session_id=sign_in.id)
            return {**self.sessions.issue_tokens(session, account, sign_in), "csrf_token": csrf_token}

    def _refuse_inactive(self, account_id, status, source_address):
        # Only someone who knows the password learns the account's state.
        with self.database.transaction() as session:
            self.database.audit(session, "login", "refused", account_id, source_address=source_address, reason=status)
        if status == PENDING_ACCOUNT:
            raise AccountPendingError("账号尚待市人社局审核员确认授权，确认后方可登录")
        raise AccountDisabledError("账号已停用，请联系管理员")

    def refresh(self, refresh_token, source_address=None):
        """Swap a refresh token for new tokens of the same session; one that comes back a second time ends it."""
        now = self.clock()
        result = error = None
        with self.database.transaction() as session:
            row = session.scalar(
                select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(refresh_token))
                .with_for_update()
            )
            sign_in = row and session.get(SignIn, row.family_id)
            if row is None or row.revoked_at is not None or sign_in is None or sign_in.ended_at is not None:
                error = TokenRefusedError("登录凭证无效或已注销，请重新登录")
            elif row.used_at is not None:
                self.sessions.end(session, sign_in, now, "reuse")
                self.database.audit(session, "refresh", "refused", row.account_id, source_address=source_address,
                                    reason="reuse", session_id=sign_in.id)
                error = RefreshTokenReusedError("该登录凭证已被使用过，为保护账号安全，此设备的登录已全部注销，请重新登录")
            elif row.expires_at <= now:
                error = TokenRefusedError("登录已过期，请重新登录")
            else:
                account = session.get(Account, row.account_id, with_for_update=True)
                if account.status != ACTIVE:
                    self.sessions.end(session, sign_in, now, "disabled")
                    error = AccountDisabledError("账号已停用，请联系管理员")
                else:
                    row.used_at = now
                    result = self.sessions.issue_tokens(session, account, sign_in)
                    self.database.audit(session, "refresh", "success", account.id, source_address=source_address)
        # Raised only now: the reuse and the ended session above must be committed.
        if error:
            raise error
        return result

    def logout(self, refresh_token=None, access_token=None, everywhere=False, source_address=None):
        """End this sign-in (or, *everywhere*, every sign-in of the account): its refresh tokens are
        revoked and its access tokens refused at once. Either token of the session will do."""
        now = self.clock()
        with self.database.transaction() as session:
            sign_in = self.sessions.of_tokens(session, refresh_token, access_token)
            if sign_in is None:
                return {"ok": True}
            if everywhere:
                account = session.get(Account, sign_in.account_id, with_for_update=True)
                self.sessions.end_all(session, account, now, "logout")
            else:
                self.sessions.end(session, sign_in, now, "logout")
            self.database.audit(session, "logout", "success", sign_in.account_id, source_address=source_address,
                                everywhere=bool(everywhere), session_id=sign_in.id)
        return {"ok": True}

    def authenticate(self, access_token):
        """Who an access token belongs to, refusing forged, expired, ended-session or disabled-account tokens."""
        try:
            claims = self.verifier.verify(access_token)
        except NotAuthenticated as refused:
            raise TokenRefusedError(refused.message) from None
        with self.database.transaction() as session:
            account = session.get(Account, claims["sub"])
            if account is None:
                raise TokenRefusedError("访问令牌对应的账号不存在")
            if account.status != ACTIVE:
                raise AccountDisabledError("账号已停用，请联系管理员")
            if claims.get("ver") != account.session_epoch:
                raise TokenRefusedError("登录已失效（密码已修改、角色已变更或已退出登录），请重新登录")
            sign_in = session.get(SignIn, claims.get("sid")) if claims.get("sid") else None
            if sign_in is None or sign_in.ended_at is not None or sign_in.account_id != account.id:
                raise TokenRefusedError(SESSION_ENDED)
            return {
                "account_id": account.id,
                "name": account.name,
                "roles": roles_of(session, account.id),
                "expires_at": datetime.fromtimestamp(claims["exp"], timezone.utc),
            }

    def public_keys(self):
        """The key set other services verify access tokens with, and where the revocation list lives."""
        revocations = self.sessions.revocations
        return {
            "algorithm": "EdDSA",
            "issuer": self.verifier.issuer,
            "audience": self.verifier.audience,
            "keys": {kid: public_key_pem(key) for kid, key in self.verifier.public_keys.items()},
            "revocation_list": {"key_prefix": revocations.key_prefix if revocations else None},
        }


def _masked_username(username):
    """A refused username as the audit log keeps it: never a whole ID number or phone."""
    column, value = username_kind(username)
    if column == "id_number":
        return mask_resident_id(value)
    if column == "phone":
        return mask_phone(value)
    return value[:32]
