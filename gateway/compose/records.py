"""The meeting record (评审会议纪要) as both the API and the pages take it: the public check of a
record, counted against the caller's limit as certificate checks are, and the SHA-256 of an uploaded
PDF (the file itself goes no further than the gateway: review only ever sees its digest)."""
import hashlib

from ..exceptions import FileTooLarge


def verify_record(verify_limit, review, caller_address, number, sha256):
    """The public check of record *number* against a file's SHA-256 (429 beyond the caller's limit)."""
    verify_limit.check(caller_address)
    return review.verify_meeting_record(str(number or "").strip(), sha256)


def upload_sha256(upload, limit):
    """The SHA-256 (hex) of an uploaded file, read in chunks; None when no file was chosen."""
    if upload is None or not upload.filename:
        return None
    digest, size = hashlib.sha256(), 0
    while chunk := upload.stream.read(1024 * 1024):
        size += len(chunk)
        if size > limit:
            raise FileTooLarge(f"文件超过上限 {limit / 1024 / 1024:.1f} MB")
        digest.update(chunk)
    return digest.hexdigest()
