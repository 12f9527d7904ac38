"""Holding a dossier against the signed checkpoints, and the auditor's export of one.

``checkpoint_verdict`` is ``verify``'s second half: the hash the dossier's stored events give at the
version the newest checkpoint signed must be the signed head. When it is not, the chain was rewritten
after that checkpoint; the earlier checkpoints (followed back through ``previous``, at most
``walk_back`` of them) show the newest version that still agrees, and the first version after it is
the first bad one — with no earlier agreement, version 1. ``inclusion`` gives the auditor the newest
checkpoint and the Merkle path of a dossier's leaf, to check offline (checkpoint_verify.py).
"""
import logging
from datetime import datetime

from shared.clock import beijing_text
from shared.errors import Conflict, NotFound

from .checkpoints import CheckpointDamaged

log = logging.getLogger(__name__)


def _beijing(created_at):
    """A checkpoint's UTC time as people here read it."""
    try:
        return beijing_text(datetime.fromisoformat(created_at.replace("Z", "+00:00")), "%Y-%m-%d %H:%M:%S") + " 北京时间"
    except (AttributeError, ValueError):
        return str(created_at)


def _summary(checkpoint, **fields):
    return {"sequence": checkpoint.sequence, "created_at": checkpoint.created_at, **fields}


def checkpoint_verdict(checkpoints, dossier_id, count, chain):
    """``(checkpoint part of the answer or None, first bad version or None, Chinese reason or None)``.

    A store that cannot be reached is no evidence of tampering: the part says so (``ok: None``) and the
    answer stands on the chain alone."""
    try:
        return _verdict(checkpoints, dossier_id, count, chain)
    except CheckpointDamaged as damage:  # the newest checkpoint does not even parse
        return {"ok": False, "reason": str(damage)}, None, str(damage)
    except Exception as error:  # the checkpoint store is down or refuses us
        log.warning("checkpoint store unavailable for verify: %r", error)
        return {"ok": None, "reason": "签名检查点存储暂时无法访问,本次只核验了哈希链"}, None, None


def _verdict(checkpoints, dossier_id, count, chain):
    latest = checkpoints.latest()
    if latest is None:
        return None, None, None
    try:
        signed = checkpoints.trusted_leaves(latest).get(dossier_id)
    except CheckpointDamaged as damage:
        return _summary(latest, ok=False, reason=str(damage)), None, str(damage)
    if signed is None:
        return None, None, None  # newer than the newest checkpoint
    version, head = signed
    label = f"第 {latest.sequence} 号签名检查点({_beijing(latest.created_at)})"
    if count < version:
        reason = f"{label}确认过 {version} 版事件,现在只剩 {count} 版:事件被删除"
        return _summary(latest, version=version, ok=False, reason=reason), count + 1, reason
    if version not in chain.hashes:  # the chain breaks at or before the signed version: verify says where
        reason = f"第 {chain.first_bad_version} 版起事件链已损坏,无法与{label}比对"
        return _summary(latest, version=version, ok=False, reason=reason), chain.first_bad_version, None
    if chain.hashes[version] == head:
        return _summary(latest, version=version, ok=True), None, None
    first_bad = _first_unproven(checkpoints, latest, dossier_id, version, chain)
    span = f"第 {first_bad} 版" if first_bad == version else f"第 {first_bad} 版至第 {version} 版之间"
    reason = f"重算的第 {version} 版哈希与{label}所签不符:{span}的事件在检查点之后被改写(其后各版哈希也被重算)"
    return _summary(latest, version=version, ok=False, reason=reason), first_bad, reason


def _first_unproven(checkpoints, latest, dossier_id, version, chain):
    """The first version no earlier checkpoint vouches for: one past the newest signed version that the
    stored events still reproduce."""
    checkpoint = latest
    for _ in range(checkpoints.walk_back):
        if checkpoint.previous_sequence is None:
            break
        checkpoint = checkpoints.at(checkpoint.previous_sequence)
        try:
            signed = checkpoints.trusted_leaves(checkpoint).get(dossier_id) if checkpoint else None
        except CheckpointDamaged:
            signed = None
        if signed is None:
            break
        earlier, head = signed
        if earlier < version and chain.hashes.get(earlier) == head:
            return earlier + 1
    return 1


def inclusion(checkpoints, dossier_id):
    """The newest checkpoint (exactly as signed and stored), the inclusion proof of *dossier_id* in it
    and the public key that should verify it: ``{checkpoint, proof, public_key, key_id}``."""
    latest = checkpoints.latest()
    if latest is None:
        raise NotFound("尚未生成任何签名检查点")
    try:
        leaves = checkpoints.trusted_leaves(latest)
    except CheckpointDamaged as damage:
        raise Conflict(f"最新检查点未通过核验,不能据此出具证明:{damage}") from None
    if leaves.get(dossier_id) is None:
        raise NotFound(f"申报材料 {dossier_id} 尚未纳入签名检查点(检查点按周期生成,请稍后再试)")
    kid = latest.document.get("key_id")
    return {"checkpoint": latest.document, "proof": leaves.proof(dossier_id, latest),
            "public_key": checkpoints.public_key(kid), "key_id": kid}


def latest_summary(checkpoints):
    """The newest checkpoint as signed and stored, and whether its signature verifies here."""
    latest = checkpoints.latest()
    if latest is None:
        raise NotFound("尚未生成任何签名检查点")
    problem = checkpoints.signature_problem(latest)
    return {"checkpoint": latest.document, "signature_ok": problem is None, "problem": problem}
