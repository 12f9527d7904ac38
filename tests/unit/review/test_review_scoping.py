"""Scope helpers: who sees which dossiers. The SQL conditions are run against a throwaway SQLite copy
of the queue table, so the filters are shown to narrow the scope and never to widen it."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import MetaData, create_engine

from shared.contracts import dossier as st
from services.review import queue_queries
from services.review.exceptions import ReviewNotAllowedError
from services.review.domain.scoping import COMMITTEE_STAGE, scope_of
from services.review.tables import review_queue
from shared.roles import Actor

UNIT_A, UNIT_B, UNIT_C = "unit-a", "unit-b", "unit-c"  # A and C under district X, B under Y
DISTRICT_X, DISTRICT_Y = "district-x", "district-y"


def actor(role, org_id=None):
    return Actor(account_id=f"{role}-1", role=role, org_id=org_id)


def row(dossier_id, unit_id, district_id, status=st.SUBMITTED, name="李明", **extra):
    return {"dossier_id": dossier_id, "version": 3, "status": status, "last_event": "dossier_submitted",
            "applicant_id": f"applicant-{dossier_id}", "applicant_name": name, "unit_id": unit_id,
            "unit_name": f"单位{unit_id}", "district_id": district_id, "district_name": f"区{district_id}",
            "review_year": 2026, "series": "engineering", "specialty": "土木工程", "level": "intermediate",
            "submitted_at": datetime(2026, 3, 1, tzinfo=timezone.utc), "updated_at": datetime(2026, 3, 2, tzinfo=timezone.utc),
            **extra}


ROWS = [
    row("a1", UNIT_A, DISTRICT_X), row("a2", UNIT_A, DISTRICT_X, status=st.UNIT_APPROVED, name="王芳"),
    row("a3", UNIT_A, DISTRICT_X, status=st.DRAFT), row("b1", UNIT_B, DISTRICT_Y),
    row("b2", UNIT_B, DISTRICT_Y, status=st.RECOMMENDED), row("c1", UNIT_C, DISTRICT_X, status=st.RECOMMENDED),
    row("c2", UNIT_C, DISTRICT_X, status=st.FEE_PAID, name="100%_张"),
]


@pytest.fixture(scope="module")
def engine():
    engine = create_engine("sqlite://")
    metadata = MetaData()
    table = review_queue.to_metadata(metadata)
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(table.insert(), ROWS)
    return engine


def visible(engine, who, **filters):
    query = {"status": [], "awaiting": False, "q": None, **filters}
    with engine.connect() as connection:
        return set(queue_queries.ids(connection, queue_queries.conditions(scope_of(who), query), 1000))


class TestScopeOfARole:
    def test_a_unit_admin_sees_their_unit_only(self, engine):
        assert visible(engine, actor("unit_admin", UNIT_A)) == {"a1", "a2"}

    def test_a_district_admin_sees_the_units_under_their_organisation_only(self, engine):
        assert visible(engine, actor("district_admin", DISTRICT_X)) == {"a1", "a2", "c1", "c2"}
        assert visible(engine, actor("district_admin", DISTRICT_Y)) == {"b1", "b2"}

    def test_the_city_admin_and_the_auditor_see_the_whole_city_but_no_drafts(self, engine):
        assert visible(engine, actor("city_admin", "city")) == {"a1", "a2", "b1", "b2", "c1", "c2"}
        assert visible(engine, actor("auditor", "city")) == visible(engine, actor("city_admin", "city"))

    def test_the_committee_office_sees_the_committee_stage_only(self, engine):
        assert visible(engine, actor("committee_secretary", "committee")) == {"c2"}
        assert set(scope_of(actor("committee_secretary", "c")).statuses) == set(COMMITTEE_STAGE)

    @pytest.mark.parametrize("role, org", [("applicant", None), ("expert", "committee"), ("sysadmin", "city"),
                                           ("unit_admin", None), ("district_admin", None)])
    def test_roles_without_a_work_queue_are_refused(self, role, org):
        with pytest.raises(ReviewNotAllowedError):
            scope_of(actor(role, org))


class TestFiltersNeverWidenTheScope:
    def test_a_district_admin_asking_for_a_unit_of_another_district_gets_nothing(self, engine):
        assert visible(engine, actor("district_admin", DISTRICT_X), unit_id=UNIT_B) == set()
        assert visible(engine, actor("district_admin", DISTRICT_X), district_id=DISTRICT_Y) == set()

    def test_a_unit_admin_asking_for_another_unit_gets_nothing(self, engine):
        assert visible(engine, actor("unit_admin", UNIT_A), unit_id=UNIT_B) == set()

    def test_asking_for_drafts_returns_none(self, engine):
        assert visible(engine, actor("city_admin", "city"), status=[st.DRAFT]) == set()

    def test_awaiting_keeps_the_statuses_in_which_the_role_acts_next(self, engine):
        assert visible(engine, actor("unit_admin", UNIT_A), awaiting=True) == {"a1", "a2"}
        assert visible(engine, actor("district_admin", DISTRICT_X), awaiting=True) == {"c1"}

    def test_search_by_name_treats_wildcards_literally(self, engine):
        assert visible(engine, actor("city_admin", "city"), q="王") == {"a2"}
        assert visible(engine, actor("city_admin", "city"), q="100%") == {"c2"}
        assert visible(engine, actor("city_admin", "city"), q="%") == {"c2"}


class TestOneRowInScope:
    def test_includes_answers_by_unit_district_and_status(self):
        a_row, b_row = ROWS[0], ROWS[3]
        assert scope_of(actor("unit_admin", UNIT_A)).includes(a_row)
        assert not scope_of(actor("unit_admin", UNIT_A)).includes(b_row)
        assert not scope_of(actor("district_admin", DISTRICT_X)).includes(b_row)
        assert not scope_of(actor("city_admin", "city")).includes(ROWS[2])  # a draft
        assert not scope_of(actor("city_admin", "city")).includes(None)
