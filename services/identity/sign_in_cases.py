"""Identity's sign-in use cases: login, token refresh, logout, authenticate, passwords and SMS reset.

A login starts a sign-in session (``SignIn``, its id the tokens' ``sid``); refresh tokens rotate
within it. Ending a session — logout, a password change or reset, a reused refresh token — is
recorded in the database and, once committed, written to the shared revocation list, so every
gateway refuses that session's access tokens at once.

Answers never tell a stranger whether an account exists: unknown and known usernames cost the same
password hash and get the same refusal, and the throttles (throttles.py) count them alike.
"""
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import event, select, update

from shared.errors import NotAuthenticated
from shared.idnumbers import mask_resident_id
from shared.tokens import csrf_digest, public_key_pem

from . import domain
from .credentials import hash_refresh_token, hash_reset_code, new_refresh_token, new_reset_code
from .credentials import reset_code_matches
from .domain import username_kind
from .exceptions import (
    AccountDisabled, AccountPending, InvalidCredentials, InvalidResetCode, RefreshTokenReused, TokenRefused,
    TooManyAttempts, WeakPassword, WrongCurrentPassword,
)
from .models import Account, RefreshToken, ResetCode, SignIn, new_id
from .notifications import Notification

ACTIVE, PENDING_ACCOUNT = "active", "pending"
RESET_REQUESTED = "如该手机号已注册，验证码已发送，{minutes} 分钟内有效"
INVALID_RESET_CODE = "验证码错误或已失效，请核对后重试，或重新获取验证码"
SESSION_ENDED = "登录已结束（已退出登录或密码已修改），请重新登录"


