"""Use cases of the meeting record (表决结果汇总表 / 评审会议纪要): made once when the vote closes,
downloaded by the office, the city admin and the auditor, verified by anyone holding the PDF.

Making a record has two steps, like issuing a certificate. (1) Claim, in one transaction under the
year's advisory lock: if the meeting has a record, that is the answer; otherwise gather what it says
(domain/record_content.py), take the year's next serial, sign the canonical content, render the PDF
(deterministic, so it can be rendered again to the same bytes), seal the PDF's SHA-256 and insert the
row. (2) Store the PDF in object storage and mark it stored. A failure after (1) leaves a record
whose PDF the next download or the publicity timer renders and stores; a failure in (1) leaves
nothing, and the close of the meeting has succeeded all the same.
"""
import base64
import hashlib
import hmac
import logging
import zlib
from dataclasses import dataclass

from minio.error import S3Error
from sqlalchemy import func, insert, select, update
from urllib3.exceptions import HTTPError

from shared.contracts.year_policy import DEFAULT_POLICY
from shared.roles import AUDITOR, CITY_ADMIN, COMMITTEE_SECRETARY

from .. import jobs, meeting_store
from ..committee_tables import committee_experts, committees, meeting_leads, meeting_records, meetings
from ..context import Clock
from ..domain import draw as drawing, record_content
from ..domain.ballots import CLOSED
from ..domain.scoping import require_role
from ..exceptions import InvalidReviewCommandError, MeetingStateError, RemoteServiceUnavailable
from ..record_render import render_record
from ..record_signing import RecordKeys, RecordStore
from ..settings import RecordSettings
from ..tables import review_queue
from .committees import CommitteeCases

log = logging.getLogger(__name__)
READERS = (CITY_ADMIN, COMMITTEE_SECRETARY, AUDITOR)
_STORE_ERRORS = (S3Error, HTTPError, OSError)


@dataclass
class RecordKit:
    """What records need beyond the database: settings, the PDF store and the signing key."""

    settings: RecordSettings
    store: RecordStore
    keys: RecordKeys


