"""A pair of Beijing calendar days typed into a filter form ("from" and "to"), checked the one way every
filter of the gateway checks them: ISO format, a year between 2000 and 2100, the end not before the start."""
from datetime import date


def typed_day_range(values, start, end, errors):
    """``{name: date}`` of the days typed under *start* and *end* in *values*; each problem is added to
    *errors* under its field (then nothing of the range is returned)."""
    days = {}
    for name in (start, end):
        text = str(values.get(name, "")).strip()
        if not text:
            continue
        try:
            day = date.fromisoformat(text)
        except ValueError:
            errors[name] = ["日期格式应为 YYYY-MM-DD"]
            continue
        if not 2000 <= day.year <= 2100:
            errors[name] = ["年份应在 2000 到 2100 之间"]
            continue
        days[name] = day
    if len(days) == 2 and days[end] < days[start]:
        errors[end] = ["结束日不能早于开始日"]
    if any(name in errors for name in (start, end)):
        return {}
    return days
