"""Certificates: issue exactly once when publicity ends, verify publicly, revoke when a title is revoked.

Issuing a dossier's certificate has three steps. (1) Gather the facts by RPC, holding no lock: the
dossier (with the committee that reviewed it), the holder's account, and, when the year's policy
charges a certificate fee (证书工本费), whether payment has its order paid; until it is, the request
waits in the queue and the sweep asks again (docs/domain-rules.md R8.3).
(2) Claim, in one transaction under a per-dossier advisory lock: if the dossier has a certificate,
that is the answer; otherwise take the next serial from its counter row, sign the fields and
insert the certificate (``dossier_id`` is unique, the backstop if the lock were ever bypassed;
a failure rolls the serial back, so numbers have no gaps). (3) Complete, idempotently and under
``FOR UPDATE SKIP LOCKED`` so one worker does it: store the deterministic PDF, then have the
dossier record ``certificate_issued``. A crash between steps is finished by the sweep.
"""
import base64
import hashlib
import hmac
import logging
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from shared.clock import beijing_date, utc_now
from shared.contracts import dossier as st
from shared.contracts.payment import CERTIFICATE_MAY_ISSUE, CERTIFICATE_FEE_STATE_LABELS, FEE_UNDECIDED
from shared.contracts.year_policy import certificate_fee_fen, effective_policy
from shared.db import ensure_database, make_engine
from shared.errors import NotFound

from . import projections as views
from .domain import (
    GENDER_LABELS, LEVEL_LABELS, METHOD, SERIES_LABELS, CertificateFields, check_downloader, check_registry_reader,
    check_revoker, normalize_code, qualification_name, reviewing_committee, verification_code, verify_url,
)
from .exceptions import (
    CertificateFeeUnpaidError, CertificateNotAllowedError, CertificateNotDueError, CertificateNotFound,
    CertificateNotReadyError, CommitteeUnknownError,
)
from .numbering import Numbering
from .ports import ALREADY, RECORDED
from .render import render_certificate
from .signing import load_signer
from .tables import certificates, fraud_sanctions, metadata

log = logging.getLogger(__name__)
_CREATE_TABLES_LOCK = 0xCE_57_0001


@dataclass(frozen=True)
class CertificateSettings:
    issuing_body: str = "昆明市人力资源和社会保障局"
    verify_url: str = "http://127.0.0.1:8000/certificates/verify"
    qualification_names: dict = field(default_factory=dict)
    font_path: str | None = None
    max_attempts: int = 20

    @classmethod
    def from_config(cls, config):
        return cls(
            issuing_body=config.get("ISSUING_BODY") or cls.issuing_body,
            verify_url=config.get("VERIFY_URL") or cls.verify_url,
            qualification_names=config.get("QUALIFICATION_NAMES") or {},
            font_path=(config.get("PDF") or {}).get("CJK_FONT") or None,
            max_attempts=int((config.get("ISSUING") or {}).get("max_attempts", 20)),
        )


