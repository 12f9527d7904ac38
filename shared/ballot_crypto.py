"""The secret ballot's cryptography: exponential ElGamal on Ed25519's prime-order group, with
zero-knowledge proofs, so a tally can be checked by anyone and a single ballot read by no one.

Every point and scalar operation is libsodium's (through PyNaCl's bindings); nothing here does field
arithmetic of its own. Points and scalars travel as lowercase hex of their 32-byte encodings.

* A meeting has a key pair: secret ``x``, public ``Y = x·G``. The secret is derived from a master key
  the review service gets from its environment (``derive_secret``) and is never stored or sent.
* A ballot on one dossier is one ciphertext per choice (同意, 不同意, 弃权): ``(A, B) = (r·G, m·G + r·Y)``
  with ``m`` 1 for the chosen one and 0 for the others. Each carries a disjunctive Chaum–Pedersen
  proof that it encrypts 0 or 1, and the ballot carries one that the three encrypt 1 in all: so a
  valid ballot is exactly one valid choice, and it shows nothing else.
* The tally multiplies (adds, in the group) every ballot's ciphertexts per choice, and only those sums
  are decrypted: ``D = x·ΣA``, ``ΣB − D = t·G``, ``t`` found by counting up. A Chaum–Pedersen proof that
  ``log_G Y = log_ΣA D`` shows the decryption is correct without the secret.
* ``verify_record`` checks a published record (public key, every ballot, every tally with its proof)
  from nothing but the record: ``python -m shared.tally_check record.json`` runs it offline.

Proofs are made non-interactive by hashing (Fiat–Shamir, SHA-512 reduced mod the group order) over a
context naming the scheme, the meeting, the dossier and the public key, so a proof cannot be replayed
elsewhere.
"""
import hashlib
import hmac
import os
from dataclasses import dataclass

from nacl import bindings as sodium

SCHEME = "kunming-ballot/elgamal-ed25519/v1"
POINT_BYTES = 32
IDENTITY = b"\x01" + b"\x00" * 31  # the neutral element's encoding (y = 1, x = 0)
BASE = sodium.crypto_scalarmult_ed25519_base_noclamp((1).to_bytes(32, "little"))


class BallotProofError(ValueError):
    """A ballot, tally or record that does not verify; the message says which part and why."""


# -- group operations (all libsodium) ---------------------------------------------------------------

def _scalar(value: int) -> bytes:
    return value.to_bytes(32, "little")


ZERO = _scalar(0)
ONE = _scalar(1)


def random_scalar() -> bytes:
    """A uniformly random non-zero scalar (64 random bytes reduced mod the order)."""
    while True:
        candidate = sodium.crypto_core_ed25519_scalar_reduce(os.urandom(64))
        if candidate != ZERO:
            return candidate


def hash_to_scalar(*parts) -> bytes:
    """SHA-512 over length-prefixed parts, reduced mod the group order (the Fiat–Shamir challenge)."""
    digest = hashlib.sha512()
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return sodium.crypto_core_ed25519_scalar_reduce(digest.digest())


def mul_base(scalar: bytes) -> bytes:
    """``scalar·G`` (the neutral element for 0, which libsodium refuses to return)."""
    return IDENTITY if scalar == ZERO else sodium.crypto_scalarmult_ed25519_base_noclamp(scalar)


def mul(scalar: bytes, point: bytes) -> bytes:
    """``scalar·point`` for a point of the prime-order group (the neutral element stays neutral)."""
    if scalar == ZERO or point == IDENTITY:
        return IDENTITY
    return sodium.crypto_scalarmult_ed25519_noclamp(scalar, point)


def add(p: bytes, q: bytes) -> bytes:
    if p == IDENTITY:
        return q
    if q == IDENTITY:
        return p
    return sodium.crypto_core_ed25519_add(p, q)


def sub(p: bytes, q: bytes) -> bytes:
    if q == IDENTITY:
        return p
    if p == q:
        return IDENTITY
    return sodium.crypto_core_ed25519_sub(p, q)


def s_add(a: bytes, b: bytes) -> bytes:
    return sodium.crypto_core_ed25519_scalar_add(a, b)


def s_sub(a: bytes, b: bytes) -> bytes:
    return sodium.crypto_core_ed25519_scalar_sub(a, b)


def s_mul(a: bytes, b: bytes) -> bytes:
    return sodium.crypto_core_ed25519_scalar_mul(a, b)


