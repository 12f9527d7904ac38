"""The dossier's use cases, one named method each: load -> aggregate command -> save (``Dossiers._change``).

Each returns the dossier after the command (``add_achievement`` also the new achievement's id).
*command_key* (shared/idempotency.py) makes a repeat answer the first result; *expected_version* is the
version a decision was made on (conflicts.py). Whether a lost race is retried is the one decorator
``conflicts.retry_on_conflict``, judged by the command's name. Creating, submitting and the notices
need the year's policy and stay in application.py.
"""
from shared.roles import Actor

from .conflicts import retry_on_conflict
from .domain import Dossier
from .exceptions import InvalidCommandError

# The aggregate commands behind the section forms (shared/contracts/dossier_schemas.py SECTION_COMMANDS),
# named one by one so that a command name from the edge only ever picks one of these methods.
SECTION_EDITS = {
    "update_basic_info": Dossier.update_basic_info,
    "record_education": Dossier.record_education,
    "record_work_experience": Dossier.record_work_experience,
    "record_continuing_education": Dossier.record_continuing_education,
    "record_annual_assessments": Dossier.record_annual_assessments,
    "fill_review_form": Dossier.fill_review_form,
    "sign_commitment": Dossier.sign_commitment,
}


class DossierCommands:
    """Mixed into ``Dossiers``; relies on its ``_change`` and ``_change_each``."""

    # -- applicant ---------------------------------------------------------------------------

    @retry_on_conflict
    def edit_section(self, dossier_id, actor: Actor, command, *, command_key=None, **arguments):
        """One of the section forms' commands (``SECTION_EDITS``), which share one rule: only the
        applicant, only while the dossier is editable. Chosen by name because the section forms are a
        table (shared/contracts/dossier_schemas.py SECTION_COMMANDS); a name outside it is refused."""
        edit = SECTION_EDITS.get(command)
        if edit is None:
            raise InvalidCommandError(f"未知栏目操作:{command}")
        return self._change(dossier_id, command, lambda dossier: edit(dossier, actor, **arguments),
                            command_key=command_key)[0]

    @retry_on_conflict
    def add_achievement(self, dossier_id, actor: Actor, *, data, command_key=None):
        """``(dossier, achievement_id)``."""
        return self._change(dossier_id, "add_achievement", lambda dossier: dossier.add_achievement(actor, data),
                            command_key=command_key)

    @retry_on_conflict
    def remove_achievement(self, dossier_id, actor: Actor, *, achievement_id, command_key=None):
        return self._change(dossier_id, "remove_achievement",
                            lambda dossier: dossier.remove_achievement(actor, achievement_id),
                            command_key=command_key)[0]

    @retry_on_conflict
    def attach_material(self, dossier_id, actor: Actor, *, command_key=None, **material):
        return self._change(dossier_id, "attach_material", lambda dossier: dossier.attach_material(actor, **material),
                            command_key=command_key)[0]

    @retry_on_conflict
    def detach_material(self, dossier_id, actor: Actor, *, material_id, command_key=None):
        return self._change(dossier_id, "detach_material", lambda dossier: dossier.detach_material(actor, material_id),
                            command_key=command_key)[0]

    @retry_on_conflict
    def take_back(self, dossier_id, actor: Actor, *, reason="", expected_version=None, command_key=None):
        """撤回: the applicant takes a submission back to draft while the unit has not acted. With
        *expected_version* (the version the applicant's page showed) a dossier moved since is refused."""
        return self._change(dossier_id, "take_back", lambda dossier: dossier.take_back(actor, reason),
                            expected_version=expected_version, command_key=command_key)[0]

    @retry_on_conflict
    def withdraw(self, dossier_id, actor: Actor, *, reason="", command_key=None):
        return self._change(dossier_id, "withdraw", lambda dossier: dossier.withdraw(actor, reason),
                            command_key=command_key)[0]

    # -- reviewers: decisions on the version their maker saw ---------------------------------

    @retry_on_conflict
    def approve(self, dossier_id, actor: Actor, *, opinion, expected_version=None, command_key=None):
        return self._change(dossier_id, "approve", lambda dossier: dossier.approve(actor, opinion),
                            expected_version=expected_version, command_key=command_key)[0]

    @retry_on_conflict
    def return_for_changes(self, dossier_id, actor: Actor, *, reason, sections, expected_version=None,
                           command_key=None):
        return self._change(dossier_id, "return_for_changes",
                            lambda dossier: dossier.return_for_changes(actor, reason, sections),
                            expected_version=expected_version, command_key=command_key)[0]

    @retry_on_conflict
    def reject(self, dossier_id, actor: Actor, *, reason, expected_version=None, command_key=None):
        return self._change(dossier_id, "reject", lambda dossier: dossier.reject(actor, reason),
                            expected_version=expected_version, command_key=command_key)[0]

    @retry_on_conflict
    def record_unit_publicity(self, dossier_id, actor: Actor, *, start, end, command_key=None):
        return self._change(dossier_id, "record_unit_publicity",
                            lambda dossier: dossier.record_unit_publicity(actor, start=start, end=end),
                            command_key=command_key)[0]

    def recommend_batch(self, actor: Actor, dossier_ids, *, batch_id, today, expected_versions=None,
                        command_key=None):
        """Send approved dossiers upward in batch *batch_id*, all or nothing: ``(saved, results)``."""
        return self._change_each(actor, lambda dossier: dossier.recommend(actor, batch_id=batch_id, today=today),
                                 dossier_ids, expected_versions=expected_versions, command_key=command_key)

    # -- committee, publicity, automated steps -----------------------------------------------

    @retry_on_conflict
    def abandon(self, dossier_id, actor: Actor, *, reason, command_key=None):
        return self._change(dossier_id, "abandon", lambda dossier: dossier.abandon(actor, reason),
                            command_key=command_key)[0]

    @retry_on_conflict
    def record_fee_paid(self, dossier_id, actor: Actor, *, order_id, amount_fen, command_key=None):
        return self._change(dossier_id, "record_fee_paid",
                            lambda dossier: dossier.record_fee_paid(actor, order_id=order_id, amount_fen=amount_fen),
                            command_key=command_key)[0]

    @retry_on_conflict
    def send_to_committee(self, dossier_id, actor: Actor, *, committee_id, meeting_id, committee_name="",
                          command_key=None):
        return self._change(dossier_id, "send_to_committee",
                            lambda dossier: dossier.send_to_committee(actor, committee_id=committee_id,
                                                                      meeting_id=meeting_id,
                                                                      committee_name=committee_name),
                            command_key=command_key)[0]

    @retry_on_conflict
    def recall_from_committee(self, dossier_id, actor: Actor, *, meeting_id, reason, command_key=None):
        return self._change(dossier_id, "recall_from_committee",
                            lambda dossier: dossier.recall_from_committee(actor, meeting_id=meeting_id, reason=reason),
                            command_key=command_key)[0]

    @retry_on_conflict
    def start_review(self, dossier_id, actor: Actor, *, meeting_id, command_key=None):
        return self._change(dossier_id, "start_review", lambda dossier: dossier.start_review(actor, meeting_id=meeting_id),
                            command_key=command_key)[0]

    @retry_on_conflict
    def record_vote_result(self, dossier_id, actor: Actor, *, command_key=None, **tally):
        return self._change(dossier_id, "record_vote_result", lambda dossier: dossier.record_vote_result(actor, **tally),
                            command_key=command_key)[0]

    @retry_on_conflict
    def start_publicity(self, dossier_id, actor: Actor, *, publicity_id, start, end, command_key=None):
        return self._change(dossier_id, "start_publicity",
                            lambda dossier: dossier.start_publicity(actor, publicity_id=publicity_id, start=start,
                                                                    end=end),
                            command_key=command_key)[0]

    @retry_on_conflict
    def raise_objection(self, dossier_id, actor: Actor, *, objection_id, summary, command_key=None):
        return self._change(dossier_id, "raise_objection",
                            lambda dossier: dossier.raise_objection(actor, objection_id=objection_id, summary=summary),
                            command_key=command_key)[0]

    @retry_on_conflict
    def resolve_objection(self, dossier_id, actor: Actor, *, objection_id, outcome, reason, fraud=False,
                          command_key=None):
        return self._change(dossier_id, "resolve_objection",
                            lambda dossier: dossier.resolve_objection(actor, objection_id=objection_id, outcome=outcome,
                                                                      reason=reason, fraud=fraud),
                            command_key=command_key)[0]

    @retry_on_conflict
    def end_publicity(self, dossier_id, actor: Actor, *, command_key=None):
        return self._change(dossier_id, "end_publicity", lambda dossier: dossier.end_publicity(actor),
                            command_key=command_key)[0]

    @retry_on_conflict
    def issue_certificate(self, dossier_id, actor: Actor, *, certificate_number, command_key=None):
        return self._change(dossier_id, "issue_certificate",
                            lambda dossier: dossier.issue_certificate(actor, certificate_number=certificate_number),
                            command_key=command_key)[0]

    @retry_on_conflict
    def revoke_title(self, dossier_id, actor: Actor, *, reason, fraud=False, command_key=None):
        return self._change(dossier_id, "revoke_title",
                            lambda dossier: dossier.revoke_title(actor, reason=reason, fraud=fraud),
                            command_key=command_key)[0]
