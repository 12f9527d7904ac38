"""The annual notice and the eligibility rules (docs/domain-rules.md R3.2, R3.3, R3.4, R4.1–R4.11) as pure functions, no I/O.

A notice opens series and levels for one review year, sets the application window and deadlines,
and carries that year's policy: ``DEFAULT_POLICY`` with the notice's overrides. ``check_window``,
``check_open`` and ``check_active_limit`` guard creating and submitting; ``check_eligibility``
returns every rule a dossier fails, so the applicant reads all of them at once.
"""
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from shared.titles import ASSESSMENT_RESULTS, EDUCATION_LEVELS, LEVEL_ORDER, LEVELS, SERIES

from shared.contracts import dossier as st
from shared.contracts.year_policy import effective_policy
from .exceptions import (
    ActiveDossierLimitError, DecidedForYearError, OutsideApplicationWindowError, SeriesNotOpenError,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
ACTIONS = {"create": "创建申报材料", "submit": "提交申报", "resubmit": "重新提交申报"}
# A dossier in one of these no longer counts against the applicant's active dossiers of its year.
INACTIVE_STATUSES = (st.WITHDRAWN, st.REJECTED, st.ABANDONED, st.FAILED)
EDUCATION_RANK = {code: rank for rank, code in enumerate(EDUCATION_LEVELS)}

RULES = st.ELIGIBILITY_RULES


# ---------------------------------------------------------------------------------------------
# The notice and its policy.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """One review year's notice (年度职称评审工作通知) with its effective policy."""

    review_year: int
    title: str
    open_series: dict
    window_start: datetime
    window_end: datetime
    deadlines: dict
    policy: dict
    version: int | None = None  # the stored version of the notice (notices.py), when read from the store

    @classmethod
    def from_document(cls, document, version=None):
        """Build from a validated notice document; moments may be aware datetimes or ISO strings."""
        window = document["window"]
        deadlines = document.get("deadlines") or {}
        return cls(
            review_year=int(document["review_year"]),
            title=document["title"],
            open_series={series: tuple(levels) for series, levels in document["open_series"].items()},
            window_start=_moment(window["start"]),
            window_end=_moment(window["end"]),
            deadlines={name: _moment(value) if value else None for name, value in deadlines.items()},
            policy=effective_policy(document.get("policy"), document.get("continuing_education")),
            version=version,
        )

    def window_for(self, action):
        """``(start, end)`` for *action*; a returned dossier may be resubmitted until the resubmission deadline."""
        end = self.window_end
        if action == "resubmit" and self.deadlines.get("resubmission"):
            end = max(end, self.deadlines["resubmission"])
        return self.window_start, end


def check_window(notice: Notice, moment: datetime, action):
    """Raise OutsideApplicationWindowError, naming the window, unless *moment* lies inside it."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    start, end = notice.window_for(action)
    if start <= moment <= end:
        return
    state = "申报尚未开始" if moment < start else "申报已截止"
    raise OutsideApplicationWindowError(
        f"{notice.review_year}年度{ACTIONS[action]}时间为 {format_moment(start)} 至 {format_moment(end)}"
        f"(北京时间),{state},不能{ACTIONS[action]}"
    )


def check_open(notice: Notice, series, level):
    """Raise SeriesNotOpenError unless the notice opens *level* of *series*."""
    if level in notice.open_series.get(series, ()):
        return
    opened = ";".join(
        f"{SERIES.get(code, code)}({'、'.join(LEVELS.get(item, item) for item in levels)})"
        for code, levels in notice.open_series.items()
    )
    what = f"{SERIES.get(series, series)}系列{LEVELS.get(level, level)}"
    name = "level" if series in notice.open_series else "series"
    raise SeriesNotOpenError(f"{notice.review_year}年度未开放{what}评审;本年度开放:{opened}",
                             fields={name: [f"{notice.review_year}年度未开放{what}评审"]})


def check_active_limit(policy, active_count, review_year):
    """Raise ActiveDossierLimitError when the applicant already has the most active dossiers allowed."""
    limit = int(policy["max_active_dossiers"])
    if active_count >= limit:
        raise ActiveDossierLimitError(
            f"您在{review_year}年度已有 {active_count} 件进行中的申报材料,每个评审年度最多 {limit} 件;"
            "如需重新申报,请先撤销原申报"
        )


# A dossier left in one of these has been decided for its review year: 不予通过 at any level (or an
# objection upheld) is final for the year (DOMAIN §5), and so is the committee's 评审未通过 — the vote
# is the year's review, which the applicant cannot ask for twice. 撤销申请 and 视为放弃 decide nothing.
FINAL_FOR_YEAR = (st.REJECTED, st.FAILED)


def check_not_decided(decided, review_year):
    """Raise DecidedForYearError naming the applicant's dossier of *review_year* that was decided
    (*decided*: its summary row — dossier_id, status, series, level, specialty — or None)."""
    if not decided:
        return
    what = f"{SERIES.get(decided['series'], decided['series'])}系列{LEVELS.get(decided['level'], decided['level'])}"
    raise DecidedForYearError(
        f"您{review_year}年度的申报材料({what}·{decided['specialty']},编号 {str(decided['dossier_id'])[:8]})"
        f"结果为「{st.STATUS_LABELS[decided['status']]}」,该结果在本评审年度内为最终决定,不能再次申报;"
        "请在下一评审年度的申报期内重新申报"
    )


def format_moment(moment: datetime):
    local = moment.astimezone(SHANGHAI)
    return f"{format_day(local.date())} {local:%H:%M}"


def format_day(day: date):
    return f"{day.year}年{day.month}月{day.day}日"


def _moment(value):
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _day(value):
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# ---------------------------------------------------------------------------------------------
# Eligibility.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """One failed rule: ``rule`` is a key of RULES, ``message`` says why in words the applicant understands."""

    rule: str
    message: str
    details: dict = field(default_factory=dict, compare=False)

    def to_dict(self):
        return {"rule": self.rule, "message": self.message}


@dataclass(frozen=True)
class _Case:
    """What the rules need from a dossier, read once from its plain state."""

    policy: dict
    review_year: int
    series: str
    level: str
    info: dict
    education: list
    assessments: dict
    hours: dict
    materials: list

    @classmethod
    def of(cls, policy, dossier, review_year):
        sections = dossier.get("sections") or {}
        materials = dossier.get("materials") or []
        hours = {}
        for entry in sections.get("continuing_education") or []:
            total, professional = hours.get(int(entry["year"]), (Fraction(0), Fraction(0)))
            amount = Fraction(str(entry["hours"]))
            hours[int(entry["year"])] = (total + amount,
                                        professional + (amount if entry.get("kind") == "professional" else 0))
        return cls(
            policy=policy,
            review_year=int(review_year),
            series=dossier["series"],
            level=dossier["level"],
            info=sections.get("basic_info") or {},
            education=sections.get("education") or [],
            assessments={int(entry["year"]): entry["result"] for entry in sections.get("annual_assessments") or []},
            hours=hours,
            materials=list(materials.values()) if isinstance(materials, dict) else list(materials),
        )

    @property
    def level_below(self):
        index = LEVEL_ORDER.index(self.level)
        return LEVEL_ORDER[index - 1] if index else None

    @property
    def since(self):
        """Years count from the title held (the level below) or, for 初级 or without a title, from work start."""
        if self.level_below and self.info.get("current_title_level"):
            return _day(self.info.get("current_title_obtained_on"))
        return _day(self.info.get("work_start_date"))

    @property
    def last_record_year(self):
        """The last year whose assessment and continuing education are required."""
        return self.review_year if self.policy["records_through_application_year"] else self.review_year - 1

    def record_years(self):
        """Years of the counted period for which assessments are required.

        Before the start of the period is known (no title date or work start yet), the years of the
        continuing-education window stand in, so an empty draft's one notice (一次性告知) already names
        the years every applicant needs; the real period replaces them once the date is recorded."""
        since = self.since
        if since is None:
            return self.education_years()
        return list(range(since.year + 1, self.last_record_year + 1))

    def education_years(self):
        """Years whose continuing education is checked: the policy's last N record years, within the period."""
        since, last = self.since, self.last_record_year
        first = last - int(self.policy["continuing_education"]["years"]) + 1
        return [year for year in range(first, last + 1) if since is None or year > since.year]

    @property
    def highest_education(self):
        codes = [entry.get("education_level") for entry in self.education if entry.get("education_level") in EDUCATION_RANK]
        return max(codes, key=EDUCATION_RANK.get) if codes else None

    @property
    def table_row(self):
        return (self.policy["eligibility_tables"].get(self.series) or {}).get(self.level)

    def title(self):
        return f"{SERIES.get(self.series, self.series)}系列{LEVELS.get(self.level, self.level)}"


def check_eligibility(policy, dossier_state, *, review_year, sanctions=(), today):
    """Every eligibility rule of docs/domain-rules.md R4.1 (R4.2–R4.9, R4.11) that *dossier_state* (``Dossier.to_dict()``) fails.

    *policy* is a notice's effective policy; *sanctions* are ``{kind, decided_on}`` mappings from
    the identity service; *today* is the applicant's local date. An empty list means eligible.
    """
    case = _Case.of(policy, dossier_state, review_year)
    failures = [_retired(case), _sanction(case, sanctions, today)]
    exceptional_failure, exceptional_granted = _exceptional(case)
    failures.append(exceptional_failure)
    if not exceptional_granted:
        # A granted 破格 waives the level step, education and years; everything else still applies.
        failures.extend(_qualification(case))
    failures += [_annual_assessment(case), _continuing_education(case)]
    return [failure for failure in failures if failure is not None]


def required_years(policy, dossier_state, *, review_year):
    """``(record years, continuing-education years)`` the rules above count for *dossier_state*: the years
    needing an annual assessment, and those whose continuing education is checked (the materials
    checklist, required_materials.py, asks for one form or proof per year of these)."""
    case = _Case.of(policy, dossier_state, review_year)
    return case.record_years(), case.education_years()


def _retired(case):
    if case.info.get("retired"):
        return Failure("retired", "已退休人员不能申报职称评审")
    return None


def _sanction(case, sanctions, today):
    """A sanction bars until the end date recorded with it (identity fixes it from the policy of the year
    the fraud was found, one source); only a record without one falls back to this year's bar length."""
    bars = case.policy["sanction_bar_years"]
    barred = []
    for sanction in sanctions or ():
        decided_on = _day(sanction.get("decided_on") or sanction.get("sanctioned_on"))
        if decided_on is None:
            continue
        until = _day(sanction.get("bars_until"))
        if until is None:
            years = bars.get(sanction.get("kind"))
            if years is None:
                continue
            until = add_years(decided_on, int(years))
        if today < until:
            barred.append((until, decided_on, sanction["kind"]))
    if not barred:
        return None
    until, decided_on, kind = max(barred)
    label = {"fraud": "弄虚作假"}.get(kind, kind)
    return Failure("sanction", f"因{label}于 {format_day(decided_on)} 受到处理,{format_day(until)} 前不得申报职称评审",
                   {"until": until.isoformat(), "kind": kind})


def add_years(day: date, years):
    """The same day *years* later; 29 February becomes 1 March."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def recommendation_letters(case):
    """Attached materials that count as recommendation letters: those of the policy's letter categories."""
    categories = case.policy["exceptional"]["letter_categories"]
    return [material for material in case.materials if material.get("category") in categories]


def _exceptional(case):
    """``(failure or None, granted)``: 破格 is granted only with the flag and enough recommendation letters."""
    if not case.info.get("exceptional"):
        return None, False
    settings = case.policy["exceptional"]
    needed, found = int(settings["recommendation_letters"]), len(recommendation_letters(case))
    if found >= needed:
        return None, True
    return Failure("exceptional", f"破格申报须上传 {needed} 份推荐信(证明材料类别选「推荐信」),目前 {found} 份"), False


def _qualification(case):
    """逐级申报, then education and years in the level below from the series table."""
    step = _level_step(case)
    row = case.table_row
    if row is None:
        return [step, Failure("eligibility_table", f"该系列未配置申报条件:{case.title()}的学历与任职年限要求尚未设定,"
                                                   "请联系市人社局")]
    education = case.highest_education
    if education not in row:
        allowed = "、".join(EDUCATION_LEVELS[code] for code in sorted(row, key=EDUCATION_RANK.get))
        held = f"您的最高学历为{EDUCATION_LEVELS[education]}" if education else "尚未填写学历学位"
        return [step, Failure("education", f"申报{case.title()}须具备{allowed}学历;{held}")]
    # Years in the level below mean something only to a holder of that level.
    return [step, None if step else _years_in_level(case, int(row[education]), education)]


def _level_step(case):
    below = case.level_below
    if below is None:
        return None
    current = case.info.get("current_title_level")
    current_series = case.info.get("current_title_series")
    if current != below:
        held = LEVELS.get(current, current) if current else "无"
        return Failure("level_step", f"申报{LEVELS[case.level]}须已取得{LEVELS[below]}职称(逐级申报),您现有职称级别:{held};"
                                     "如符合破格条件,请勾选破格申报并上传推荐信")
    if case.policy["require_same_series"] and current_series and current_series != case.series:
        return Failure("level_step", f"申报{case.title()}须已取得{SERIES.get(case.series, case.series)}系列"
                                     f"{LEVELS[below]}职称(逐级申报),您现有职称属"
                                     f"{SERIES.get(current_series, current_series)}系列")
    return None


def _years_in_level(case, base_years, education):
    held = f"任{LEVELS[case.level_below]}职称" if case.level_below else "参加工作"
    since = case.since
    if since is None:
        missing = "现职称取得时间" if case.level_below else "参加工作时间"
        return Failure("years_in_level", f"尚未填写{missing},无法计算{held}年限")
    counted_years = range(since.year + 1, case.review_year + 1)
    extras = []
    for result, per in case.policy["assessment_extra_years"].items():
        times = sum(1 for year in counted_years if case.assessments.get(year) == result)
        if times and per:
            extras.append((result, times, times * int(per)))
    required = base_years + sum(added for _, _, added in extras)
    counted = max(0, case.review_year - since.year)
    if counted >= required:
        return None
    breakdown = ""
    if extras:
        added = "、".join(f"{ASSESSMENT_RESULTS[result]} {times} 次加 {years} 年" for result, times, years in extras)
        breakdown = f"(基本要求 {base_years} 年,年度考核{added})"
    return Failure(
        "years_in_level",
        f"申报{case.title()}({EDUCATION_LEVELS[education]})须{held}满 {required} 年{breakdown};"
        f"自 {format_day(date(since.year + 1, 1, 1))} 至 {format_day(date(case.review_year, 12, 31))} "
        f"计 {counted} 年,还差 {required - counted} 年",
        {"required": required, "counted": counted},
    )


def _annual_assessment(case):
    missing = [year for year in case.record_years() if year not in case.assessments]
    if not missing:
        return None
    return Failure("annual_assessment", f"缺少 {_years_text(missing)} 的年度考核结果(任现职以来每年须有一次年度考核)",
                   {"missing_years": missing})


def _continuing_education(case):
    settings = case.policy["continuing_education"]
    required = Fraction(str(settings["hours_per_year"]))
    professional_required = required * Fraction(str(settings["professional_share"]))
    shortfalls = []
    for year in case.education_years():
        total, professional = case.hours.get(year, (Fraction(0), Fraction(0)))
        missing, professional_missing = max(required - total, 0), max(professional_required - professional, 0)
        if missing or professional_missing:
            shortfalls.append({"year": year, "hours": total, "professional_hours": professional,
                               "missing_hours": missing, "missing_professional_hours": professional_missing})
    if not shortfalls:
        return None
    lines = ";".join(_shortfall_text(item) for item in shortfalls)
    return Failure(
        "continuing_education",
        f"继续教育学时不足(每年不少于 {_num(required)} 学时,其中专业科目不少于 {_num(professional_required)} 学时):{lines}",
        {"years": [{key: _number(value) for key, value in item.items()} for item in shortfalls]},
    )


def _shortfall_text(item):
    text = (f"{item['year']}年 已记录 {_num(item['hours'])} 学时(专业科目 {_num(item['professional_hours'])} 学时)"
            if item["hours"] else f"{item['year']}年 未记录学时")
    gaps = []
    if item["missing_hours"]:
        gaps.append(f"差 {_num(item['missing_hours'])} 学时")
    if item["missing_professional_hours"]:
        gaps.append(f"专业科目差 {_num(item['missing_professional_hours'])} 学时")
    return f"{text},{'、'.join(gaps)}"


def _num(value):
    """Hours as people write them: 60, 22.5, 66.7."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.1f}".rstrip("0").rstrip(".")


def _number(value):
    value = Fraction(value)
    return value.numerator if value.denominator == 1 else float(value)


def _years_text(years):
    return "、".join(str(year) for year in years) + "年"