def point_from_hex(text, what) -> bytes:
    """A group element from its hex, refusing anything that is not a point of the prime-order group."""
    try:
        point = bytes.fromhex(text)
    except (TypeError, ValueError):
        raise BallotProofError(f"{what}不是十六进制编码的群元素") from None
    if len(point) != POINT_BYTES:
        raise BallotProofError(f"{what}长度应为 32 字节")
    if point != IDENTITY and not sodium.crypto_core_ed25519_is_valid_point(point):
        raise BallotProofError(f"{what}不是有效的群元素")
    return point


def scalar_from_hex(text, what) -> bytes:
    try:
        scalar = bytes.fromhex(text)
    except (TypeError, ValueError):
        raise BallotProofError(f"{what}不是十六进制编码的标量") from None
    if len(scalar) != 32 or sodium.crypto_core_ed25519_scalar_reduce(scalar + b"\x00" * 32) != scalar:
        raise BallotProofError(f"{what}不是规范的标量")
    return scalar


# -- keys ---------------------------------------------------------------------------------------------

def derive_secret(master_key: bytes, meeting_id: str) -> bytes:
    """The meeting's secret scalar from the service's master key: nothing about it is stored anywhere."""
    if len(master_key) < 32:
        raise ValueError("计票主密钥至少 32 字节")
    material = hmac.new(master_key, f"{SCHEME}/meeting-key/{meeting_id}".encode(), hashlib.sha512).digest()
    secret = sodium.crypto_core_ed25519_scalar_reduce(material)
    return secret if secret != ZERO else ONE


def public_key(secret: bytes) -> bytes:
    return mul_base(secret)


def context(meeting_id, dossier_id, public_key_hex):
    return (SCHEME, str(meeting_id), str(dossier_id), public_key_hex)


# -- ballots ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ciphertext:
    a: bytes
    b: bytes

    def plus(self, other):
        return Ciphertext(add(self.a, other.a), add(self.b, other.b))

    def to_dict(self):
        return {"a": self.a.hex(), "b": self.b.hex()}


NEUTRAL = Ciphertext(IDENTITY, IDENTITY)


def _bit_proof(ctx, y, cipher, bit, r):
    """Disjunctive Chaum–Pedersen: *cipher* encrypts 0 or 1 (the real branch is *bit*, with nonce *r*)."""
    shifted = [cipher.b, sub(cipher.b, BASE)]  # B − k·G for k = 0, 1: the DH tuple of branch k
    other = 1 - bit
    challenges, responses, commits = [None, None], [None, None], [None, None]
    challenges[other], responses[other] = random_scalar(), random_scalar()
    commits[other] = (sub(mul_base(responses[other]), mul(challenges[other], cipher.a)),
                      sub(mul(responses[other], y), mul(challenges[other], shifted[other])))
    w = random_scalar()
    commits[bit] = (mul_base(w), mul(w, y))
    total = hash_to_scalar(*ctx, "bit", cipher.a, cipher.b, *commits[0], *commits[1])
    challenges[bit] = s_sub(total, challenges[other])
    responses[bit] = s_add(w, s_mul(challenges[bit], r))
    return {"c0": challenges[0].hex(), "c1": challenges[1].hex(), "z0": responses[0].hex(), "z1": responses[1].hex()}


def _check_bit_proof(ctx, y, cipher, proof, what):
    c = [scalar_from_hex(proof.get("c0"), what), scalar_from_hex(proof.get("c1"), what)]
    z = [scalar_from_hex(proof.get("z0"), what), scalar_from_hex(proof.get("z1"), what)]
    shifted = [cipher.b, sub(cipher.b, BASE)]
    commits = [(sub(mul_base(z[k]), mul(c[k], cipher.a)), sub(mul(z[k], y), mul(c[k], shifted[k]))) for k in (0, 1)]
    expected = hash_to_scalar(*ctx, "bit", cipher.a, cipher.b, *commits[0], *commits[1])
    if s_add(c[0], c[1]) != expected:
        raise BallotProofError(f"{what}的证明无效(不是 0 或 1 的加密)")


def _sum_proof(ctx, y, total, r_total):
    """Chaum–Pedersen: the summed ciphertext encrypts exactly 1 (one choice in all)."""
    w = random_scalar()
    commit = (mul_base(w), mul(w, y))
    c = hash_to_scalar(*ctx, "sum", total.a, total.b, *commit)
    return {"c": c.hex(), "z": s_add(w, s_mul(c, r_total)).hex()}


