"""The audit workspace's reads: who may use it, the names behind the actors of a dossier's events, the
masked ID numbers of a page of applicants, and every dossier a search matches (for an export).

The dossier events name an actor by account, role and organisation id only, and the dossier carries no
ID number: names and masked numbers come from identity, asked concurrently; one that does not answer
leaves its cell empty rather than failing the page. Whether someone may read a dossier stays the one
rule of shared/contracts/dossier_access.py (through compose/dossiers.py).
"""
import logging

from shared.errors import PermissionDenied
from shared.idnumbers import mask_resident_id
from shared.roles import AUDITOR, CITY_ADMIN, SYSTEM

from ..exceptions import ExportTooLarge

log = logging.getLogger(__name__)

# The search and its export are the audit officers' own; a dossier's timeline, versions and comparisons
# are also open to the city office, who may read every dossier's history today (dossier_access R1.5).
SEARCHERS = (AUDITOR,)
READERS = (AUDITOR, CITY_ADMIN)
# identity is asked this many accounts at a time (an export may name thousands of applicants).
LOOKUP_WINDOW = 25
EXPORT_PAGE = 200  # the dossier list's own largest page


def audit_actor(principal, roles=READERS):
    """The Actor *principal* reads the workspace as, or 403 with what it is for."""
    if not principal.has(*roles):
        who = "审计/纪检人员" if roles == SEARCHERS else "审计/纪检人员或市人社局审核员"
        raise PermissionDenied(f"审计工作台仅供{who}使用")
    return principal.actor(*roles)


def _answers(method, keys):
    """``{key: answer}`` of ``method(key)`` for each key, LOOKUP_WINDOW calls in flight at a time; a key
    whose call fails (unknown account, identity slow or down) is left out."""
    found, keys = {}, list(dict.fromkeys(key for key in keys if key))
    for start in range(0, len(keys), LOOKUP_WINDOW):
        pending = {}
        for key in keys[start:start + LOOKUP_WINDOW]:
            try:
                pending[key] = method.call_async(key)
            except Exception as error:  # nobody consumes the service's queue: nothing more to ask
                log.warning("audit lookups: %s unavailable: %r", method, error)
                return found
        for key, reply in pending.items():
            try:
                found[key] = reply.result()
            except Exception as error:
                log.info("audit lookups: %s(%s) failed: %r", method, key, error)
    return found


def actor_names(identity, events):
    """``(people, organisations)``: account id → name and organisation id → name, for the actors of
    *events* (the system is not an account and is not asked)."""
    actors = [event.get("actor") or {} for event in events]
    accounts = [actor.get("account_id") for actor in actors if actor.get("role") != SYSTEM]
    organisations = [actor.get("org_id") for actor in actors]
    people = {key: answer.get("name") or "" for key, answer in _answers(identity.get_account, accounts).items()}
    orgs = {key: answer.get("name") or "" for key, answer in _answers(identity.get_org, organisations).items()}
    return people, orgs


def masked_id_numbers(identity, applicant_ids):
    """Applicant account id → masked ID number, for those identity knows. Masked here again whatever
    identity sent: a full number never reaches a page or an export."""
    answers = _answers(identity.get_account, applicant_ids)
    return {key: mask_resident_id(answer["id_number_masked"]) for key, answer in answers.items()
            if answer.get("id_number_masked")}


def every_match(dossiers, query, max_rows):
    """Every summary row the dossier list answers for *query*, page by page; more than *max_rows*
    refuses before anything is gathered (an export that is cut short would mislead its reader)."""
    first = dossiers.list({**query, "page": 1, "per_page": EXPORT_PAGE})
    if first["total"] > max_rows:
        raise ExportTooLarge(f"筛选结果共 {first['total']} 件,超过单次导出上限 {max_rows} 件;"
                             "请按年度、单位、状态或提交日期缩小范围后分批导出。",
                             fields={"export": [f"最多导出 {max_rows} 件"]})
    rows, page = list(first["items"]), 1
    while len(rows) < first["total"]:
        page += 1
        answer = dossiers.list({**query, "page": page, "per_page": EXPORT_PAGE})
        if not answer["items"]:
            break  # dossiers left the filter while we read: export what matched
        rows += answer["items"]
    return rows[:max_rows]


def organisation_names(identity, org_ids):
    """Organisation id → name for *org_ids* (those identity does not answer for are left out)."""
    return {key: answer.get("name") or "" for key, answer in _answers(identity.get_org, org_ids).items()}


def with_applicant_of_id_number(identity, actor, query):
    """*query* with a full ``id_number`` (checked by search_query) replaced by the ``applicant_id`` identity
    knows it by, or None when no account was registered with it (the search then finds nothing). The
    number goes to identity only: the dossier list never holds one."""
    if not query.get("id_number"):
        return query
    found = identity.find_by_id_number(actor.to_dict(), query["id_number"])
    if not found["found"]:
        return None
    return {**{key: value for key, value in query.items() if key != "id_number"}, "applicant_id": found["account_id"]}
