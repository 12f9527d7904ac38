"""A meeting as plain data for its organisers and auditors. Never a choice next to an expert: the
view says who has voted (the receipts) and, after closing, each dossier's tally — nothing else."""
from .domain import ballots


def _iso(value):
    return value.isoformat() if value is not None else None


def meeting_view(data, committee, pool, voted):
    """*voted* is ``[(dossier_id, expert_id)]`` from the receipts."""
    profiles = {expert["expert_id"]: expert for expert in pool}
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
        "pass_share": committee["settings"]["pass_share"], "dossiers": dossiers,
    }
