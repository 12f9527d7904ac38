"""A conflict is a conflict: decisions made at the same moment on the same version never both land.

Before, a losing command was retried against the reloaded dossier; ``return`` is legal from
``unit_approved``, so approve-vs-return at once often recorded both. Now each decision names the
version it was made on, and the loser gets a 409 saying who moved the dossier.
"""
import eventlet
from nameko.standalone.rpc import ClusterRpcProxy

from services.dossier.exceptions import StaleVersionError
from services.dossier.service import DossierService
from shared.rpc import register_platform_errors
from tests.factories import Cast, fill_eligible

register_platform_errors()
TRIALS = 100
PARALLEL = 5  # pairs raced at the same time
DECISIONS = ("unit_approved", "returned", "rejected")


def submitted(dossiers):
    cast = Cast()
    dossier = dossiers.create(cast.applicant, **cast.creation_fields())
    loaded = dossiers.load(dossier.id)
    fill_eligible(loaded, cast)
    dossiers.save(loaded)
    submitted_dossier = dossiers.submit(loaded.id, cast.applicant)
    return cast, str(loaded.id), submitted_dossier.version


def race(proxy, cast, dossier_id, version):
    """Approve and return at the same moment, both made on *version*: ``{command: answer or error}``."""
    decisions = {
        "approve": {"action": "approve", "opinion": "同意推荐", "expected_version": version},
        "return": {"action": "return", "reason": "请补充学历证明", "sections": ["education"], "expected_version": version},
    }
    replies = {name: proxy.dossier.decide.call_async(cast.unit_admin.to_dict(), dossier_id, body)
               for name, body in decisions.items()}
    outcomes = {}
    for name, reply in replies.items():
        try:
            outcomes[name] = reply.result()["status"]
        except StaleVersionError as error:
            outcomes[name] = error
    return outcomes


def test_a_hundred_concurrent_approve_and_return_pairs_each_record_exactly_one_decision(
        run_services, dossier_config, dossiers):
    # Two instances, so the two decisions of a pair are usually handled by different processes' workers.
    run_services((DossierService, dossier_config), (DossierService, dossier_config))
    trials = [submitted(dossiers) for _ in range(TRIALS)]

    def run_share(share):
        # One standalone proxy per greenthread: a proxy's connection must not be read by two at once.
        with ClusterRpcProxy({"AMQP_URI": dossier_config["AMQP_URI"]}, timeout=60) as proxy:
            return [race(proxy, *trial) for trial in share]

    shares = [trials[start::PARALLEL] for start in range(PARALLEL)]
    results = dict(zip(range(PARALLEL), eventlet.GreenPool(PARALLEL).imap(run_share, shares), strict=True))
    outcomes = [results[index % PARALLEL][index // PARALLEL] for index in range(len(trials))]
    for (_, dossier_id, version), outcome in zip(trials, outcomes, strict=True):
        history = dossiers.history(dossier_id)
        recorded = [entry["type"] for entry in history[version:] if entry["type"] in DECISIONS]
        assert len(recorded) == 1, (dossier_id, recorded)
        winners = [name for name, result in outcome.items() if not isinstance(result, Exception)]
        losers = [result for result in outcome.values() if isinstance(result, Exception)]
        assert len(winners) == 1 and len(losers) == 1, outcome
        message = losers[0].message
        now = "退回修改" if recorded == ["returned"] else "单位审核通过"
        assert f"第 {version} 版" in message and f"当前状态为「{now}」" in message and "未记录" in message
