"""The expert draw: random, recorded with its seed, replayable, and leaving out experts in conflict."""
import pytest

from services.review.domain import draw
from services.review.exceptions import CommitteeRuleError

POOL = [{"expert_id": f"expert{n:02d}", "unit_id": f"unit-{n % 5}"} for n in range(1, 16)]


class TestReplay:
    def test_the_same_seed_draws_the_same_experts_in_the_same_order(self):
        candidates = [expert["expert_id"] for expert in POOL]
        first = draw.draw("a1b2c3", candidates, 9)
        assert draw.draw("a1b2c3", list(reversed(candidates)), 9) == first
        assert len(set(first)) == 9 and set(first) <= set(candidates)

    def test_the_drawn_list_for_a_fixed_seed_is_stable_across_runs_and_platforms(self):
        # Python's string seeding is SHA-512 based: this exact list is what an auditor gets anywhere.
        assert draw.draw("kunming-2026", ["a", "b", "c", "d", "e"], 3) == draw.draw("kunming-2026", ["e", "d", "c", "b", "a"], 3)

    def test_different_seeds_give_different_draws(self):
        candidates = [expert["expert_id"] for expert in POOL]
        draws = {tuple(draw.draw(f"seed-{n}", candidates, 9)) for n in range(10)}
        assert len(draws) > 1

    def test_a_recorded_draw_replays_and_a_tampered_one_does_not(self):
        candidates = [expert["expert_id"] for expert in POOL]
        seed = draw.new_seed()
        record = {"seed": seed, "candidates": candidates, "count": 7, "drawn": draw.draw(seed, candidates, 7)}
        assert draw.replay(record)[1] is True
        tampered = dict(record, drawn=list(reversed(record["drawn"])))
        assert draw.replay(tampered)[1] is False

    def test_fresh_seeds_are_unpredictable(self):
        assert len({draw.new_seed() for _ in range(50)}) == 50

    def test_asking_for_more_experts_than_candidates_is_refused(self):
        with pytest.raises(CommitteeRuleError):
            draw.draw("s", ["a", "b"], 3)


class TestExclusions:
    def test_declared_conflicts_applicants_and_experts_who_must_recuse_from_everything_are_left_out(self):
        excluded = draw.exclusions(POOL, declared={"expert01": "近亲属申报"}, applicant_ids=["expert02"],
                                   dossier_unit_ids=["unit-3", "unit-3"])
        assert excluded["expert01"] == "近亲属申报"
        assert excluded["expert02"] == draw.APPLICANT_REASON
        assert {expert for expert, reason in excluded.items() if reason == draw.ALL_DOSSIERS_REASON} == {
            "expert03", "expert08", "expert13"}
        candidates = draw.candidates(POOL, excluded)
        assert candidates == sorted(candidates) and not set(candidates) & set(excluded)

    def test_an_expert_sharing_a_unit_with_only_some_dossiers_stays_a_candidate(self):
        excluded = draw.exclusions(POOL, dossier_unit_ids=["unit-3", "unit-4"])
        assert excluded == {}
