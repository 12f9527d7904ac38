"""Composition root: builds identity's applications (database, keys, hasher, sender) from config, and
gives the service each application as a nameko dependency, and its bus events as another."""
import logging

import eventlet.tpool
from nameko.extensions import DependencyProvider, SharedExtension
from sqlalchemy import func, make_url, select
from sqlalchemy.orm import sessionmaker

from shared.clock import configured_clock
from shared.db import ensure_database, make_engine
from shared.revocations import RevocationList, connect_redis
from shared.tokens import TokenSigner, TokenVerifier, public_keys_from_setting, signing_key_from_setting

from .application import Identity, Settings
from .counters import MemoryCounters, SharedCounters
from .credentials import Argon2Settings, PasswordHasher
from .tables import metadata
from .code_sender import NotificationCodeSender

log = logging.getLogger(__name__)

# Arbitrary but fixed: serialises table creation when several identity instances start together.
_CREATE_TABLES_LOCK = 0x1D_E471_7001


def create_tables(engine):
    with engine.begin() as connection:
        connection.execute(select(func.pg_advisory_xact_lock(_CREATE_TABLES_LOCK)))
        metadata.create_all(connection)


def open_database(config):
    """The engine and session factory of identity's database, created with its tables if missing."""
    url = config["DATABASE_URL"]
    ensure_database(url)
    engine = make_engine(url, pool_size=int(config.get("DATABASE_POOL_SIZE") or 10))
    create_tables(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)


def password_hasher(config, offload=None):
    passwords = config.get("PASSWORDS") or {}
    defaults = Argon2Settings()
    return PasswordHasher(Argon2Settings(
        time_cost=int(passwords.get("ARGON2_TIME_COST") or defaults.time_cost),
        memory_cost_kib=int(passwords.get("ARGON2_MEMORY_KIB") or defaults.memory_cost_kib),
        parallelism=int(passwords.get("ARGON2_PARALLELISM") or defaults.parallelism),
    ), offload=offload)


def token_signer_and_verifier(config):
    tokens = config.get("TOKENS") or {}
    issuer = tokens.get("ISSUER") or "kunming-title-identity"
    audience = tokens.get("AUDIENCE") or "kunming-title"
    signing_key = signing_key_from_setting(tokens.get("PRIVATE_KEY"))
    signer = TokenSigner(signing_key, issuer, audience, int(tokens.get("ACCESS_TTL_SECONDS") or 900))
    # Keys retired by a rotation stay verifiable until the tokens they signed have expired.
    public_keys = {**public_keys_from_setting(tokens.get("PREVIOUS_PUBLIC_KEYS")),
                   signing_key.kid: signing_key.public_key}
    verifier = TokenVerifier(public_keys, issuer, audience, int(tokens.get("LEEWAY_SECONDS") or 0))
    return signer, verifier


def redis_key_prefix(config):
    """``REDIS.KEY_PREFIX``, or one derived from identity's database name when it is empty."""
    prefix = (config.get("REDIS") or {}).get("KEY_PREFIX")
    return prefix or make_url(config["DATABASE_URL"]).database + ":"


def counters_and_revocations(config, signer):
    """The throttles' counters and the revocation list: in Redis when ``REDIS.URL`` is set."""
    client = connect_redis((config.get("REDIS") or {}).get("URL"))
    if client is None:
        return MemoryCounters(), None
    prefix = redis_key_prefix(config)
    # Entries outlive the longest-lived access token they cover, plus the verifiers' leeway.
    ttl = int(signer.ttl.total_seconds()) + int((config.get("TOKENS") or {}).get("LEEWAY_SECONDS") or 0) + 60
    return SharedCounters(client, prefix + "throttle:"), RevocationList(client, prefix, ttl)


def build_identity(config, offload=None, clock=None, code_sender=None):
    """``(Identity, engine)`` for *config*; the caller disposes of the engine. *clock* is for tests, and
    so is *code_sender* (a code_sender.CodeSender; by default codes go to the notification service)."""
    engine, session_factory = open_database(config)
    signer, verifier = token_signer_and_verifier(config)
    counters, revocations = counters_and_revocations(config, signer)
    identity = Identity.wire(
        session_factory=session_factory,
        settings=Settings.from_config(config),
        hasher=password_hasher(config, offload),
        signer=signer,
        verifier=verifier,
        sender=code_sender or NotificationCodeSender(config["AMQP_URI"]),
        counters=counters,
        revocations=revocations,
        **({"clock": clock} if clock else {}),
    )
    return identity, engine


class IdentityApplications(SharedExtension):
    """The container's one Identity: every application shares its engine, throttles and keys.
    The engine lives from setup() to stop()."""

    def setup(self):
        # argon2 runs in eventlet's OS thread pool so a login does not stall the other workers.
        self.identity, self.engine = build_identity(self.container.config, offload=eventlet.tpool.execute,
                                                    clock=configured_clock(self.container.config))

    def stop(self):
        self.engine.dispose()

    def kill(self):
        self.engine.dispose()


class IdentityApplication(DependencyProvider):
    """One of identity's applications, by its name in Identity: ``accounts = IdentityApplication("accounts")``."""

    applications = IdentityApplications()

    def __init__(self, application):
        self.application = application

    def get_dependency(self, worker_ctx):
        return getattr(self.applications.identity, self.application)
