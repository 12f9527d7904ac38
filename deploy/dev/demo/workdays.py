"""Working days as the review service counts them (weekends, public holidays and 调休 included), so
the story's scenes fall on days an office is open and its five-day windows are the ones review keeps."""
from datetime import date, timedelta


class WorkingDays:
    """The working days around *today* (a Beijing date), asked of the review service."""

    def __init__(self, review, today: date, back=40):
        self.review, self.today = review, today
        self._before = []
        day = today
        while len(self._before) < back:
            day -= timedelta(days=1)
            if self.is_working_day(day):
                self._before.append(day)

    def before_today(self, count) -> date:
        """The *count*-th working day before today: 1 is the last one, yesterday or before a weekend."""
        return self._before[count - 1]

    def after_today(self) -> date:
        day = self.today + timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def window_end(self, start: date, working_days=5) -> date:
        """The last day of a window from *start* holding *working_days* working days."""
        window = self.review.working_days({"start": start.isoformat(), "working_days": working_days})
        return date.fromisoformat(window["end"])

    def is_working_day(self, day: date):
        return self.review.working_days({"start": day.isoformat(), "end": day.isoformat()})["working_days"] == 1
