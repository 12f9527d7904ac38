"""What the messages need from other services besides people: a review year's notice (its window and
deadlines, dossier RPC ``get_notice``) and its fees (payment RPC ``get_fee_schedule``: the review fee
of each level and the certificate fee).

A notice not yet published is an answer (no deadline to name), not a failure; any other failure
is raised, so the event is retried rather than sent with a wrong date or amount."""
from datetime import datetime

from shared.contracts.dossier_errors import NoticeNotFound


class YearFacts:
    """Over shared.rpc_ports.TimedProxy's of ``dossier`` and ``payment``; answers are kept for the
    object's life (one event handling or one timer run), so a batch asks each year once."""

    def __init__(self, dossier, payment):
        self.dossier, self.payment = dossier, payment
        self._notices, self._fees, self._certificate_fees = {}, {}, {}

    def notice(self, review_year):
        """The year's notice document (``{window, deadlines, …}``), or None while none is published."""
        year = int(review_year)
        if year not in self._notices:
            try:
                self._notices[year] = (self.dossier.call("get_notice", year) or {}).get("notice") or {}
            except NoticeNotFound:
                self._notices[year] = None
        return self._notices[year]

    def deadline(self, review_year, name):
        """The notice's ``deadlines.<name>`` as an aware datetime, or None."""
        return _moment(((self.notice(review_year) or {}).get("deadlines") or {}).get(name))

    def window_end(self, review_year):
        return _moment(((self.notice(review_year) or {}).get("window") or {}).get("end"))

    def _schedule(self, year):
        if year not in self._fees:
            schedule = self.payment.call("get_fee_schedule", year) or {}
            self._fees[year] = schedule.get("review_fees_fen") or {}
            self._certificate_fees[year] = schedule.get("certificate_fee_fen")

    def review_fee_fen(self, review_year, level):
        """The year's review fee for *level* in fen, or None when the schedule names none."""
        year = int(review_year)
        self._schedule(year)
        amount = self._fees[year].get(level)
        return int(amount) if amount is not None else None

    def certificate_fee_fen(self, review_year):
        """The year's certificate fee (证书工本费) in fen, or None when the schedule names none."""
        year = int(review_year)
        self._schedule(year)
        amount = self._certificate_fees.get(year)
        return int(amount) if amount is not None else None


def _moment(value):
    if not value:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else None