class RecordCases:
    """*tally_check* (``meeting_id -> {ok, detail}``) is the ballot box's own check of the tally, printed
    as 计票核验 when given."""

    def __init__(self, engine, committees: CommitteeCases, kit: RecordKit | None, clock: Clock, tally_check=None):
        self.engine, self.committees, self.kit, self.clock = engine, committees, kit, clock
        self.tally_check = tally_check

    # -- making the record ---------------------------------------------------------------

    def make_quietly(self, meeting_id):
        """Make the record of a meeting that has just closed; a failure is logged and left to the
        timer or the first download (the close has succeeded whatever happens here)."""
        if self.kit is None:
            return None
        try:
            return self.ensure(str(meeting_id))
        except Exception as error:  # noqa: BLE001 — the close must not fail on the record
            log.warning("meeting record of %s not made yet, will retry: %s", meeting_id, error)
            return None

    def ensure(self, meeting_id, pdf=None):
        """The meeting's record row, made and stored as far as it is still missing."""
        row = self._row(meeting_records.c.meeting_id == str(meeting_id))
        if row is None:
            row, pdf = self._claim(str(meeting_id))
        if row["pdf_stored_at"] is None:
            row = self._store(row, pdf)
        return row

    def _claim(self, meeting_id):
        kit = self._kit()
        self._closed(meeting_id)
        # The ballot box checks its tally on its own connections, before this transaction takes its lock.
        tally_check = self.tally_check(meeting_id) if self.tally_check else None
        signer = kit.keys.signer(self.engine)
        with self.engine.begin() as connection:
            data = meeting_store.load(connection, meeting_id)
            year = data.meeting["meeting_date"].year
            connection.execute(select(func.pg_advisory_xact_lock(zlib.crc32(f"kunming-meeting-record:{year}".encode()))))
            existing = connection.execute(select(meeting_records).where(
                meeting_records.c.meeting_id == meeting_id)).mappings().first()
            if existing is not None:
                return dict(existing), None
            serial = (connection.execute(select(func.max(meeting_records.c.serial))
                                         .where(meeting_records.c.year == year)).scalar() or 0) + 1
            number = record_content.record_number(year, serial)
            content = self._content(connection, data, number, tally_check)
            digest, signature = record_content.content_sha256(content), signer.sign_content(content)
            pdf = self._render(content, digest, signer.key_id, signature, number)
            pdf_digest = hashlib.sha256(pdf).hexdigest()
            row = {"meeting_id": meeting_id, "number": number, "year": year, "serial": serial, "content": content,
                   "content_sha256": digest, "pdf_sha256": pdf_digest, "key_id": signer.key_id, "signature": signature,
                   "file_signature": signer.sign_file(number, digest, pdf_digest),
                   "object_key": kit.store.key_for(year, number), "created_at": self.clock.now(), "pdf_stored_at": None}
            connection.execute(insert(meeting_records).values(**row))
        log.info("meeting record %s made for meeting %s", number, meeting_id)
        return row, pdf

    def _content(self, connection, data, number, tally_check):
        meeting = data.meeting
        committee = dict(connection.execute(select(committees).where(
            committees.c.id == meeting["committee_id"])).mappings().one())
        # The shares the vote was opened under (a meeting closed before they were fixed: its committee's own).
        fixed = meeting_store.fixed_vote_rules(connection, meeting["id"])
        if fixed:
            committee = meeting_store.with_vote_rules(committee, fixed)
        elif "quorum_share" not in (committee.get("settings") or {}):
            committee = meeting_store.with_vote_rules(committee, DEFAULT_POLICY["vote"])
        ids = [dossier["dossier_id"] for dossier in data.dossiers]
        facts = {row.dossier_id: {"series": row.series, "level": row.level, "specialty": row.specialty}
                 for row in connection.execute(select(review_queue.c.dossier_id, review_queue.c.series,
                                                      review_queue.c.level, review_queue.c.specialty)
                                               .where(review_queue.c.dossier_id.in_(ids)))} if ids else {}
        attending = [expert for expert in data.experts if expert["attending"]]
        recused = {dossier["dossier_id"]: sum(1 for expert in attending if data.recusal(expert, dossier))
                   for dossier in data.dossiers}
        names = dict(connection.execute(select(committee_experts.c.expert_id, committee_experts.c.name).where(
            committee_experts.c.committee_id == committee["id"])).all())
        _, matches = drawing.replay(meeting["draw"]) if meeting["draw"] else (None, False)
        return record_content.build_content(
            number=number, committee=committee, meeting=meeting, experts=data.experts, dossiers=data.dossiers,
            recused=recused, facts=facts, leads=lead_opinions(connection, meeting["id"], names), draw=meeting["draw"],
            replay_matches=matches, quorum_share=committee["settings"]["quorum_share"],
            pass_share=committee["settings"]["pass_share"], tally_check=tally_check)

    def _render(self, content, digest, key_id, signature, number):
        settings = self._kit().settings
        return render_record(content, content_sha256=digest, key_id=key_id, signature=signature,
                             url=record_content.verify_url(settings.verify_url, number), font_path=settings.font_path)

    def _rendered(self, row):
        """The record's PDF rendered again; it must be the very bytes whose SHA-256 was sealed."""
        pdf = self._render(row["content"], row["content_sha256"], row["key_id"], row["signature"], row["number"])
        if hashlib.sha256(pdf).hexdigest() != row["pdf_sha256"]:
            # Another font or library than at close: never hand out a PDF the seal does not cover.
            raise MeetingStateError(f"会议纪要 {row['number']} 的文件无法按原样重新生成,请联系系统管理员")
        return pdf

    def _store(self, row, pdf=None):
        pdf = pdf or self._rendered(row)
        self._kit().store.put_pdf(row["object_key"], pdf, row["pdf_sha256"])
        with self.engine.begin() as connection:
            connection.execute(update(meeting_records).where(meeting_records.c.meeting_id == row["meeting_id"],
                                                             meeting_records.c.pdf_stored_at.is_(None))
                               .values(pdf_stored_at=self.clock.now()))
        return self._row(meeting_records.c.meeting_id == row["meeting_id"])

    def complete_pending(self, limit=20):
        """The timer: make the records of closed meetings that have none, store PDFs not stored yet."""
        if self.kit is None:
            return []
        with jobs.JobLock(self.engine, "records") as held:
            if not held:
                return []
            with self.engine.connect() as connection:
                missing = connection.execute(select(meetings.c.id).where(
                    meetings.c.state == CLOSED, meetings.c.id.not_in(select(meeting_records.c.meeting_id)))
                    .order_by(meetings.c.closed_at).limit(limit)).scalars().all()
                unstored = connection.execute(select(meeting_records.c.meeting_id).where(
                    meeting_records.c.pdf_stored_at.is_(None)).limit(limit)).scalars().all()
            done = []
            for meeting_id in [*missing, *unstored]:
                if self.make_quietly(meeting_id) is not None:
                    done.append(meeting_id)
            return done

    # -- reading it ----------------------------------------------------------------------

    def pdf(self, actor, meeting_id):
        """The stored PDF, for the meeting's office, the city admin and the auditor (made now if the
        close could not make it). The same bytes every time: a lost or damaged object is stored again."""
        require_role(actor, *READERS, action="下载会议纪要")
        with self.engine.connect() as connection:
            committee_id = meeting_store.load(connection, meeting_id).meeting["committee_id"]
        self.committees.check_office(actor, self.committees.committee_row(committee_id))
        self._closed(meeting_id)
        try:
            row = self.ensure(str(meeting_id))
            pdf = self._kit().store.read_if_present(row["object_key"])
            if pdf is None or hashlib.sha256(pdf).hexdigest() != row["pdf_sha256"]:
                if pdf is not None:
                    log.error("stored meeting record %s does not match its seal: storing it again", row["number"])
                pdf = self._rendered(row)
                self._kit().store.put_pdf(row["object_key"], pdf, row["pdf_sha256"])
        except _STORE_ERRORS as error:
            log.warning("meeting record store unavailable: %s", error)
            raise RemoteServiceUnavailable("会议纪要文件存储暂时不可用,请稍后再试") from None
        return {"number": row["number"], "filename": f"评审会议纪要-{row['number']}.pdf",
                "content_type": "application/pdf", "content_base64": base64.b64encode(pdf).decode("ascii"),
                "sha256": row["pdf_sha256"], "size": len(pdf)}

    # -- public verification -------------------------------------------------------------

    def verify(self, number, sha256):
        """Public: is the file with SHA-256 *sha256* the record *number*, and do its signatures hold?"""
        digest = record_content.normalize_sha256(sha256)
        if digest is None:
            raise InvalidReviewCommandError("请提供 PDF 文件或其 SHA-256(64 位十六进制)",
                                            fields={"sha256": ["应为 64 位十六进制"]})
        row = self._row(meeting_records.c.number == str(number or "").strip().upper())
        if row is None:
            return dict(record_content.NOT_FOUND)
        signer = self._kit().keys.signer(self.engine)
        signature_valid = (
            record_content.content_sha256(row["content"]) == row["content_sha256"]
            and signer.verify_content(row["content"], row["signature"], row["key_id"])
            and signer.verify_file(row["number"], row["content_sha256"], row["pdf_sha256"], row["file_signature"],
                                   row["key_id"]))
        return record_content.verification_answer(row, file_matches=hmac.compare_digest(digest, row["pdf_sha256"]),
                                                  signature_valid=signature_valid)

    def public_keys(self):
        signer = self._kit().keys.signer(self.engine)
        return {"algorithm": "Ed25519", "keys": signer.public_key_pems(), "current": signer.key_id}

    # -- helpers -------------------------------------------------------------------------

    def _closed(self, meeting_id):
        with self.engine.connect() as connection:
            data = meeting_store.load(connection, meeting_id)
        if data.state != CLOSED:
            raise MeetingStateError("会议尚未结束表决,结束表决后才生成会议纪要")
        return data

    def _kit(self):
        if self.kit is None:
            raise RemoteServiceUnavailable("会议纪要未配置(缺少对象存储设置)")
        return self.kit

    def _row(self, condition):
        with self.engine.connect() as connection:
            row = connection.execute(select(meeting_records).where(condition)).mappings().first()
        return dict(row) if row else None


def lead_opinions(connection, meeting_id, names):
    """``[{dossier_id, expert_id, name, opinion}]`` of the meeting's lead reviewers (主审), in the order
    they were named; *names* are the committee's experts by id. A lead who wrote nothing has ``""``."""
    rows = connection.execute(select(meeting_leads).where(meeting_leads.c.meeting_id == str(meeting_id))
                              .order_by(meeting_leads.c.named_at, meeting_leads.c.expert_id)).mappings().all()
    return [{"dossier_id": row["dossier_id"], "expert_id": row["expert_id"], "name": names.get(row["expert_id"], ""),
             "opinion": row["opinion"] or ""} for row in rows]
