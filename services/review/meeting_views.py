"""A meeting as plain data for its organisers and auditors. Never a choice next to an expert: the
view says who has voted (the receipts) and, after closing, each dossier's tally — nothing else.
Attributed on purpose: each dossier's lead reviewers (主审) with their opinions, and the office's
recorded changes to the dossier set."""
from shared.roles import ROLE_LABELS

from .domain import ballots

CHANGE_LABELS = {"added": "调入", "removed": "撤出"}


def _iso(value):
    return value.isoformat() if value is not None else None


def lead_view(row, recusal=None):
    """One lead reviewer as the pages show them (``cases/leads.lead_rows``): who, their opinion as it
    stands, and why they now recuse (None: they do not)."""
    return {"expert_id": row["expert_id"], "name": row["name"], "unit_name": row["unit_name"],
            "opinion": row["opinion"], "opinion_at": _iso(row["opinion_at"]), "named_at": _iso(row["named_at"]),
            "recused": recusal}


def change_view(row):
    """One recorded change of the dossier set: what, which dossier, why, by whom (role) and when."""
    return {"dossier_id": row["dossier_id"], "applicant_name": row["applicant_name"], "change": row["change"],
            "change_label": CHANGE_LABELS.get(row["change"], row["change"]), "reason": row["reason"],
            "decided_by": row["decided_by"], "decided_role_label": ROLE_LABELS.get(row["decided_role"], ""),
            "decided_at": _iso(row["decided_at"])}


def meeting_view(data, committee, pool, voted, changes=(), leads=()):
    """*voted* is ``[(dossier_id, expert_id)]`` from the receipts; *changes* the rows of
    ``meeting_dossier_changes``; *leads* ``cases/leads.lead_rows`` of the meeting."""
    profiles = {expert["expert_id"]: expert for expert in pool}
    leads_of = {}
    for lead in leads:
        leads_of.setdefault(lead["dossier_id"], []).append(lead)
    voted_on = {}
    for dossier_id, expert_id in voted:
        voted_on.setdefault(dossier_id, set()).add(expert_id)
    experts = []
    for expert in data.experts:
        profile = profiles.get(expert["expert_id"], {})
        experts.append({"expert_id": expert["expert_id"], "name": profile.get("name", ""),
                        "unit_id": expert["unit_id"], "unit_name": profile.get("unit_name", ""),
                        "title": profile.get("title", ""), "specialty": profile.get("specialty", ""),
                        "draw_order": expert["draw_order"], "attending": expert["attending"]})
    dossiers = []
    for dossier in data.dossiers:
        recused = [{"expert_id": expert["expert_id"], "reason": data.recusal(expert, dossier)}
                   for expert in data.experts if data.recusal(expert, dossier)]
        dossiers.append({
            "dossier_id": dossier["dossier_id"], "applicant_name": dossier["applicant_name"],
            "unit_name": dossier["unit_name"], "state": dossier["state"], "tally": dossier["tally"],
            "result_recorded": dossier["result_recorded"], "error": dossier["error"],
            "voters": len(data.voters(dossier)), "ballots_cast": len(voted_on.get(dossier["dossier_id"], ())),
            "voted_experts": sorted(voted_on.get(dossier["dossier_id"], ())), "recused": recused,
            "leads": [lead_view(lead, _recusal(data, lead["expert_id"], dossier))
                      for lead in leads_of.get(dossier["dossier_id"], [])],
        })
    meeting = data.meeting
    quorum = ballots.quorum(len(data.drawn_ids), len(data.attending_ids), committee["settings"]["quorum_share"])
    return {
        "id": meeting["id"], "committee_id": committee["id"], "committee_name": committee["name"],
        "title": meeting["title"], "meeting_date": meeting["meeting_date"].isoformat(),
        "expert_count": meeting["expert_count"], "state": meeting["state"],
        "state_label": ballots.MEETING_STATES[meeting["state"]], "draw": meeting["draw"],
        "attendance_recorded": meeting["attendance_recorded"], "opened_at": _iso(meeting["opened_at"]),
        "closed_at": _iso(meeting["closed_at"]), "experts": experts, "quorum": quorum.to_dict(),
        "pass_share": committee["settings"]["pass_share"], "quorum_share": committee["settings"]["quorum_share"],
        "dossiers": dossiers,
        "dossier_changes": [change_view(row) for row in changes],
    }


def _recusal(data, expert_id, dossier):
    expert = data.expert(expert_id)
    return data.recusal(expert, dossier) if expert else None