def _check_sum_proof(ctx, y, total, proof):
    c, z = scalar_from_hex(proof.get("c"), "合计证明"), scalar_from_hex(proof.get("z"), "合计证明")
    commit = (sub(mul_base(z), mul(c, total.a)), sub(mul(z, y), mul(c, sub(total.b, BASE))))
    if hash_to_scalar(*ctx, "sum", total.a, total.b, *commit) != c:
        raise BallotProofError("合计证明无效(选票不是恰好一个选项)")


def encrypt_choice(public_key_hex, meeting_id, dossier_id, choices, chosen):
    """The encrypted ballot for *chosen* (one of *choices*, in that fixed order), with its proofs."""
    if chosen not in choices:
        raise ValueError("表决意见不在可选范围内")
    y = point_from_hex(public_key_hex, "会议公钥")
    ctx = context(meeting_id, dossier_id, public_key_hex)
    entries, total, r_total = [], NEUTRAL, ZERO
    for choice in choices:
        bit = 1 if choice == chosen else 0
        r = random_scalar()
        cipher = Ciphertext(mul_base(r), add(BASE if bit else IDENTITY, mul(r, y)))
        entries.append({"choice": choice, **cipher.to_dict(), "proof": _bit_proof(ctx, y, cipher, bit, r)})
        total, r_total = total.plus(cipher), s_add(r_total, r)
    return {"scheme": SCHEME, "entries": entries, "sum_proof": _sum_proof(ctx, y, total, r_total)}


def _ciphertexts(ballot, choices, what):
    """The ballot's ciphertexts in *choices* order, refusing any other shape."""
    if not isinstance(ballot, dict) or ballot.get("scheme") != SCHEME:
        raise BallotProofError(f"{what}不是本系统的加密选票")
    entries = ballot.get("entries")
    if not isinstance(entries, list) or [entry.get("choice") if isinstance(entry, dict) else None
                                         for entry in entries] != list(choices):
        raise BallotProofError(f"{what}的选项应依次为:" + "、".join(choices))
    return [Ciphertext(point_from_hex(entry.get("a"), what), point_from_hex(entry.get("b"), what)) for entry in entries]


def verify_ballot(ballot, public_key_hex, meeting_id, dossier_id, choices, what="选票"):
    """Raise ``BallotProofError`` unless *ballot* is a valid encryption of exactly one of *choices*."""
    y = point_from_hex(public_key_hex, "会议公钥")
    ctx = context(meeting_id, dossier_id, public_key_hex)
    ciphers = _ciphertexts(ballot, choices, what)
    total = NEUTRAL
    for entry, cipher in zip(ballot["entries"], ciphers, strict=True):
        proof = entry.get("proof")
        if not isinstance(proof, dict):
            raise BallotProofError(f"{what}缺少证明")
        _check_bit_proof(ctx, y, cipher, proof, f"{what}「{entry['choice']}」")
        total = total.plus(cipher)
    if not isinstance(ballot.get("sum_proof"), dict):
        raise BallotProofError(f"{what}缺少合计证明")
    _check_sum_proof(ctx, y, total, ballot["sum_proof"])


# -- the tally ----------------------------------------------------------------------------------------

def sums(ballots, choices):
    """Per choice, the sum of every ballot's ciphertext for it (the homomorphic tally, still encrypted)."""
    totals = [NEUTRAL for _ in choices]
    for ballot in ballots:
        totals = [total.plus(cipher) for total, cipher in zip(totals, _ciphertexts(ballot, choices, "选票"), strict=True)]
    return totals


def _discrete_log(point, limit):
    """``t`` with ``t·G == point`` for 0 ≤ t ≤ limit (a count of ballots is small), else None."""
    current = IDENTITY
    for count in range(limit + 1):
        if current == point:
            return count
        current = add(current, BASE)
    return None


