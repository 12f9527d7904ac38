"""The revocation list of ended sign-in sessions, kept in Redis and shared by every instance.

identity writes it the moment a session ends (logout, password change or reset, a disabled
account, a revoked role, a reused refresh token); every gateway instance reads it on every request,
so an access token of an ended session is refused at once everywhere instead of living out its
15 minutes. Entries expire by themselves once the tokens they cover would have expired anyway.

identity's database stays the record of which sessions ended; this list is the fast path in front
of it. When Redis cannot be reached ``refuses`` answers ``None`` and the caller must ask identity
(``identity.authenticate``), which checks the database.
"""
import logging

import redis

log = logging.getLogger(__name__)

# Raise the account's floor only upwards: two password changes racing must not lower it again.
_RAISE_FLOOR = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
return 1
"""


def connect_redis(url, timeout_seconds=0.5):
    """A Redis client for *url*, or None when no URL is configured. Short timeouts: a slow Redis must
    degrade to the database path, not stall every request."""
    if not url:
        return None
    return redis.Redis.from_url(str(url), socket_timeout=timeout_seconds,
                                socket_connect_timeout=timeout_seconds, health_check_interval=30)


class RevocationList:
    """Ended sessions (by session id) and, per account, the oldest ``ver`` still valid."""

    def __init__(self, client, key_prefix, ttl_seconds):
        self.client = client
        self.key_prefix = key_prefix
        self.ttl_seconds = int(ttl_seconds)

    def end_session(self, session_id):
        """Refuse every access token of one sign-in from now on; False if Redis was unreachable."""
        return self._write(lambda: self.client.set(self._session_key(session_id), "1", ex=self.ttl_seconds))

    def end_sessions_before(self, account_id, epoch):
        """Refuse every access token of the account whose ``ver`` is below *epoch* (all its sign-ins so far)."""
        return self._write(lambda: self.client.eval(
            _RAISE_FLOOR, 1, self._floor_key(account_id), int(epoch), self.ttl_seconds))

    def refuses(self, claims):
        """True if the token's session has ended, False if not, None when the list cannot be read."""
        try:
            ended, floor = self.client.mget(self._session_key(claims.get("sid")),
                                            self._floor_key(claims.get("sub")))
        except redis.RedisError as error:
            log.warning("revocation list unreachable, asking identity instead: %s", error)
            return None
        if ended is not None:
            return True
        return floor is not None and int(claims.get("ver", -1)) < int(floor)

    def _write(self, command):
        try:
            command()
            return True
        except redis.RedisError as error:
            # identity's database already records the end; gateways fall back to asking identity.
            log.warning("could not write to the revocation list: %s", error)
            return False

    def _session_key(self, session_id):
        return f"{self.key_prefix}revoked:session:{session_id}"

    def _floor_key(self, account_id):
        return f"{self.key_prefix}revoked:account-floor:{account_id}"
