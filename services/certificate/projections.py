"""The certificate service's read side: consumer progress (with the issue queue) and answer shapes."""
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from shared.clock import BEIJING
from shared.contracts import dossier as st
from shared.contracts import certificate as published

from .domain import CertificateFields, face, printed_code, verify_url
from .tables import certificates, dossier_progress

# Statuses of a dossier as far as certificate knows them (from the events it consumes).
APPROVED, REVOKED = st.APPROVED, st.REVOKED


def advance_progress(connection, dossier_id, version, status, now, *, issue_requested):
    """Apply the dossier's event *version* here; False when it is not newer (a duplicate or older event)."""
    statement = pg_insert(dossier_progress).values(
        dossier_id=str(dossier_id), last_version=int(version), status=status, issue_requested=issue_requested,
        updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["dossier_id"],
        set_={"last_version": statement.excluded.last_version, "status": statement.excluded.status,
              "issue_requested": statement.excluded.issue_requested, "updated_at": statement.excluded.updated_at},
        where=dossier_progress.c.last_version < statement.excluded.last_version,
    ).returning(dossier_progress.c.dossier_id)
    return connection.execute(statement).first() is not None


def pending_requests(connection, limit=100):
    """Dossiers whose certificate was asked for and is not issued yet."""
    issued = select(certificates.c.dossier_id)
    return [row.dossier_id for row in connection.execute(
        select(dossier_progress.c.dossier_id)
        .where(dossier_progress.c.issue_requested.is_(True), dossier_progress.c.dossier_id.not_in(issued))
        .order_by(dossier_progress.c.updated_at).limit(limit))]


def close_request(connection, dossier_id, error=None):
    connection.execute(update(dossier_progress).where(dossier_progress.c.dossier_id == str(dossier_id))
                       .values(issue_requested=False, last_error=error))


def note_waiting(connection, dossier_id, why):
    """The request waits for something else (a certificate fee): say why, count no failed attempt."""
    connection.execute(update(dossier_progress).where(dossier_progress.c.dossier_id == str(dossier_id))
                       .values(last_error=str(why)[:500]))


def note_failure(connection, dossier_id, error, max_attempts):
    """Count a failed attempt; after *max_attempts* the request is closed with its last error."""
    row = connection.execute(
        update(dossier_progress).where(dossier_progress.c.dossier_id == str(dossier_id))
        .values(attempts=dossier_progress.c.attempts + 1, last_error=str(error)[:500])
        .returning(dossier_progress.c.attempts)).first()
    if row and row.attempts >= max_attempts:
        close_request(connection, dossier_id, f"放弃自动发证(已尝试 {row.attempts} 次):{error}"[:500])


def local_iso(moment):
    return moment.astimezone(BEIJING).isoformat() if moment else None


def certificate_view(row, verify_base):
    """A certificate as the holder's page and administrators see it."""
    fields = CertificateFields.from_dict(row["fields"])
    status = published.VALID if row["revoked_at"] is None else published.REVOKED
    return {
        "number": row["number"],
        "dossier_id": row["dossier_id"],
        "applicant_id": row["applicant_id"],
        "fields": fields.to_dict(),
        "face": [{"label": label, "value": value} for label, value in face(fields)],
        "verification_code": printed_code(row["verification_code"]),
        "verify_url": verify_url(verify_base, row["number"], row["verification_code"]),
        "key_id": row["key_id"],
        "issued_at": row["issued_at"].isoformat(),
        "status": status,
        "status_label": published.CERTIFICATE_STATUS_LABELS[status],
        "revoked_at": local_iso(row["revoked_at"]),
        "revoked_reason": row["revoked_reason"],
        "object_key": row["object_key"],
        "pdf_ready": row["pdf_stored_at"] is not None,
        "dossier_recorded": row["dossier_recorded_at"] is not None,
    }


def verification_answer(row, signature_valid):
    """What the public verification page shows: valid or revoked, the holder (masked) and the title."""
    fields = CertificateFields.from_dict(row["fields"])
    revoked = row["revoked_at"] is not None
    if revoked:
        message = "该证书已被撤销"
    elif not signature_valid:
        message = "证书电子签名校验未通过,请联系发证机关"
    else:
        message = "证书真实有效"
    return {
        "found": True,
        "valid": signature_valid and not revoked,
        "revoked": revoked,
        "revoked_at": local_iso(row["revoked_at"]),
        "reason": row["revoked_reason"],
        "signature_valid": signature_valid,
        "message": message,
        "number": fields.number,
        "holder": {"name": fields.name, "id_number_masked": fields.id_number_masked},
        "title": fields.qualification,
        "series": fields.series,
        "specialty": fields.specialty,
        "level": fields.level,
        "method": fields.method,
        "committee": fields.committee,
        "pass_date": fields.pass_date,
        "issuing_body": fields.issuing_body,
        "issue_date": fields.issue_date,
    }


NOT_FOUND_ANSWER = {
    "found": False, "valid": False, "revoked": False, "revoked_at": None, "reason": None,
    "message": "未找到与该证书编号和验证码相符的证书,请核对后重试",
}
