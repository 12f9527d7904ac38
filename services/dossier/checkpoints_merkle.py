"""The Merkle tree of a checkpoint: every dossier's (id, version, head hash) as one leaf.

The tree is RFC 9162's (Certificate Transparency v2): a leaf hashes ``0x00 || leaf bytes``, a node
``0x01 || left || right``, and a tree of n leaves splits at the largest power of two below n. An
inclusion proof is the audit path of RFC 9162 §2.1.3, checked by the algorithm of §2.1.3.2, so any
CT tooling or a few lines in another language can check one. A leaf's bytes are the canonical JSON
of ``{"dossier_id", "version", "head_hash"}`` (sorted keys, no spaces, UTF-8), leaves ordered by
dossier id. Standard library only: the offline verifier (checkpoint_verify.py) imports this module.
"""
import hashlib
import json

LEAF_PREFIX, NODE_PREFIX = b"\x00", b"\x01"


def canonical(document):
    """Deterministic bytes of a JSON document: sorted keys, no spaces, UTF-8."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def leaf(dossier_id, version, head_hash):
    return {"dossier_id": str(dossier_id), "version": int(version), "head_hash": str(head_hash)}


def leaf_hash(document):
    """The tree hash of one leaf document."""
    return hashlib.sha256(LEAF_PREFIX + canonical(document)).digest()


def _node(left, right):
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(size):
    """The largest power of two smaller than *size* (size ≥ 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def root(hashes):
    """The tree hash of leaf hashes *hashes* (bytes); the empty tree's is SHA-256 of nothing."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    level = list(hashes)
    # Bottom-up pairing with the odd last node carried up unchanged gives RFC 9162's tree exactly.
    while len(level) > 1:
        paired = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_path(hashes, index):
    """The audit path (list of bytes, leaf side first) proving leaf *index* among *hashes*."""
    if not 0 <= index < len(hashes):
        raise IndexError("leaf index outside the tree")
    path = []
    _path(list(hashes), index, path)
    return path


def _path(hashes, index, path):
    if len(hashes) == 1:
        return
    k = _split(len(hashes))
    if index < k:
        _path(hashes[:k], index, path)
        path.append(root(hashes[k:]))
    else:
        _path(hashes[k:], index - k, path)
        path.append(root(hashes[:k]))


def root_from_path(leaf_digest, index, size, path):
    """The root that *path* proves leaf *leaf_digest* at *index* of a tree of *size* leaves under, or
    None when the path cannot belong to such a tree (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        return None
    fn, sn, result = index, size - 1, leaf_digest
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = _node(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = _node(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return result if sn == 0 else None
