"""The meeting record (表决结果汇总表 / 评审会议纪要) as data, with no I/O: what it says, its canonical
bytes for signing, the seal that binds the PDF to them, and the public answer of a verification.

The record says what the meeting decided and how it got there: the committee and meeting, how many
experts were drawn, attended and recused, each dossier's tally and result, the lead reviewers'
opinions (attributed: they are not secret), the draw's seed and whether replaying it gave the same
experts, and — when the ballot box can prove it — whether the tally checked out. It never holds an
expert's choice or an expert id: only counts, and lead reviewers by name.

Two signatures by the review service's key: ``signature`` over the canonical content (printed on the
PDF, so anyone with the content and the public key can check it), and ``file_signature`` over the
seal ``number, content SHA-256, PDF SHA-256`` (the PDF cannot print a signature of itself).
"""
import hashlib
import json
import re
from fractions import Fraction

from shared.clock import beijing_text
from shared.titles import LEVELS, SERIES

from .ballots import AGREE, ABSTAIN, DISAGREE, at_least, passes

CANONICAL_PREFIX = b"kunming-title-meeting-record:v1\n"
FILE_SEAL_PREFIX = b"kunming-title-meeting-record-file:v1\n"
TITLE = "表决结果汇总表 / 评审会议纪要"
CARRIED, NOT_CARRIED = "通过", "未通过"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def record_number(year, serial):
    """``PS2026-0007``: the seventh record of meetings held in 2026 (PS: 评审)."""
    return f"PS{int(year)}-{int(serial):04d}"


def build_content(*, number, committee, meeting, experts, dossiers, recused, facts, leads, draw, replay_matches,
                  quorum_share, pass_share, tally_check=None):
    """The record's content, plain JSON data.

    *experts*: the meeting's drawn experts (``attending``); *dossiers*: its dossiers in order (with
    ``tally``); *recused*: ``{dossier_id: number of recused attending experts}``; *facts*:
    ``{dossier_id: {series, level, specialty}}`` where review knows them; *leads*: ``[{dossier_id,
    name, opinion}]``; *tally_check*: ``{ok, detail}`` or None.
    """
    drawn, attending = len(experts), sum(1 for expert in experts if expert["attending"])
    by_dossier = {}
    for lead in leads:
        by_dossier.setdefault(str(lead["dossier_id"]), []).append(
            {"name": lead.get("name") or "", "opinion": (lead.get("opinion") or "").strip()})
    entries = []
    for position, dossier in enumerate(dossiers, 1):
        known = facts.get(dossier["dossier_id"]) or {}
        entries.append({
            "position": position, "dossier_id": dossier["dossier_id"], "applicant_name": dossier["applicant_name"],
            "unit_name": dossier["unit_name"], "series": SERIES.get(known.get("series"), known.get("series") or ""),
            "level": LEVELS.get(known.get("level"), known.get("level") or ""), "specialty": known.get("specialty") or "",
            "recused": int(recused.get(dossier["dossier_id"], 0)), **_tallied(dossier.get("tally")),
            "leads": by_dossier.get(dossier["dossier_id"], []),
        })
    carried = sum(1 for entry in entries if entry["carried"])
    return {
        "version": 1, "number": number, "title": TITLE,
        "committee": {"name": committee["name"], "organising_body": committee.get("organising_body") or "",
                      "series": SERIES.get(committee["series"], committee["series"]),
                      "levels": [LEVELS.get(level, level) for level in committee.get("levels") or []]},
        "meeting": {"id": meeting["id"], "title": meeting["title"], "date": meeting["meeting_date"].isoformat(),
                    "opened_at": _local(meeting.get("opened_at")), "closed_at": _local(meeting.get("closed_at"))},
        "experts": {"drawn": drawn, "attending": attending, "absent": drawn - attending,
                    "quorum_required": at_least(Fraction(str(quorum_share)), drawn), "quorum_share": str(quorum_share)},
        "pass_share": str(pass_share),
        "draw": {"seed": (draw or {}).get("seed") or "", "candidates": len((draw or {}).get("candidates") or []),
                 "excluded": len((draw or {}).get("excluded") or {}), "drawn": len((draw or {}).get("drawn") or []),
                 "replay_matches": bool(replay_matches)},
        "dossiers": entries,
        "summary": {"dossiers": len(entries), "carried": carried, "not_carried": len(entries) - carried},
        "tally_check": ({"ok": bool(tally_check["ok"]), "detail": str(tally_check.get("detail") or "")}
                        if tally_check else None),
    }


def _tallied(tally):
    if not tally:
        return {"tally": None, "carried": False, "outcome": "未表决"}
    counts = {name: int(tally[name]) for name in (AGREE, DISAGREE, ABSTAIN, "voters", "required")}
    carried = passes(counts[AGREE], counts["voters"], counts["required"])
    return {"tally": counts, "carried": carried, "outcome": CARRIED if carried else NOT_CARRIED}


def _local(moment):
    return beijing_text(moment) if moment else ""


def canonical(content):
    """The bytes that are signed: a domain prefix and the content as sorted, compact UTF-8 JSON."""
    return CANONICAL_PREFIX + json.dumps(content, ensure_ascii=False, sort_keys=True,
                                         separators=(",", ":")).encode("utf-8")


def content_sha256(content):
    """The SHA-256 printed on the record: of exactly the signed bytes."""
    return hashlib.sha256(canonical(content)).hexdigest()


def file_seal(number, content_digest, pdf_digest):
    """What ``file_signature`` covers: this PDF (by its SHA-256) is the rendering of that content."""
    return FILE_SEAL_PREFIX + f"{number}\n{content_digest}\n{pdf_digest}".encode("ascii")


def normalize_sha256(text):
    """A SHA-256 as typed or pasted (case, spaces, a ``sha256:`` prefix ignored); None if it is not one."""
    cleaned = re.sub(r"\s", "", str(text or "")).lower().removeprefix("sha256:")
    return cleaned if _SHA256.fullmatch(cleaned) else None


def verify_url(base_url, number):
    return f"{base_url}?number={number}"


# -- the public answer ----------------------------------------------------------------------------

NOT_FOUND = {"found": False, "valid": False, "file_matches": False, "signature_valid": False,
             "message": "未找到该编号的会议纪要,请核对纪要编号"}


def verification_answer(row, *, file_matches, signature_valid):
    """What the public check says. The content is shown only to whoever holds the very PDF (its
    SHA-256 matches): a number alone discloses nothing but that the record exists."""
    valid = file_matches and signature_valid
    if not signature_valid:
        message = "会议纪要的电子签名校验未通过,请联系评委会办公室"
    elif not file_matches:
        message = "所提交的文件与签发的会议纪要不一致(文件可能已被修改),该文件无效"
    else:
        message = "会议纪要真实有效:文件与签发记录一致,电子签名校验通过"
    answer = {"found": True, "valid": valid, "file_matches": file_matches, "signature_valid": signature_valid,
              "message": message, "number": row["number"], "key_id": row["key_id"]}
    if valid:
        content = row["content"]
        answer.update(
            content=content, content_sha256=row["content_sha256"], pdf_sha256=row["pdf_sha256"],
            signature=row["signature"], file_signature=row["file_signature"],
            canonical_content=canonical(content).decode("utf-8"),
        )
    return answer
