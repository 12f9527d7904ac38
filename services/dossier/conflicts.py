"""When two commands meet on one dossier: which may be retried, and what the loser is told.

The event store's version check makes every race visible (optimistic concurrency). What to do then
depends on the command. A command whose meaning does not depend on what its sender saw — the
applicant's own edits, the system's automated steps — is retried against the reloaded dossier: the
aggregate judges it afresh. A decision (approve, return, reject at any level, the batch sent
upward, and every other command a person issues after looking at the dossier) is never retried:
re-applying it to a state its sender never saw is how a dossier ended up both approved and returned.
Its loser gets a 409 naming the current status and who moved the dossier.
"""
import functools
import random
import time

from shared.clock import beijing_text
from shared.roles import ROLE_LABELS, SYSTEM

from shared.contracts import dossier as st
from .domain import event_name
from .exceptions import ConcurrentModificationError, StaleVersionError

# Commands retried on a lost race: their sender did not decide on the dossier's state.
RETRYABLE = frozenset((
    *st.SECTION_COMMANDS, "submit", "take_back", "withdraw", "abandon", "record_fee_paid", "send_to_committee",
    "recall_from_committee", "start_review", "record_vote_result", "start_publicity", "raise_objection",
    "end_publicity", "issue_certificate",
))
# Decisions: made on one version of the dossier, which the caller names (``expected_version``).
DECISIONS = frozenset(("approve", "return_for_changes", "reject", "recommend"))

class LostRace(Exception):
    """Internal: a save lost the version check (another command stored the next version first)."""

    def __init__(self, dossier_id, command, seen_version):
        super().__init__(dossier_id, command, seen_version)
        self.dossier_id, self.command, self.seen_version = dossier_id, command, seen_version


def may_retry(command):
    return command in RETRYABLE


def retry_on_conflict(method):
    """The application's one retry policy: a lost race of a retryable command runs the whole method
    again (reload, command, save) with jittered exponential backoff, at most ``command_retries``
    times, then answers 409; a lost race of any other command is answered 409 at once, saying what
    happened (``app.stale_error``)."""

    @functools.wraps(method)
    def run(app, *args, **kwargs):
        attempt = 0
        while True:
            try:
                return method(app, *args, **kwargs)
            except LostRace as lost:
                if not may_retry(lost.command):
                    raise app.stale_error(lost.dossier_id, lost.seen_version) from None
                if attempt >= app.command_retries:
                    raise ConcurrentModificationError(
                        f"申报材料 {lost.dossier_id} 正被他人同时处理,请刷新后重试") from None
                time.sleep(random.uniform(0, app.retry_backoff * 2**attempt))
                attempt += 1

    return run


def stale_message(seen_version, current, moves):
    """The loser's message: what they decided on, what moved the dossier since, and where it stands.

    *current* is the dossier now (``to_dict``); *moves* the events after *seen_version*, oldest first.
    """
    status = st.STATUS_LABELS.get(current["status"], current["status"])
    if seen_version > current["version"]:
        return (f"您提交的版本号(第 {seen_version} 版)不存在:申报材料当前为第 {current['version']} 版,"
                f"状态为「{status}」。您的操作未记录,请刷新后重新操作。")
    if not moves:
        happened = "此后申报材料已有变更"
    else:
        first = moves[0]
        name = event_name(first)
        happened = (f"此后{_who(first.actor)}于 {beijing_text(first.timestamp)}"
                    f"执行了「{st.EVENT_LABELS.get(name, name)}」")
        if len(moves) > 1:
            happened += f"等 {len(moves)} 项变更"
    return (f"申报材料已被他人处理:您依据的是第 {seen_version} 版,{happened},当前状态为「{status}」"
            f"(第 {current['version']} 版)。您的操作未记录,请刷新后查看最新情况再作决定。")


def stale_error(seen_version, current, moves):
    return StaleVersionError(stale_message(seen_version, current, moves),
                             fields={"expected_version": [f"申报材料已更新到第 {current['version']} 版,请刷新"]})


def _who(actor):
    actor = actor or {}
    role = actor.get("role")
    label = ROLE_LABELS.get(role, role or "他人")
    if role == SYSTEM or not actor.get("account_id"):
        return label
    return f"{label}(账号 {actor['account_id']})"

