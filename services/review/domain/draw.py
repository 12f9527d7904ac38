"""The random draw of a meeting's experts (专家抽取), pure and replayable.

The draw is ``random.Random(seed).sample`` over the sorted ids of the eligible experts. The seed,
the candidates and the count are recorded, so anyone can replay the draw and get the same experts;
Python's string seeding (version 2, SHA-512 based) is stable across platforms and releases.
"""
import random
import secrets

from ..exceptions import CommitteeRuleError

APPLICANT_REASON = "本人为本次会议的申报人"
ALL_DOSSIERS_REASON = "与本次会议全部申报人同一单位,须全部回避"


def new_seed():
    """A fresh, unpredictable seed (recorded with the draw)."""
    return secrets.token_hex(16)


def exclusions(pool, *, declared=None, applicant_ids=(), dossier_unit_ids=()):
    """``{expert_id: reason}`` for experts who may not be drawn: declared conflicts with the whole
    meeting, applicants of the meeting, and experts who would have to recuse from every dossier."""
    excluded = dict(declared or {})
    applicants, units = set(applicant_ids), set(dossier_unit_ids)
    for expert in pool:
        expert_id = expert["expert_id"]
        if expert_id in excluded:
            continue
        if expert_id in applicants:
            excluded[expert_id] = APPLICANT_REASON
        elif units and units == {expert["unit_id"]}:
            excluded[expert_id] = ALL_DOSSIERS_REASON
    return excluded


def candidates(pool, excluded):
    """The sorted ids of the pool's experts who are not excluded."""
    return sorted(expert["expert_id"] for expert in pool if expert["expert_id"] not in excluded)


def draw(seed, candidate_ids, count):
    """*count* experts drawn from *candidate_ids* with *seed*; the same inputs always give the same list."""
    ordered = sorted(candidate_ids)
    if count > len(ordered):
        raise CommitteeRuleError(f"可抽取的专家只有 {len(ordered)} 人,不足 {count} 人",
                                 fields={"expert_count": [f"最多可抽取 {len(ordered)} 人"]})
    return random.Random(seed).sample(ordered, count)


def replay(record):
    """Replay a recorded draw: ``{seed, candidates, count, drawn}`` -> (replayed list, matches?)."""
    replayed = draw(record["seed"], record["candidates"], record["count"])
    return replayed, replayed == list(record["drawn"])
