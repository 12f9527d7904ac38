"""Who gets what: the people behind a dossier event, a join request, a meeting or an objection, with
the phone identity has on record for each (identity RPCs ``contacts``, ``role_holders``,
``list_orgs``). Identity answers only active accounts; a person it leaves out still gets the in-app
message when the event names them (the applicant), just no SMS."""
from dataclasses import dataclass

from shared.contracts.identity import CITY
from shared.roles import CITY_ADMIN, UNIT_ADMIN

CONTACTS_BATCH = 500  # identity's limit per contacts call


@dataclass(frozen=True)
class Person:
    account_id: str
    name: str
    phone: str | None = None


class Directory:
    """Identity, as this service asks it about people (over a shared.rpc_ports.TimedProxy)."""

    def __init__(self, identity, cache=None):
        self.identity = identity
        # Kept across handlings by the caller (the application's ``directory_cache``): the city office.
        self.cache = {} if cache is None else cache

    def people(self, account_ids):
        """``{account_id: Person}`` of the active accounts among *account_ids*."""
        wanted = list(dict.fromkeys(str(account_id) for account_id in account_ids if account_id))
        found = {}
        for start in range(0, len(wanted), CONTACTS_BATCH):
            for contact in self.identity.call("contacts", wanted[start:start + CONTACTS_BATCH]):
                found[contact["account_id"]] = _person(contact)
        return found

    def person(self, account_id, name=""):
        """The account's Person; without a phone when identity does not answer for it (disabled)."""
        return self.people([account_id]).get(str(account_id)) or Person(str(account_id), name, None)

    def role_holders(self, role, org_id):
        return [_person(contact) for contact in self.identity.call("role_holders", role, org_id)]

    def unit_admins(self, unit_id):
        return self.role_holders(UNIT_ADMIN, unit_id)

    def city_admins(self):
        return self.role_holders(CITY_ADMIN, self.city_org_id())

    def city_org_id(self):
        """The city office (市人社局), asked once per instance: it is created at the start and never moves."""
        if "city_org_id" not in self.cache:
            cities = self.identity.call("list_orgs", {"kind": CITY})
            if not cities:
                raise RuntimeError("identity knows no city organisation (市人社局)")
            self.cache["city_org_id"] = cities[0]["id"]
        return self.cache["city_org_id"]


def _person(contact):
    return Person(str(contact["account_id"]), contact.get("name") or "", contact.get("phone") or None)