class Certificates:
    def __init__(self, database_url, *, store, settings=None, numbering=None, private_key=None,
                 previous_public_keys=None, clock=utc_now):
        ensure_database(database_url)
        self.engine = make_engine(database_url)
        with self.engine.begin() as connection:
            connection.execute(select(func.pg_advisory_xact_lock(_CREATE_TABLES_LOCK)))
            metadata.create_all(connection)
        self.signer = load_signer(self.engine, private_key, previous_public_keys)
        self.store = store
        self.settings = settings or CertificateSettings()
        self.numbering = numbering or Numbering()
        self.clock = clock

    def close(self):
        self.engine.dispose()

    # -- dossier events ----------------------------------------------------------------------

    def on_publicity_ended(self, event):
        """Queue the dossier's certificate; False for a duplicate or an event older than one applied."""
        with self.engine.begin() as connection:
            return views.advance_progress(connection, event["dossier_id"], event["version"], views.APPROVED,
                                          self.clock(), issue_requested=True)

    def on_title_revoked(self, event, dossier=None, identity=None):
        """A revoked title revokes its certificate everywhere (and stops an issue still queued). Revoked
        for fraud, its holder's sanction is noted in the same transaction and then recorded in identity
        (docs/domain-rules.md R4.10); if identity cannot be reached, the sweep records it later."""
        data, actor = event.get("data") or {}, event.get("actor") or {}
        occurred_at = datetime.fromisoformat(event["occurred_at"])
        with self.engine.begin() as connection:
            views.advance_progress(connection, event["dossier_id"], event["version"], views.REVOKED, self.clock(),
                                   issue_requested=False)
            views.close_request(connection, event["dossier_id"])
            if data.get("fraud"):
                connection.execute(pg_insert(fraud_sanctions).values(
                    dossier_id=str(event["dossier_id"]), applicant_id=event["dossier"]["applicant_id"],
                    review_year=int(event["dossier"]["review_year"]), found_on=beijing_date(occurred_at),
                    reason=f"撤销职称,认定弄虚作假:{(data.get('reason') or '').strip()}"[:1000],
                ).on_conflict_do_nothing())
            revoked = self._mark_revoked(connection, certificates.c.dossier_id == event["dossier_id"],
                                         at=occurred_at, reason=data.get("reason") or "职称已撤销",
                                         by=actor.get("account_id"))
        if data.get("fraud") and dossier is not None and identity is not None:
            self.record_sanctions(dossier, identity, [str(event["dossier_id"])])
        return revoked

    def record_sanctions(self, dossier, identity, dossier_ids=None):
        """Record the noted fraud sanctions in identity: from the day the fraud was found, barring the
        years of the policy of the year it was found in. Identity records one per revocation however
        often it is asked (the reference), so a retry after a lost answer adds none."""
        with self.engine.connect() as connection:
            query = select(fraud_sanctions).where(fraud_sanctions.c.recorded_at.is_(None)).limit(100)
            if dossier_ids:
                query = query.where(fraud_sanctions.c.dossier_id.in_(list(dossier_ids)))
            pending = [dict(row) for row in connection.execute(query).mappings()]
        recorded = []
        for row in pending:
            try:
                bar_years = self._fraud_bar_years(row["found_on"].year, row["review_year"], dossier)
                sanction = identity.record_sanction(row["applicant_id"], row["reason"], row["found_on"].isoformat(),
                                                    bar_years, f"title_revoked:{row['dossier_id']}")
            except Exception as error:  # identity or dossier unreachable: the sweep tries again
                log.warning("recording the fraud sanction of dossier %s failed: %s", row["dossier_id"], error)
                with self.engine.begin() as connection:
                    connection.execute(update(fraud_sanctions).where(fraud_sanctions.c.dossier_id == row["dossier_id"])
                                       .values(attempts=fraud_sanctions.c.attempts + 1, last_error=str(error)[:500]))
                continue
            with self.engine.begin() as connection:
                connection.execute(update(fraud_sanctions).where(fraud_sanctions.c.dossier_id == row["dossier_id"]).values(
                    bar_years=bar_years, bars_until=date.fromisoformat(str(sanction["bars_until"])[:10]),
                    sanction_id=str(sanction["id"]), recorded_at=self.clock(), last_error=None))
            recorded.append(row["dossier_id"])
        return recorded

    @staticmethod
    def _fraud_bar_years(found_in_year, review_year, dossier):
        # The year the fraud was found may have no notice yet (found in January): the dossier's own
        # review year's policy then applies, and the published defaults only if neither exists.
        notice = dossier.notice(found_in_year) or (dossier.notice(review_year) if review_year != found_in_year else None)
        policy = notice["policy"] if notice else effective_policy()
        return int(policy["sanction_bar_years"]["fraud"])

    # -- issuing -----------------------------------------------------------------------------

    def issue(self, dossier_id, dossier, identity, payment=None):
        """The dossier's certificate, issuing it if it has none; safe to call any number of times.
        Raises CertificateFeeUnpaidError while a certificate fee the policy charges is not paid."""
        existing = self._row(certificates.c.dossier_id == str(dossier_id))
        if existing is None:
            facts = self._gather(str(dossier_id), dossier, identity)
            self._check_fee(facts, dossier, payment)
            existing = self._claim(facts)
        return views.certificate_view(self.complete(existing["number"], dossier), self.settings.verify_url)

    def _check_fee(self, facts, dossier, payment):
        """A certificate fee of the year's policy must be paid first; a fee of 0 asks nobody."""
        notice = dossier.notice(facts["review_year"])
        fee = certificate_fee_fen(notice["policy"] if notice else effective_policy())
        if fee == 0:
            return
        # Payment decided the fee from the same policy when publicity ended: its answer is the one
        # that counts (it says "not required" if the notice set the fee to 0 by then).
        state = payment.certificate_fee(facts["dossier_id"])["state"] if payment is not None else FEE_UNDECIDED
        if state not in CERTIFICATE_MAY_ISSUE:
            raise CertificateFeeUnpaidError(
                f"证书工本费 {fee // 100}.{fee % 100:02d} 元{CERTIFICATE_FEE_STATE_LABELS[state]},缴费后签发电子证书")

    def _gather(self, dossier_id, dossier, identity):
        record = dossier.get(dossier_id)
        if record["status"] not in (st.APPROVED, st.CERTIFIED):
            raise CertificateNotDueError(f"申报材料当前状态为「{record['status_label']}」,不能发证")
        # The events that left the dossier passed: the last one's time is printed as the date of passing.
        passed = [entry for entry in dossier.history(dossier_id) if st.EVENT_STATUS.get(entry["type"]) == st.PASSED]
        account = identity.get_account(record["applicant_id"])
        gender = account.get("gender") or (record.get("sections", {}).get("basic_info") or {}).get("gender")
        pass_moment = datetime.fromisoformat(passed[-1]["at"]) if passed else self.clock()
        committee = reviewing_committee(record)
        if committee is None:
            raise CommitteeUnknownError("申报材料未记载评审委员会名称,不能发证;请评委会办公室核实送评记录")
        return {
            "committee": committee,
            "dossier_id": dossier_id, "dossier_version": record["version"], "applicant_id": record["applicant_id"],
            "review_year": record["review_year"], "series": record["series"], "level": record["level"],
            "name": account.get("name") or record["applicant_name"], "gender": GENDER_LABELS.get(gender, gender or ""),
            "id_number_masked": account.get("id_number_masked") or "", "unit": record["unit_name"],
            "specialty": record["specialty"], "pass_date": beijing_date(pass_moment).isoformat(),
        }

    def _claim(self, facts):
        now = self.clock()
        issue_date = beijing_date(now)
        lock = zlib.crc32(f"kunming-certificate:{facts['dossier_id']}".encode())
        with self.engine.begin() as connection:
            connection.execute(select(func.pg_advisory_xact_lock(lock)))
            existing = connection.execute(select(certificates).where(
                certificates.c.dossier_id == facts["dossier_id"])).mappings().first()
            if existing is not None:
                return dict(existing)
            number, serial, counter_key = self.numbering.allocate(
                connection, year=facts["review_year"], issue_year=issue_date.year, series=facts["series"],
                level=facts["level"])
            fields = self._fields(facts, number, issue_date)
            signature = self.signer.sign(fields)
            row = {
                "number": number, "dossier_id": facts["dossier_id"], "dossier_version": facts["dossier_version"],
                "applicant_id": facts["applicant_id"], "review_year": facts["review_year"], "series": facts["series"],
                "level": facts["level"], "serial": serial, "counter_key": counter_key, "fields": fields.to_dict(),
                "signature": signature, "key_id": self.signer.key_id, "verification_code": verification_code(signature),
                "object_key": self.store.key_for(facts["review_year"], number), "issued_at": now,
            }
            connection.execute(insert(certificates).values(**row))
            views.close_request(connection, facts["dossier_id"])
        log.info("certificate %s issued for dossier %s", number, facts["dossier_id"])
        return self._row(certificates.c.number == number)

    def _fields(self, facts, number, issue_date):
        series, level = facts["series"], facts["level"]
        return CertificateFields(
            number=number, name=facts["name"], gender=facts["gender"], id_number_masked=facts["id_number_masked"],
            unit=facts["unit"], series=SERIES_LABELS.get(series, series), specialty=facts["specialty"],
            qualification=qualification_name(series, level, self.settings.qualification_names),
            level=LEVEL_LABELS.get(level, level), method=METHOD,
            committee=facts["committee"],
            pass_date=facts["pass_date"], issuing_body=self.settings.issuing_body, issue_date=issue_date.isoformat(),
        )

    def complete(self, number, dossier):
        """Store the PDF and have the dossier record the certificate, whichever is still missing.

        One worker at a time per certificate (SKIP LOCKED); the others return what is there.
        """
        with self.engine.begin() as connection:
            row = connection.execute(select(certificates).where(certificates.c.number == number)
                                     .with_for_update(skip_locked=True)).mappings().first()
            if row is None:
                return self._row(certificates.c.number == number)
            row, now = dict(row), self.clock()
            if row["pdf_stored_at"] is None:
                pdf = self.render(row)
                digest = hashlib.sha256(pdf).hexdigest()
                self.store.put_pdf(row["object_key"], pdf, digest)
                connection.execute(update(certificates).where(certificates.c.number == number)
                                   .values(pdf_stored_at=now, pdf_sha256=digest))
            if row["dossier_recorded_at"] is None and row["revoked_at"] is None and dossier is not None:
                self._record_on_dossier(connection, row, dossier, now)
        return self._row(certificates.c.number == number)

    def _record_on_dossier(self, connection, row, dossier, now):
        result = dossier.issue_certificate(row["dossier_id"], row["number"])
        if result in (RECORDED, ALREADY):
            connection.execute(update(certificates).where(certificates.c.number == row["number"])
                               .values(dossier_recorded_at=now))
            return
        current = dossier.get(row["dossier_id"])
        if current["status"] == st.REVOKED:  # revoked while we were issuing: the certificate is revoked too
            self._mark_revoked(connection, certificates.c.number == row["number"], at=now,
                               reason=current.get("final_reason") or "职称已撤销", by="system")
            connection.execute(update(certificates).where(certificates.c.number == row["number"])
                               .values(dossier_recorded_at=now))
        else:
            log.warning("dossier %s refused certificate %s in status %s", row["dossier_id"], row["number"],
                        current["status"])

    def render(self, row):
        fields = CertificateFields.from_dict(row["fields"])
        return render_certificate(fields, code=row["verification_code"],
                                  url=verify_url(self.settings.verify_url, row["number"], row["verification_code"]),
                                  signature=row["signature"], key_id=row["key_id"], font_path=self.settings.font_path)

    def issue_pending(self, dossier, identity, payment=None):
        """The sweep: issue queued certificates and complete unfinished ones; failures are counted
        (waiting for a certificate fee is not a failure). Fraud sanctions not yet recorded are retried."""
        with self.engine.connect() as connection:
            queued = views.pending_requests(connection)
            unfinished = [row.number for row in connection.execute(select(certificates.c.number).where(or_(
                certificates.c.pdf_stored_at.is_(None),
                certificates.c.dossier_recorded_at.is_(None) & certificates.c.revoked_at.is_(None))).limit(100))]
        for dossier_id in queued:
            self.try_issue(dossier_id, dossier, identity, payment)
        for number in unfinished:
            try:
                self.complete(number, dossier)
            except Exception as error:
                log.warning("completing certificate %s failed, will retry: %s", number, error)
        self.record_sanctions(dossier, identity)
        return queued, unfinished

    def try_issue(self, dossier_id, dossier, identity, payment=None):
        """Issue now if possible; a permanent refusal closes the request, an unpaid certificate fee
        leaves it waiting for the next sweep, anything else is retried and counted."""
        try:
            return self.issue(dossier_id, dossier, identity, payment)
        except CertificateFeeUnpaidError as waiting:
            with self.engine.begin() as connection:
                views.note_waiting(connection, dossier_id, waiting.message)
        except (CertificateNotDueError, CommitteeUnknownError, NotFound) as refusal:
            with self.engine.begin() as connection:
                views.close_request(connection, dossier_id, str(refusal))
        except Exception as error:
            log.warning("issuing the certificate of dossier %s failed, will retry: %s", dossier_id, error)
            with self.engine.begin() as connection:
                views.note_failure(connection, dossier_id, error, self.settings.max_attempts)
        return None

    # -- verification and revocation -----------------------------------------------------------

    def verify(self, number, code):
        """The public answer for a number and verification code; a wrong code looks like no certificate."""
        row = self._row(certificates.c.number == str(number or "").strip())
        if row is None or not hmac.compare_digest(normalize_code(code), row["verification_code"]):
            return dict(views.NOT_FOUND_ANSWER)
        fields = CertificateFields.from_dict(row["fields"])
        return views.verification_answer(row, self.signer.verify(fields, row["signature"], row["key_id"]))

    def revoke(self, actor, number, reason, fraud, dossier):
        """撤销: the dossier records title_revoked, and the certificate shows revoked from now on."""
        check_revoker(actor)
        row = self._row(certificates.c.number == number)
        if row is None:
            raise CertificateNotFound(f"证书 {number} 不存在")
        if row["revoked_at"] is None:
            dossier.revoke_title(actor.to_dict(), row["dossier_id"], reason, fraud)
            with self.engine.begin() as connection:
                self._mark_revoked(connection, certificates.c.number == number, at=self.clock(), reason=reason,
                                   by=actor.account_id)
        return views.certificate_view(self._row(certificates.c.number == number), self.settings.verify_url)

    def _mark_revoked(self, connection, condition, *, at, reason, by):
        changed = connection.execute(update(certificates).where(condition, certificates.c.revoked_at.is_(None))
                                     .values(revoked_at=at, revoked_reason=reason, revoked_by=by)).rowcount
        return changed > 0

    # -- queries -----------------------------------------------------------------------------

    def by_dossier(self, dossier_id):
        row = self._row(certificates.c.dossier_id == str(dossier_id))
        if row is None:
            raise CertificateNotFound("该申报材料尚未发证")
        return views.certificate_view(row, self.settings.verify_url)

    def by_number(self, actor, number):
        check_registry_reader(actor)
        row = self._row(certificates.c.number == str(number))
        if row is None:
            raise CertificateNotFound(f"证书 {number} 不存在")
        return views.certificate_view(row, self.settings.verify_url)

    def pdf(self, actor, dossier_id):
        """The stored PDF for the holder (while valid), city administrators and auditors."""
        row = self._row(certificates.c.dossier_id == str(dossier_id))
        if row is None:
            raise CertificateNotFound("该申报材料尚未发证")
        check_downloader(actor, row["applicant_id"])
        if row["revoked_at"] is not None and actor.account_id == row["applicant_id"]:
            raise CertificateNotAllowedError("该证书已被撤销,不能下载")
        if row["pdf_stored_at"] is None:
            raise CertificateNotReadyError("证书正在生成,请稍后再试")
        data = self.store.read(row["object_key"])
        return {"number": row["number"], "filename": f"职称证书-{row['number']}.pdf", "content_type": "application/pdf",
                "content_base64": base64.b64encode(data).decode("ascii"), "object_key": row["object_key"],
                "sha256": row["pdf_sha256"], "size": len(data), "revoked": row["revoked_at"] is not None}

    def public_keys(self):
        return {"algorithm": "Ed25519", "keys": self.signer.public_key_pems(), "current": self.signer.key_id}

    def health(self):
        with self.engine.connect() as connection:
            issued = connection.execute(select(func.count()).select_from(certificates)).scalar()
            queued = len(views.pending_requests(connection))
        return {"certificates": issued, "queued": queued, "key_id": self.signer.key_id}

    def _row(self, condition):
        with self.engine.connect() as connection:
            row = connection.execute(select(certificates).where(condition)).mappings().first()
        return dict(row) if row else None