class SignInCases:
    """Mixed into Identity: needs ``_tx``, ``_audit``, ``_account_view``, ``_roles``, ``_acting_account``,
    ``_check_password`` and the collaborators ``hasher``, ``signer``, ``verifier``, ``sender``,
    ``throttles``, ``revocations``, ``clock``."""

    # --- login ---------------------------------------------------------------------------------

    def login(self, username, password, source_address=None):
        """Log in by ID number, phone or login name; failures slow that address down, never lock the account."""
        column, value = username_kind(username)
        username_key = f"{column}:{value}"
        try:
            self.throttles.check_login(username_key, source_address)
        except TooManyAttempts:
            with self._tx() as session:
                self._audit(session, "login", "refused", None, source_address=source_address,
                            reason="throttled", username=_masked_username(username))
            raise
        with self._tx() as session:
            account = session.scalar(select(Account).where(getattr(Account, column) == value))
            found = account and (account.id, account.password_hash, account.status)
        account_id, password_hash, status = found or (None, None, None)
        # A missing account is checked against a decoy hash: both cases cost the same time.
        password_ok = self.hasher.verify(password_hash, password) and account_id is not None
        if not password_ok:
            self.throttles.login_failed(username_key, source_address)
            with self._tx() as session:
                self._audit(session, "login", "failure", account_id, source_address=source_address,
                            reason="bad_password" if account_id else "unknown_user",
                            username=None if account_id else _masked_username(username))
            raise InvalidCredentials("用户名或密码错误")
        self.throttles.login_succeeded(username_key, source_address)
        if status != ACTIVE:
            # Only someone who knows the password learns the account's state.
            with self._tx() as session:
                self._audit(session, "login", "refused", account_id, source_address=source_address, reason=status)
            if status == PENDING_ACCOUNT:
                raise AccountPending("账号尚待市人社局审核员确认授权，确认后方可登录")
            raise AccountDisabled("账号已停用，请联系管理员")
        new_hash = self.hasher.hash(password) if self.hasher.needs_rehash(password_hash) else None
        with self._tx() as session:
            account = session.get(Account, account_id, with_for_update=True)
            if new_hash:
                account.password_hash = new_hash
            sign_in, csrf_token = self._start_sign_in(session, account, source_address)
            self._audit(session, "login", "success", account.id, source_address=source_address, session_id=sign_in.id)
            return {**self._issue_tokens(session, account, sign_in), "csrf_token": csrf_token}

    # --- tokens --------------------------------------------------------------------------------

    def refresh(self, refresh_token, source_address=None):
        """Swap a refresh token for new tokens of the same session; one that comes back a second time ends it."""
        now = self.clock()
        result = error = None
        with self._tx() as session:
            row = session.scalar(
                select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(refresh_token))
                .with_for_update()
            )
            sign_in = row and session.get(SignIn, row.family_id)
            if row is None or row.revoked_at is not None or sign_in is None or sign_in.ended_at is not None:
                error = TokenRefused("登录凭证无效或已注销，请重新登录")
            elif row.used_at is not None:
                self._end_sign_in(session, sign_in, now, "reuse")
                self._audit(session, "refresh", "refused", row.account_id, source_address=source_address,
                            reason="reuse", session_id=sign_in.id)
                error = RefreshTokenReused("该登录凭证已被使用过，为保护账号安全，此设备的登录已全部注销，请重新登录")
            elif row.expires_at <= now:
                error = TokenRefused("登录已过期，请重新登录")
            else:
                account = session.get(Account, row.account_id, with_for_update=True)
                if account.status != ACTIVE:
                    self._end_sign_in(session, sign_in, now, "disabled")
                    error = AccountDisabled("账号已停用，请联系管理员")
                else:
                    row.used_at = now
                    result = self._issue_tokens(session, account, sign_in)
                    self._audit(session, "refresh", "success", account.id, source_address=source_address)
        if error:
            raise error
        return result

    def logout(self, refresh_token=None, access_token=None, everywhere=False, source_address=None):
        """End this sign-in (or, *everywhere*, every sign-in of the account): its refresh tokens are
        revoked and its access tokens refused at once. Either token of the session will do."""
        now = self.clock()
        with self._tx() as session:
            sign_in = self._sign_in_of(session, refresh_token, access_token)
            if sign_in is None:
                return {"ok": True}
            if everywhere:
                self._end_all_sessions(session, session.get(Account, sign_in.account_id, with_for_update=True),
                                       now, "logout")
            else:
                self._end_sign_in(session, sign_in, now, "logout")
            self._audit(session, "logout", "success", sign_in.account_id, source_address=source_address,
                        everywhere=bool(everywhere), session_id=sign_in.id)
        return {"ok": True}

    def authenticate(self, access_token):
        """Who an access token belongs to, refusing forged, expired, ended-session or disabled-account tokens."""
        try:
            claims = self.verifier.verify(access_token)
        except NotAuthenticated as refused:
            raise TokenRefused(refused.message) from None
        with self._tx() as session:
            account = session.get(Account, claims["sub"])
            if account is None:
                raise TokenRefused("访问令牌对应的账号不存在")
            if account.status != ACTIVE:
                raise AccountDisabled("账号已停用，请联系管理员")
            if claims.get("ver") != account.session_epoch:
                raise TokenRefused("登录已失效（密码已修改、角色已变更或已退出登录），请重新登录")
            sign_in = session.get(SignIn, claims.get("sid")) if claims.get("sid") else None
            if sign_in is None or sign_in.ended_at is not None or sign_in.account_id != account.id:
                raise TokenRefused(SESSION_ENDED)
            return {
                "account_id": account.id,
                "name": account.name,
                "roles": self._roles(session, account.id),
                "expires_at": _from_timestamp(claims["exp"]),
            }

    def public_keys(self):
        """The key set other services verify access tokens with, and where the revocation list lives."""
        return {
            "algorithm": "EdDSA",
            "issuer": self.verifier.issuer,
            "audience": self.verifier.audience,
            "keys": {kid: public_key_pem(key) for kid, key in self.verifier.public_keys.items()},
            "revocation_list": {"key_prefix": self.revocations.key_prefix if self.revocations else None},
        }

    # --- passwords -----------------------------------------------------------------------------

    def change_password(self, actor, old_password, new_password, source_address=None):
        """The account holder changes their password; every sign-in then ends, this one included."""
        with self._tx() as session:
            account = self._acting_account(session, actor)
            snapshot = (account.id, account.password_hash, account.id_number, account.birth_date)
        account_id, password_hash, id_number, birth_date = snapshot
        if not self.hasher.verify(password_hash, old_password):
            raise WrongCurrentPassword("原密码不正确", {"old_password": ["原密码不正确"]})
        self._check_password(new_password, "new_password", id_number, birth_date)
        new_hash = self.hasher.hash(new_password)
        with self._tx() as session:
            account = session.get(Account, account_id, with_for_update=True)
            self._set_password(session, account, new_hash)
            self._audit(session, "password_change", "success", account.id, source_address=source_address)
        return {"ok": True}

    def request_password_reset(self, phone, source_address=None):
        """Text a 6-digit code to a registered phone; every phone, registered or not, gets the same answer
        and the same resend interval."""
        now, policy = self.clock(), self.settings.reset_codes
        answer = {"message": RESET_REQUESTED.format(minutes=policy.ttl_minutes),
                  "expires_in": policy.ttl_minutes * 60}
        self.throttles.check_reset_request(phone, source_address, policy.resend_seconds)
        with self._tx() as session:
            account = session.scalar(select(Account).where(Account.phone == phone))
            if account is None or account.status != ACTIVE:
                self._audit(session, "password_reset_request", "refused", account and account.id,
                            source_address=source_address, reason="unknown_or_inactive")
                return answer
            session.execute(
                update(ResetCode).where(ResetCode.phone == phone, ResetCode.consumed_at.is_(None),
                                        ResetCode.superseded_at.is_(None)).values(superseded_at=now)
            )
            code = new_reset_code(policy.digits)
            row = ResetCode(id=new_id(), account_id=account.id, phone=phone, created_at=now,
                            expires_at=policy.expires_at(now), attempts=0)
            row.code_hash = hash_reset_code(self.settings.reset_code_pepper, row.id, code)
            session.add(row)
            self.sender.send(session, Notification(
                phone, "password_reset_code", {"code": code, "minutes": policy.ttl_minutes}))
            self._audit(session, "password_reset_request", "success", account.id, source_address=source_address)
        return answer

    def confirm_password_reset(self, phone, code, new_password, source_address=None):
        """Set a new password with the texted code (10 minutes, 5 tries); it also clears login back-off.

        A wrong, expired, used-up or never-sent code all get the same answer.
        """
        now = self.clock()
        self.throttles.check_reset_confirm(source_address)
        refused = InvalidResetCode(INVALID_RESET_CODE, {"code": [INVALID_RESET_CODE]})
        with self._tx() as session:
            account = session.scalar(select(Account).where(Account.phone == phone))
            row = self._live_code(session, phone, lock=True)
            code_ok = account is not None and row is not None and self._code_accepted(session, row, code, now)
            if not code_ok:
                self._audit(session, "password_reset", "failure", account and account.id,
                            source_address=source_address, reason="invalid_code")
            verified = code_ok and (account.id, row.id, account.id_number, account.birth_date)
        if not verified:
            self.throttles.reset_code_failed(source_address)
            raise refused
        account_id, row_id, id_number, birth_date = verified
        problems = self.settings.password_policy.problems(new_password, id_number, birth_date)
        if problems:
            # Only the holder of the right code gets here; the code stays usable.
            raise WeakPassword(problems[0], {"new_password": problems})
        new_hash = self.hasher.hash(new_password)
        with self._tx() as session:
            row = session.get(ResetCode, row_id, with_for_update=True)
            if row.consumed_at is not None or row.superseded_at is not None:
                raise refused
            row.consumed_at = now
            account = session.get(Account, account_id, with_for_update=True)
            self._set_password(session, account, new_hash)
            self._audit(session, "password_reset", "success", account.id, source_address=source_address)
            usernames = username_keys(account)
        self.throttles.forget_login_failures(*usernames)
        return {"ok": True}

    def _code_accepted(self, session, row, code, now):
        """Whether *code* opens *row*; a wrong try counts against the code's five."""
        if row.expires_at <= now or row.attempts >= self.settings.reset_codes.max_attempts:
            return False
        if reset_code_matches(self.settings.reset_code_pepper, row.id, code, row.code_hash):
            return True
        row.attempts += 1
        return False

    def _live_code(self, session, phone, lock=False):
        query = (
            select(ResetCode)
            .where(ResetCode.phone == phone, ResetCode.consumed_at.is_(None), ResetCode.superseded_at.is_(None))
            .order_by(ResetCode.created_at.desc()).limit(1)
        )
        return session.scalar(query.with_for_update() if lock else query)

    def _set_password(self, session, account, new_hash):
        now = self.clock()
        account.password_hash = new_hash
        account.password_changed_at = now
        self._end_all_sessions(session, account, now, "password_changed")
        if account.phone:
            self.sender.send(session, Notification(
                account.phone, "password_changed", {"time": domain.local_time_text(now)}))

    # --- sessions ------------------------------------------------------------------------------

    def _start_sign_in(self, session, account, source_address):
        """A new sign-in session and its CSRF token (returned once; only its digest is kept)."""
        csrf_token = secrets.token_urlsafe(32)
        sign_in = SignIn(id=new_id(), account_id=account.id, started_at=self.clock(),
                         source_address=(source_address or None) and str(source_address)[:64],
                         csrf_digest=csrf_digest(csrf_token))
        session.add(sign_in)
        session.flush()
        return sign_in, csrf_token

    def _issue_tokens(self, session, account, sign_in):
        now = self.clock()
        roles = self._roles(session, account.id)
        access_token, access_expires_at = self.signer.issue(account.id, {
            "name": account.name,
            "roles": [{"role": r["role"], "org_id": r["org_id"]} for r in roles],
            "ver": account.session_epoch,
            "sid": sign_in.id,
            "csrf": sign_in.csrf_digest,
        })
        refresh_token, digest = new_refresh_token()
        refresh_expires_at = now + timedelta(seconds=self.settings.refresh_ttl_seconds)
        session.add(RefreshToken(family_id=sign_in.id, account_id=account.id, token_hash=digest,
                                 issued_at=now, expires_at=refresh_expires_at))
        session.flush()
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": int(self.signer.ttl.total_seconds()),
            "access_expires_at": access_expires_at,
            "refresh_token": refresh_token,
            "refresh_expires_at": refresh_expires_at,
            "session_id": sign_in.id,
            "account": self._account_view(session, account),
        }

    def _sign_in_of(self, session, refresh_token, access_token):
        """The session a refresh token or an access token (even an expired one) belongs to, or None."""
        if refresh_token:
            row = session.scalar(select(RefreshToken).where(
                RefreshToken.token_hash == hash_refresh_token(refresh_token)))
            return row and session.get(SignIn, row.family_id)
        if access_token:
            try:
                claims = self.verifier.verify(access_token, allow_expired=True)
            except NotAuthenticated:
                return None
            return session.get(SignIn, claims["sid"]) if claims.get("sid") else None
        return None

    def _end_sign_in(self, session, sign_in, now, reason):
        """End one session: its refresh tokens die now, its access tokens once this commits."""
        session.execute(
            update(RefreshToken).where(RefreshToken.family_id == sign_in.id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        if sign_in.ended_at is None:
            sign_in.ended_at, sign_in.ended_reason = now, reason
        self._after_commit(session, lambda: self.revocations and self.revocations.end_session(sign_in.id))

    def _end_all_sessions(self, session, account, now, reason):
        """End every session of the account: all refresh tokens, and every access token issued so far."""
        session.execute(
            update(RefreshToken).where(RefreshToken.account_id == account.id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        session.execute(
            update(SignIn).where(SignIn.account_id == account.id, SignIn.ended_at.is_(None))
            .values(ended_at=now, ended_reason=reason)
        )
        self._make_tokens_stale(session, account)

    def _make_tokens_stale(self, session, account):
        """Every access token issued so far to the account is refused (its roles or password changed)."""
        account.session_epoch += 1
        epoch = account.session_epoch
        self._after_commit(session, lambda: self.revocations and self.revocations.end_sessions_before(account.id, epoch))

    @staticmethod
    def _after_commit(session, action):
        # Only a committed end may reach the shared list; and it must before the caller gets an answer.
        event.listen(session, "after_commit", lambda _session: action(), once=True)


def _masked_username(username):
    column, value = username_kind(username)
    if column == "id_number":
        return mask_resident_id(value)
    if column == "phone":
        return f"{value[:3]}****{value[-4:]}"
    return value[:32]


def username_keys(account):
    """The throttle keys of every name the account logs in with."""
    return [f"{column}:{value}" for column, value in (("id_number", account.id_number), ("phone", account.phone),
                                                      ("login_name", account.login_name)) if value]


def _from_timestamp(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc)
