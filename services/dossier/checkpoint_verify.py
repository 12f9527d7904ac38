"""Check a dossier's signed checkpoint and inclusion proof offline, as an outside inspector would.

    python -m services.dossier.checkpoint_verify checkpoint.json proof.json public-key.pem [--history history.json]

*checkpoint.json* is a checkpoint as the audit route returns it (``checkpoint``) or as it lies in the
checkpoint bucket; *proof.json* the route's ``proof``; *public-key.pem* the checkpoint signing key's
public half, obtained from the platform's operators by a channel of its own (not from the same answer
as the checkpoint: a key that came with the forgery would vouch for it). ``--history`` takes the
dossier's history (``GET /api/v1/dossiers/{id}/history``, its ``items``) and checks that the event at
the checkpointed version still carries the signed head hash.

It checks that the signature over the checkpoint verifies with that key, that the proof's leaf — the
dossier's id, version and head hash — is in the tree whose root the checkpoint signs, and (given the
history) that the history agrees. Exit 0 when all hold, 1 when any does not, 2 on unusable input.
Needs only the standard library and ``cryptography``.
"""
import argparse
import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .checkpoints_merkle import canonical, leaf, leaf_hash, root_from_path

FORMAT = "kunming-dossier-checkpoint/1"
PROOF_FORMAT = "kunming-dossier-inclusion-proof/1"


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def key_id(public_key):
    """The RFC 7638 JWK thumbprint of an Ed25519 public key (the same key ids as the identity tokens')."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    return _b64url(hashlib.sha256(json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()).digest())


def signed_bytes(checkpoint):
    """What the signature covers: the canonical JSON of every field but ``signature``."""
    return canonical({name: value for name, value in checkpoint.items() if name != "signature"})


def signature_problem(checkpoint, public_keys):
    """Why *checkpoint*'s signature does not verify with *public_keys* (``{key id: key}``), or None."""
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        return "不是本系统的检查点(格式不符)"
    key = public_keys.get(checkpoint.get("key_id"))
    if key is None:
        return f"检查点由未知的密钥签名(密钥编号 {checkpoint.get('key_id')})"
    try:
        key.verify(base64.b64decode(str(checkpoint.get("signature", "")), validate=True), signed_bytes(checkpoint))
    except (InvalidSignature, ValueError, TypeError):
        return "检查点签名无效:内容被改动或并非由该密钥签发"
    return None


def proof_problem(checkpoint, proof):
    """Why *proof* does not show its leaf in *checkpoint*'s tree, or None."""
    if not isinstance(proof, dict) or proof.get("format") != PROOF_FORMAT:
        return "不是本系统的包含证明(格式不符)"
    if proof.get("sequence") != checkpoint.get("sequence") or proof.get("tree_size") != checkpoint.get("tree_size"):
        return "包含证明与检查点的序号或树大小不符"
    try:
        document = leaf(**proof["leaf"])
        path = [bytes.fromhex(node) for node in proof["path"]]
        computed = root_from_path(leaf_hash(document), int(proof["leaf_index"]), int(proof["tree_size"]), path)
    except (KeyError, TypeError, ValueError):
        return "包含证明内容不完整或无法解析"
    if computed is None or computed.hex() != checkpoint.get("root"):
        return "包含证明不成立:该叶子不在检查点签名的默克尔树中"
    return None


def history_problem(proof, history):
    """Why *history* (the dossier's events) disagrees with the proof's leaf, or None."""
    items = history.get("items", history) if isinstance(history, dict) else history
    wanted = proof["leaf"]
    entry = next((item for item in items or () if item.get("version") == wanted["version"]), None)
    if entry is None:
        return f"历史中没有第 {wanted['version']} 版事件:检查点之后事件被删除"
    if entry.get("hash") != wanted["head_hash"]:
        return f"历史中第 {wanted['version']} 版事件的哈希与签名检查点不符:历史已被改写"
    return None


def load_public_key(path):
    with open(path, "rb") as handle:
        key = serialization.load_pem_public_key(handle.read())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("公钥必须是 Ed25519 公钥")
    return key


def problems(checkpoint, proof, public_key, history=None):
    """Every check that fails (an empty list: the dossier's head is proven as signed)."""
    found = [signature_problem(checkpoint, {key_id(public_key): public_key}), proof_problem(checkpoint, proof)]
    if history is not None and found[1] is None:
        found.append(history_problem(proof, history))
    return [problem for problem in found if problem]


def _read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def main(argv=None):
    parser = argparse.ArgumentParser(description="离线核验申报材料的签名检查点与包含证明")
    parser.add_argument("checkpoint", help="检查点 JSON 文件")
    parser.add_argument("proof", help="包含证明 JSON 文件")
    parser.add_argument("public_key", help="检查点签名公钥(PEM)")
    parser.add_argument("--history", help="该申报材料的历史 JSON(可选)")
    args = parser.parse_args(argv)
    try:
        checkpoint, proof = _read_json(args.checkpoint), _read_json(args.proof)
        history = _read_json(args.history) if args.history else None
        public_key = load_public_key(args.public_key)
    except (OSError, ValueError) as error:
        print(f"无法读取输入:{error}", file=sys.stderr)
        return 2
    found = problems(checkpoint, proof, public_key, history)
    summary = {"ok": not found, "sequence": checkpoint.get("sequence"), "created_at": checkpoint.get("created_at"),
               "leaf": proof.get("leaf") if isinstance(proof, dict) else None, "problems": found}
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    print("核验通过:该申报材料在检查点时的历史已被签名确认" if not found else "核验失败:" + ";".join(found),
          file=sys.stderr)
    return 0 if not found else 1


if __name__ == "__main__":
    sys.exit(main())
