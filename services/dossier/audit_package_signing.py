"""The dossier service's part in an audit package (shared/audit_package.py): its events as stored, and
its signature over a package's statement, with the checkpoint key — the platform's published key.

The gateway assembles the package; this service vouches only for what it holds. It signs a statement
only when the dossier's chain verifies now (hash chain, tail and signed checkpoints: ``Dossiers.verify``)
and the statement names this very dossier, its number of stored events and their head hash: a package
of a history other than the stored one is never signed, whoever asks.
"""
import base64
import logging
import uuid

from shared.audit_package import check_statement, signed_bytes
from shared.contracts.dossier_chain import UNREADABLE, plain_state
from shared.errors import Conflict
from shared.tokens import key_id, public_key_pem

from .exceptions import ActorNotAllowedError, DossierNotFound, InvalidCommandError

log = logging.getLogger(__name__)
NO_KEY = ("本系统未配置审计包签名密钥(检查点签名密钥 CHECKPOINTS.signing_key,环境变量 "
          "DOSSIER_CHECKPOINT_SIGNING_KEY),无法签发审计包;请联系运维人员配置后再导出。")


def _uuid(dossier_id):
    try:
        return uuid.UUID(str(dossier_id))
    except ValueError:
        raise DossierNotFound(f"申报材料编号 {dossier_id} 无效") from None


def stored_records(app, dossier_id):
    """Every stored event of the dossier, oldest first, decoded before any upcasting (as ``Dossiers.chain``
    reads them), its state as the plain JSON its hash covers: ``{version, topic, originator_id,
    class_version, state}``; an undecodable row has ``state`` None (the chain check names it)."""
    rows = app.recorder.select_events(_uuid(dossier_id))
    if not rows:
        raise DossierNotFound(f"申报材料 {dossier_id} 不存在")
    records = []
    for row in rows:
        try:
            state = app.mapper.transcoder.decode(row.state)
            class_version = state.pop("class_version", 1)
            state = plain_state(state)
        except Exception:  # unreadable bytes are damage, shown as such
            state, class_version = UNREADABLE, None
        records.append({"version": row.originator_version, "topic": row.topic, "originator_id": str(row.originator_id),
                        "class_version": class_version, "state": state})
    return records


def public_keys(checkpoints):
    """``{algorithm, keys: {key id: PEM}, current}``: every key an audit package may be signed with,
    retired ones too (``CHECKPOINTS.public_keys``); ``current`` signs new packages (None: no key here)."""
    keys = checkpoints.verify_keys if checkpoints is not None else {}
    signing_key = checkpoints.signing_key if checkpoints is not None else None
    return {"algorithm": "Ed25519", "keys": {kid: public_key_pem(key) for kid, key in keys.items()},
            "current": key_id(signing_key.public_key()) if signing_key is not None else None}


def sign_statement(app, checkpoints, actor, dossier_id, statement):
    """``{key_id, signature}`` (base64 Ed25519 over shared.audit_package.signed_bytes) of *statement*, once
    it is shown to describe the dossier's stored, verified history exported by *actor*."""
    problem = check_statement(statement)
    if problem:
        raise InvalidCommandError(problem, fields={"statement": [problem]})
    signing_key = checkpoints.signing_key if checkpoints is not None else None
    if signing_key is None:
        raise Conflict(NO_KEY)
    dossier_id = str(_uuid(dossier_id))
    if statement["dossier_id"] != dossier_id:
        raise Conflict("审计包声明的申报材料编号与所请求的不符,不予签名")
    exporter = statement["exported_by"]
    if exporter["account_id"] != actor.account_id or exporter["role"] != actor.role:
        raise ActorNotAllowedError("审计包声明的导出人与当前操作人不符,不予签名")
    verdict = app.verify(dossier_id, checkpoints=checkpoints)
    if not verdict["ok"]:
        raise Conflict(f"该申报材料的历史校验未通过(第 {verdict.get('first_bad_version')} 版:"
                       f"{verdict.get('reason') or '哈希链不符'}),不签发审计包")
    count, chain = app.chain(dossier_id)
    if statement["events"] != count or statement["head_hash"] != chain.hashes.get(count):
        raise Conflict(f"审计包声明的事件数或链头哈希与本系统存储的历史(共 {count} 版)不符:只签发与存储一致的历史")
    signature = signing_key.sign(signed_bytes(statement))
    kid = key_id(signing_key.public_key())
    log.info("audit package of dossier %s signed for %s (%s): %s events, head %s, file %s, key %s", dossier_id,
             actor.account_id, actor.role, count, statement["head_hash"], statement["zip_sha256"], kid)
    return {"key_id": kid, "signature": base64.b64encode(signature).decode("ascii")}
