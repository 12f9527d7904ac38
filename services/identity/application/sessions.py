"""Sign-in sessions and their tokens, the collaborator of every use case that starts or ends one.

A login starts a sign-in session (``SignIn``, its id the tokens' ``sid``); refresh tokens rotate
within it. Ending a session — logout, a password change or reset, a reused refresh token, a disabled
account — is recorded in the database and, once committed, written to the shared revocation list
(shared/revocations.py), so every gateway refuses that session's access tokens at once.
"""
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from shared.errors import NotAuthenticated
from shared.tokens import csrf_digest

from ..credentials import hash_refresh_token, new_refresh_token
from ..tables import RefreshToken, SignIn, new_id
from .records import after_commit
from .views import account_view, roles_of


class Sessions:
    """Starts, finds and ends sign-in sessions; issues their tokens.

    *revocations* is the shared list of ended sessions (None: only the database knows).
    """

    def __init__(self, signer, verifier, revocations, refresh_ttl_seconds, clock):
        self.signer, self.verifier, self.revocations = signer, verifier, revocations
        self.refresh_ttl = timedelta(seconds=refresh_ttl_seconds)
        self.clock = clock

    def start(self, session, account, source_address):
        """A new sign-in session and its CSRF token (returned once; only its digest is kept)."""
        csrf_token = secrets.token_urlsafe(32)
        sign_in = SignIn(id=new_id(), account_id=account.id, started_at=self.clock(),
                         source_address=(source_address or None) and str(source_address)[:64],
                         csrf_digest=csrf_digest(csrf_token))
        session.add(sign_in)
        session.flush()
        return sign_in, csrf_token

    def issue_tokens(self, session, account, sign_in):
        """A new access token and refresh token of *sign_in*, with the account they belong to."""
        now = self.clock()
        roles = roles_of(session, account.id)
        access_token, access_expires_at = self.signer.issue(account.id, {
            "name": account.name,
            "roles": [{"role": r["role"], "org_id": r["org_id"]} for r in roles],
            "ver": account.session_epoch,
            "sid": sign_in.id,
            "csrf": sign_in.csrf_digest,
        })
        refresh_token, digest = new_refresh_token()
        refresh_expires_at = now + self.refresh_ttl
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
            "account": account_view(session, account),
        }

    def of_tokens(self, session, refresh_token, access_token):
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

    def end(self, session, sign_in, now, reason):
        """End one session: its refresh tokens die now, its access tokens once this commits."""
        session.execute(
            update(RefreshToken).where(RefreshToken.family_id == sign_in.id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        if sign_in.ended_at is None:
            sign_in.ended_at, sign_in.ended_reason = now, reason
        after_commit(session, lambda: self.revocations and self.revocations.end_session(sign_in.id))

    def end_all(self, session, account, now, reason):
        """End every session of the account: all refresh tokens, and every access token issued so far."""
        session.execute(
            update(RefreshToken).where(RefreshToken.account_id == account.id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        session.execute(
            update(SignIn).where(SignIn.account_id == account.id, SignIn.ended_at.is_(None))
            .values(ended_at=now, ended_reason=reason)
        )
        self.make_tokens_stale(session, account)

    def make_tokens_stale(self, session, account):
        """Every access token issued so far to the account is refused (its roles or password changed)."""
        account.session_epoch += 1
        epoch = account.session_epoch
        after_commit(session, lambda: self.revocations and self.revocations.end_sessions_before(account.id, epoch))
