"""Passwords: the holder changes theirs, or resets it with a code texted to their phone.

Either way every sign-in of the account ends and the holder is told by SMS. A reset answers every
phone alike, registered or not, and a wrong, expired, used-up or never-sent code alike.
"""
from sqlalchemy import select, update

from .. import domain
from ..credentials import hash_reset_code, new_reset_code, reset_code_matches
from ..exceptions import InvalidResetCodeError, WrongCurrentPasswordError
from ..tables import Account, ResetCode, new_id
from .records import ACTIVE, acting_account, username_keys

RESET_REQUESTED = "如该手机号已注册，验证码已发送，{minutes} 分钟内有效"
INVALID_RESET_CODE = "验证码错误或已失效，请核对后重试，或重新获取验证码"


class Passwords:
    """Password changes and SMS resets, under *password_policy* and *reset_codes* (a ResetCodePolicy)."""

    def __init__(self, database, hasher, sender, throttles, sessions, clock, password_policy, reset_codes,
                 reset_code_pepper):
        # *sender* is a code_sender.CodeSender: the notification service texts the code.
        self.database, self.hasher, self.sender = database, hasher, sender
        self.throttles, self.sessions, self.clock = throttles, sessions, clock
        self.password_policy, self.reset_codes, self.pepper = password_policy, reset_codes, reset_code_pepper

    def change_password(self, actor, old_password, new_password, source_address=None):
        """The account holder changes their password; every sign-in then ends, this one included."""
        with self.database.transaction() as session:
            account = acting_account(session, actor)
            snapshot = (account.id, account.password_hash, account.id_number, account.birth_date)
        account_id, password_hash, id_number, birth_date = snapshot
        # Hashing is slow: it runs outside any transaction, so no row stays locked meanwhile.
        if not self.hasher.verify(password_hash, old_password):
            raise WrongCurrentPasswordError("原密码不正确", {"old_password": ["原密码不正确"]})
        self.password_policy.check(new_password, "new_password", id_number, birth_date)
        new_hash = self.hasher.hash(new_password)
        with self.database.transaction() as session:
            account = session.get(Account, account_id, with_for_update=True)
            self._set_password(session, account, new_hash)
            self.database.audit(session, "password_change", "success", account.id, source_address=source_address)
        return {"ok": True}

    def request_password_reset(self, phone, source_address=None):
        """Text a 6-digit code to a registered phone; every phone, registered or not, gets the same answer
        and the same resend interval."""
        now, policy = self.clock(), self.reset_codes
        answer = {"message": RESET_REQUESTED.format(minutes=policy.ttl_minutes),
                  "expires_in": policy.ttl_minutes * 60}
        self.throttles.check_reset_request(phone, source_address, policy.resend_seconds)
        with self.database.transaction() as session:
            account = session.scalar(select(Account).where(Account.phone == phone))
            if account is None or account.status != ACTIVE:
                self.database.audit(session, "password_reset_request", "refused", account and account.id,
                                    source_address=source_address, reason="unknown_or_inactive")
                return answer
            session.execute(
                update(ResetCode).where(ResetCode.phone == phone, ResetCode.consumed_at.is_(None),
                                        ResetCode.superseded_at.is_(None)).values(superseded_at=now)
            )
            code = new_reset_code(policy.digits)
            row = ResetCode(id=new_id(), account_id=account.id, phone=phone, created_at=now,
                            expires_at=policy.expires_at(now), attempts=0)
            row.code_hash = hash_reset_code(self.pepper, row.id, code)
            session.add(row)
            self.sender.send(session, phone, "password_reset_code", {"code": code, "minutes": policy.ttl_minutes},
                             reference=f"reset:{row.id}")
            self.database.audit(session, "password_reset_request", "success", account.id,
                                source_address=source_address)
        return answer

    def confirm_password_reset(self, phone, code, new_password, source_address=None):
        """Set a new password with the texted code (10 minutes, 5 tries); it also clears login back-off.

        A wrong, expired, used-up or never-sent code all get the same answer.
        """
        now = self.clock()
        self.throttles.check_reset_confirm(source_address)
        refused = InvalidResetCodeError(INVALID_RESET_CODE, {"code": [INVALID_RESET_CODE]})
        with self.database.transaction() as session:
            account = session.scalar(select(Account).where(Account.phone == phone))
            row = self._live_code(session, phone, lock=True)
            code_ok = account is not None and row is not None and self._code_accepted(row, code, now)
            if not code_ok:
                self.database.audit(session, "password_reset", "failure", account and account.id,
                                    source_address=source_address, reason="invalid_code")
            verified = code_ok and (account.id, row.id, account.id_number, account.birth_date)
        if not verified:
            self.throttles.reset_code_failed(source_address)
            raise refused
        account_id, row_id, id_number, birth_date = verified
        # Only the holder of the right code gets here; the code stays usable.
        self.password_policy.check(new_password, "new_password", id_number, birth_date)
        new_hash = self.hasher.hash(new_password)
        with self.database.transaction() as session:
            row = session.get(ResetCode, row_id, with_for_update=True)
            if row.consumed_at is not None or row.superseded_at is not None:
                raise refused
            row.consumed_at = now
            account = session.get(Account, account_id, with_for_update=True)
            self._set_password(session, account, new_hash)
            self.database.audit(session, "password_reset", "success", account.id, source_address=source_address)
            usernames = username_keys(account)
        self.throttles.forget_login_failures(*usernames)
        return {"ok": True}

    def _code_accepted(self, row, code, now):
        """Whether *code* opens *row*; a wrong try counts against the code's five."""
        if row.expires_at <= now or row.attempts >= self.reset_codes.max_attempts:
            return False
        if reset_code_matches(self.pepper, row.id, code, row.code_hash):
            return True
        row.attempts += 1
        return False

    @staticmethod
    def _live_code(session, phone, lock=False):
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
        self.sessions.end_all(session, account, now, "password_changed")
        if account.phone:
            self.sender.send(session, account.phone, "password_changed", {"time": domain.local_time_text(now)},
                             reference=f"password_changed:{account.id}:{int(now.timestamp() * 1000)}")
