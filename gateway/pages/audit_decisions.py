"""What the reviewer saw (审核所见): for each decision on a dossier — unit, district or department, city,
committee — the version it was taken on and the materials present then, each opening the very file
by the SHA-256 the dossier recorded for it.

A file is opened by its hash, not by the material's id, so the link proves what it names: the stored
bytes are hashed again before they are served, and a stored object that no longer matches is refused
(409) rather than shown as if it were what the reviewer read. Same readers as the timeline (AuditPages).
"""
import hashlib


from shared.errors import Conflict, NotFound, PlatformError, ValidationFailed

from ..compose.audit import actor_names, audit_actor
from ..compose.materials import pdf_response
from .audit import AuditPages
from .audit_decisions_views import decision_rows, hash_arg, materials_seen, stored_with_hash
from .handler import page


class EvidenceAltered(Conflict):
    """Raised when a stored evidence file's bytes no longer have the SHA-256 the dossier recorded for it."""

    code = "evidence_altered"


class AuditDecisionPages(AuditPages):
    @page("GET", "/audit/dossiers/<dossier_id>/decisions")
    def audit_decisions_page(self, request, session, dossier_id):
        dossier, events = self._audited(session, dossier_id)
        people, organisations = actor_names(self.identity, events)
        rows = decision_rows(events, people, organisations)
        # Each version a decision was taken on, folded by the dossier service itself, all asked at once.
        states = {seen: self.dossier.state_at.call_async(dossier["id"], version=seen)
                  for seen in {row["seen_version"] for row in rows}}
        meetings = self._meetings(session, {row["meeting_id"] for row in rows if row["meeting_id"]})
        for row in rows:
            state = states[row["seen_version"]].result()
            row.update(materials=materials_seen(state, events), seen_status=state.get("status_label") or "",
                       seen_at=events[row["seen_version"] - 1]["at"], meeting=meetings.get(row["meeting_id"]))
        return self.render_page(session, "audit_decisions.html", dossier=dossier, rows=rows, newest=len(events))

    def _meetings(self, session, meeting_ids):
        """Meeting id → ``{title, committee_name, meeting_date}`` (only these: never who voted how); a
        meeting review does not answer for is left out and shown by its id."""
        actor = audit_actor(session.principal()).to_dict()
        calls = {meeting_id: self.review.get_meeting.call_async(actor, meeting_id) for meeting_id in meeting_ids}
        found = {}
        for meeting_id, call in calls.items():
            try:
                answer = call.result()
            except PlatformError:
                continue
            found[meeting_id] = {name: answer.get(name) or "" for name in ("title", "committee_name", "meeting_date")}
        return found

    @page("GET", "/audit/dossiers/<dossier_id>/files/<sha256>")
    def audit_file_by_hash(self, request, session, dossier_id, sha256):
        """The evidence file any version of the dossier recorded with this SHA-256, inline and sandboxed,
        once its stored bytes are hashed again and found equal; 409 when they differ."""
        _, events = self._audited(session, dossier_id)  # readers first: a stranger learns nothing of hashes
        digest, problem = hash_arg(sha256)
        if problem is not None:
            raise ValidationFailed(problem, fields={"sha256": [problem]})
        stored = stored_with_hash(events, digest)
        if not stored:
            raise NotFound(f"该申报材料的任何版本中都没有 SHA-256 为 {digest} 的证明材料")
        found = []
        for material in stored:
            data = self.evidence.read_if_present(material["object_key"])
            actual = hashlib.sha256(data).hexdigest() if data is not None else None
            if actual == digest:
                return pdf_response(data, material["filename"], inline=True)
            found.append(actual)
        raise EvidenceAltered(_altered_message(digest, found), fields={"sha256": ["存储的文件与记录的哈希不一致"]})


def _altered_message(digest, found):
    if all(value is None for value in found):
        return f"存储中已找不到 SHA-256 为 {digest} 的证明材料文件,无法打开审核时所见的文件。请联系系统运维核查存储。"
    actual = "、".join(value for value in found if value)
    return (f"文件校验未通过:存储的文件与申报材料记录的 SHA-256 不一致,文件可能已被改动,不予打开。"
            f"记录的 SHA-256 为 {digest},存储文件的 SHA-256 为 {actual}。")
