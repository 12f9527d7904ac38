"""The resubmission deadline (docs/domain-rules.md R5.9), pure: a returned dossier not resubmitted in
time is abandoned.

The deadline is the one the dossier service itself applies to resubmission: the later of the
application window's end and the notice's resubmission deadline. Until then resubmitting is still
possible, so abandoning earlier would contradict the notice.
"""
from datetime import datetime

from shared.clock import as_beijing_if_naive, beijing_text


def _moment(value):
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return as_beijing_if_naive(moment)


def resubmission_deadline(notice_document):
    """The last moment a returned dossier of the notice's year may be resubmitted."""
    window_end = _moment((notice_document.get("window") or {}).get("end"))
    resubmission = _moment((notice_document.get("deadlines") or {}).get("resubmission"))
    moments = [moment for moment in (window_end, resubmission) if moment is not None]
    return max(moments) if moments else None


def overdue(now, deadline):
    return deadline is not None and now > deadline


def abandon_reason(deadline):
    local = beijing_text(deadline)
    return f"退回修改后未在重新提交截止时间({local},北京时间)前重新提交,视为放弃"