def decrypt_tally(secret, meeting_id, dossier_id, ballots, choices):
    """Decrypt only the sums: ``{counts: {choice: n}, proofs: {choice: {d, c, z}}, ballots: n}``."""
    y = public_key(secret)
    ctx = context(meeting_id, dossier_id, y.hex())
    counts, proofs = {}, {}
    for choice, total in zip(choices, sums(ballots, choices), strict=True):
        share = mul(secret, total.a)
        count = _discrete_log(sub(total.b, share), len(ballots))
        if count is None:
            raise BallotProofError(f"「{choice}」的合计无法解密:选票与会议公钥不符")
        w = random_scalar()
        commit = (mul_base(w), mul(w, total.a))
        c = hash_to_scalar(*ctx, "decrypt", choice, total.a, total.b, share, *commit)
        counts[choice] = count
        proofs[choice] = {"d": share.hex(), "c": c.hex(), "z": s_add(w, s_mul(c, secret)).hex()}
    return {"counts": counts, "proofs": proofs, "ballots": len(ballots)}


def verify_tally(public_key_hex, meeting_id, dossier_id, ballots, choices, tally):
    """Raise unless *tally* (``decrypt_tally``'s answer) is the correct decryption of these ballots' sums."""
    y = point_from_hex(public_key_hex, "会议公钥")
    ctx = context(meeting_id, dossier_id, public_key_hex)
    counts, proofs = tally.get("counts") or {}, tally.get("proofs") or {}
    for choice, total in zip(choices, sums(ballots, choices), strict=True):
        proof = proofs.get(choice)
        count = counts.get(choice)
        if not isinstance(proof, dict) or not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise BallotProofError(f"「{choice}」的计票结果或解密证明缺失")
        share = point_from_hex(proof.get("d"), f"「{choice}」的解密份额")
        c, z = scalar_from_hex(proof.get("c"), "解密证明"), scalar_from_hex(proof.get("z"), "解密证明")
        commit = (sub(mul_base(z), mul(c, y)), sub(mul(z, total.a), mul(c, share)))
        if hash_to_scalar(*ctx, "decrypt", choice, total.a, total.b, share, *commit) != c:
            raise BallotProofError(f"「{choice}」的解密证明无效")
        if sub(total.b, share) != mul_base(_scalar(count)):
            raise BallotProofError(f"「{choice}」的票数 {count} 与加密选票的合计不符")
    if sum(counts.get(choice, 0) for choice in choices) != len(ballots):
        raise BallotProofError("各选项票数之和与选票张数不符")


# -- the published record -----------------------------------------------------------------------------

def verify_record(record):
    """Check a meeting's published ballot record from nothing but itself; ``[{dossier_id, counts}]``.

    Raises ``BallotProofError`` naming the first dossier and part that fails: a ballot that is not one
    valid choice, a ballot stored twice, more or fewer ballots than receipts, a tally that is not the
    decryption of the ballots' sums."""
    if not isinstance(record, dict) or record.get("scheme") != SCHEME:
        raise BallotProofError("不是本系统的计票记录")
    choices, key, meeting_id = record.get("choices"), record.get("public_key"), record.get("meeting_id")
    if not isinstance(choices, list) or not choices or not isinstance(meeting_id, str):
        raise BallotProofError("计票记录缺少会议或选项")
    point_from_hex(key, "会议公钥")
    checked = []
    for dossier in record.get("dossiers") or []:
        dossier_id, ballots = dossier.get("dossier_id"), dossier.get("ballots") or []
        where = f"申报材料 {dossier_id}"
        seen = set()
        for number, ballot in enumerate(ballots, start=1):
            try:
                verify_ballot(ballot, key, meeting_id, dossier_id, choices, what=f"第 {number} 张选票")
            except BallotProofError as error:
                raise BallotProofError(f"{where}:{error}") from None
            fingerprint = tuple(entry["a"] for entry in ballot["entries"])
            if fingerprint in seen:
                raise BallotProofError(f"{where}:第 {number} 张选票重复出现")
            seen.add(fingerprint)
        if dossier.get("receipts") != len(ballots):
            raise BallotProofError(f"{where}:选票 {len(ballots)} 张,与投票回执 {dossier.get('receipts')} 份不符")
        tally = dossier.get("tally")
        if not isinstance(tally, dict):
            raise BallotProofError(f"{where}:缺少计票结果")
        try:
            verify_tally(key, meeting_id, dossier_id, ballots, choices, tally)
        except BallotProofError as error:
            raise BallotProofError(f"{where}:{error}") from None
        checked.append({"dossier_id": dossier_id, "counts": {c: tally["counts"][c] for c in choices}})
    return checked
