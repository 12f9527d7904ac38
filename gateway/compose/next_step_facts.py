"""What the 当前待办 cards need beyond the dossier, asked concurrently and only where the status needs it:
the year's notice (deadlines), the fee orders of a dossier owing a fee (accepted: the review fee; approved:
the certificate fee), the certificate of a certified one, and the organisation to contact. A service
that does not answer leaves its part out (the card says so or falls back to names); the page still
shows. The card itself is next_step.py (pure)."""
from shared.contracts import dossier as st

from .dossier_view import optional_call
from .next_step import CITY, DISTRICT, UNIT, contact_kind

# The statuses whose card reads the fee orders: the review fee once accepted, the certificate fee once
# publicity has ended.
FEE_STATUSES = (st.ACCEPTED, st.APPROVED)


def start_org(identity, kind, dossier):
    """Start asking identity for the organisation of *kind* (unit, district, or the city above the
    district); calling the result waits for it (None when unknown or unavailable)."""
    if kind == UNIT and dossier.get("unit_id"):
        return _org(optional_call(identity.get_org, dossier["unit_id"]))
    if kind == DISTRICT and dossier.get("district_id"):
        return _org(optional_call(identity.get_org, dossier["district_id"]))
    if kind == CITY and dossier.get("district_id"):
        ancestors = optional_call(identity.org_ancestors, dossier["district_id"])
        return lambda: _top(ancestors())
    return lambda: None


def _org(reply):
    return lambda: (lambda found: found if isinstance(found, dict) and not found.get("unavailable") else None)(reply())


def _top(ancestors):
    return ancestors[-1] if isinstance(ancestors, list) and ancestors else None


def start_notice(dossiers, review_year):
    """The year's notice document (``notice["notice"]``) when asked for; None when there is none."""
    reply = optional_call(dossiers.get_notice, review_year)

    def result():
        found = reply()
        return (found or {}).get("notice") if isinstance(found, dict) and not found.get("unavailable") else None

    return result


def list_facts(services, summaries):
    """``{dossier_id: facts}`` for the applicant's list: every call started before any is awaited, one
    notice per year and one organisation per (kind, id), orders and certificates only where needed.
    *services*: ``(dossier, payment, certificate, identity)`` RPC proxies."""
    dossiers, payment, certificate, identity = services
    notices = {year: start_notice(dossiers, year) for year in {s["review_year"] for s in summaries}}
    orgs, pending = {}, {}
    for summary in summaries:
        dossier_id, status = summary["dossier_id"], summary["status"]
        kind = contact_kind(status, summary)
        key = (kind, summary.get("unit_id") if kind == UNIT else summary.get("district_id"))
        if kind and key not in orgs:
            orgs[key] = start_org(identity, kind, summary)
        pending[dossier_id] = {
            "org": (kind, key) if kind else None,
            "orders": optional_call(payment.orders_of_dossier, dossier_id) if status in FEE_STATUSES else None,
            "certificate": optional_call(certificate.get_by_dossier, dossier_id) if status == st.CERTIFIED else None,
            "notice": notices[summary["review_year"]],
        }
    resolved = {key: start() for key, start in orgs.items()}
    facts = {}
    for dossier_id, started in pending.items():
        found = {"notice": started["notice"]()}
        if started["org"]:
            kind, key = started["org"]
            found["orgs"] = {kind: resolved[key]}
        if started["orders"]:
            found["orders"] = started["orders"]()
        if started["certificate"]:
            found["certificate"] = started["certificate"]()
        facts[dossier_id] = found
    return facts
