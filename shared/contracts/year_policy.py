"""The review year's policy (评审年度政策): every number and list the rules use, in one versioned document.

Published contract. A year's notice (``shared/contracts/notice_schemas.NoticeSchema``) carries
``policy`` overrides; the effective policy is ``DEFAULT_POLICY`` with those overrides
(``effective_policy``). The dossier service keeps the notices and their versions and is the one
place every service reads the policy from: RPC ``dossier.get_notice(review_year)`` answers
``{review_year, version, notice, policy, unconfirmed, published_by, published_at}`` where
``policy`` is the effective policy below. A service reads it at the step it takes (the version in
force then); none keeps its own copy of these numbers.

Keys of the effective policy:

- ``max_active_dossiers``: active dossiers per applicant and review year (DOMAIN.md §3).
- ``eligibility_tables``, ``assessment_extra_years``, ``continuing_education``,
  ``records_through_application_year``, ``require_same_series``: eligibility (§4).
- ``sanction_bar_years``: years a sanction of each kind bars applying, from the sanction date (§4).
  Whoever records a sanction reads the bar from the policy of the year the fraud was found in.
- ``exceptional``: 破格, the number of recommendation letters and their material categories (§4, §5).
- ``required_materials``: the materials checklist (§5), a list of requirement items (see
  ``REQUIREMENT_KINDS``); each item applies to the series and levels it names (``None``: all).
- ``publicity``: working days of the unit's and the city's publicity (§5, §7).
- ``vote``: quorum and pass share of a review meeting, exact fractions as text (§6).
- ``committees``: minimum membership by level band and organisation, and the longest approval (§6).
- ``fees``: review fee by level and certificate fee, in fen (分); 0 creates no order (§8).
- ``after_level_deadline``: what happens to a dossier still at a level when that level's deadline
  in the notice passes: ``stay`` (it waits, shown as overdue) or ``abandon`` (视为放弃, an event).
"""
import copy

# Years required in the level below, by target level and highest education (DOMAIN.md §4).
# An education level missing from a row is not eligible for that target level at all.
ENGINEERING = {
    # 初级: 员级 titles (技术员) are not modelled, so years are counted from work start instead.
    "primary": {"doctor": 0, "master": 0, "bachelor": 1, "college": 2, "secondary": 4},
    "intermediate": {"doctor": 0, "master": 2, "bachelor": 4, "college": 4},
    "associate_senior": {"doctor": 2, "master": 5, "bachelor": 5},
    "senior": {"doctor": 5, "master": 5, "bachelor": 5},
}

# 卫生系列: only the senior levels go to review; 初级 and 中级 are by national examination (以考代评).
HEALTH = {
    "associate_senior": {"doctor": 2, "master": 4, "bachelor": 5},
    # The policy names no education for 主任医师; every level is listed so the table adds no restriction.
    "senior": {"doctor": 5, "master": 5, "bachelor": 5, "college": 5, "secondary": 5},
}

# How a required-material item is counted:
REQUIREMENT_KINDS = {
    "dossier": "每件申报材料",            # ``count`` files for the dossier as a whole
    "record_year": "考核年度每年",        # ``count`` files for each year whose annual assessment is required
    "education_year": "继续教育年度每年",  # ``count`` files for each year whose continuing education is counted
    "achievement": "每项业绩成果",        # ``count`` files linked to each claimed achievement
}

DEFAULT_REQUIRED_MATERIALS = [
    {"key": "education_certificate", "label": "学历/学位证书", "categories": ["diploma", "degree"],
     "per": "dossier", "count": 1, "series": None, "levels": None},
    {"key": "current_title_certificate", "label": "现职称证书", "categories": ["title_certificate"],
     "per": "dossier", "count": 1, "series": None, "levels": ["intermediate", "associate_senior", "senior"]},
    {"key": "annual_assessment_forms", "label": "年度考核登记表", "categories": ["annual_assessment"],
     "per": "record_year", "count": 1, "series": None, "levels": None},
    {"key": "continuing_education_proofs", "label": "继续教育证明(或学时登记)", "categories": ["continuing_education"],
     "per": "education_year", "count": 1, "series": None, "levels": None},
    {"key": "achievement_proofs", "label": "业绩成果证明", "categories": ["achievement"],
     "per": "achievement", "count": 1, "series": None, "levels": None},
]

DEFAULT_POLICY = {
    "max_active_dossiers": 1,
    "eligibility_tables": {"engineering": ENGINEERING, "health": HEALTH},
    # Each 基本合格 adds 1 required year, each 不合格 adds 2.
    "assessment_extra_years": {"basically_competent": 1, "incompetent": 2},
    "continuing_education": {
        "hours_per_year": 90,
        # 专业科目 at least this share of the annual requirement (2/3 of 90 = 60 学时); the rest 公需科目.
        "professional_share": "2/3",
        # Checked for the last N years of the counted period.
        "years": 3,
    },
    "sanction_bar_years": {"fraud": 3},
    # 破格: the flag plus this many attached materials of these categories (推荐信).
    "exceptional": {"recommendation_letters": 2, "letter_categories": ["recommendation_letter"]},
    # Whether the application year's own assessment and continuing education are required; they
    # do not exist yet when one applies during that year, so by default records end the year before.
    "records_through_application_year": False,
    # 逐级申报 within the same series: "4 years as 助理工程师" means an engineering title.
    "require_same_series": True,
    "required_materials": DEFAULT_REQUIRED_MATERIALS,
    "publicity": {"unit_working_days": 5, "city_working_days": 5},
    "vote": {"quorum_share": "2/3", "pass_share": "2/3"},
    "committees": {
        "minimums": {
            "senior": {"series": 25, "specialty": 11},
            "intermediate": {"series": 15, "specialty": 7},
            "primary": {"series": 7, "specialty": 7},
        },
        "max_valid_years": 3,
    },
    "fees": {
        "review_fen": {"primary": 10000, "intermediate": 16000, "associate_senior": 36000, "senior": 36000},
        "certificate_fen": 0,
    },
    "after_level_deadline": "stay",
}

AFTER_LEVEL_DEADLINE = {"stay": "留在该级,标为逾期", "abandon": "视为放弃(记录事件)"}

# Settings for which no official text was found (DOMAIN.md: "say so in the admin UI help text").
UNCONFIRMED = {
    "exceptional": "破格申报须勾选破格并上传 2 份推荐信(证明材料类别「推荐信」);"
                   "符合时免予逐级、学历和任职年限要求,其余条件照常审查",
    "records_through_application_year": "年度考核与继续教育默认只要求到申报上一年度(申报当年尚未考核)",
    "require_same_series": "逐级申报默认要求现职称与申报职称属同一系列",
    "continuing_education.professional_share": "专业科目按每年应修学时的 2/3 计(90 学时中至少 60 学时)",
    "eligibility_tables.engineering.primary": "初级的“技术员”年限按参加工作年限计算(系统未设员级职称)",
    "eligibility_tables.health.senior": "主任医师未规定学历要求",
    "vote.quorum_share": "评审会议出席人数不少于抽取专家的 2/3,未查到正式文件",
    "committees.minimums.intermediate": "中级评委会最低人数(按系列 15 人、按专业 7 人)未查到正式文件",
    "committees.minimums.primary": "初级评委会最低人数(7 人)未查到正式文件",
    "fees": "评审费标准参照外省公布标准(初级 100 元、中级 160 元、副高级与正高级 360 元),云南省标准未查到",
    "after_level_deadline": "某级审核截止后仍停留在该级的申报,默认留在该级并标为逾期",
}

# Chinese names of the settings, for the settings page and for the list of what a version changed.
SETTING_LABELS = {
    "title": "通知标题",
    "open_series": "开放的系列与级别",
    "window.start": "申报开始时间",
    "window.end": "申报截止时间",
    "deadlines.unit": "单位审核截止时间",
    "deadlines.district": "主管部门审核截止时间",
    "deadlines.city": "市人社局审核截止时间",
    "deadlines.resubmission": "退回后重新提交截止时间",
    "deadlines.payment": "缴费截止时间",
    "continuing_education.hours_per_year": "继续教育每年学时",
    "continuing_education.professional_share": "专业科目学时占比",
    "continuing_education.years": "继续教育计算年数",
    "policy.max_active_dossiers": "每人每年度进行中的申报件数上限",
    "policy.eligibility_tables": "学历与任职年限表",
    "policy.assessment_extra_years": "年度考核结果增加的年限",
    "policy.sanction_bar_years": "弄虚作假等处理的禁止申报年限",
    "policy.exceptional": "破格申报条件",
    "policy.records_through_application_year": "考核与继续教育是否要求到申报当年",
    "policy.require_same_series": "逐级申报是否要求同一系列",
    "policy.required_materials": "必备证明材料",
    "policy.publicity.unit_working_days": "单位公示工作日数",
    "policy.publicity.city_working_days": "市级公示工作日数",
    "policy.vote.quorum_share": "评审会议出席比例",
    "policy.vote.pass_share": "表决通过比例",
    "policy.committees.minimums": "评委会最低人数",
    "policy.committees.max_valid_years": "评委会核准有效期(年)",
    "policy.fees.review_fen": "评审费(分)",
    "policy.fees.certificate_fen": "证书工本费(分)",
    "policy.after_level_deadline": "审核截止后停留在该级的申报",
}


def effective_policy(overrides=None, continuing_education=None):
    """DEFAULT_POLICY with a notice's overrides.

    An overridden eligibility-table row replaces the default row; ``required_materials`` is replaced
    as a whole list; other mappings merge key by key. The notice's own ``continuing_education``
    (a top-level field of the notice) merges into ``policy["continuing_education"]``.
    """
    policy = copy.deepcopy(DEFAULT_POLICY)
    overrides = copy.deepcopy(overrides or {})
    for series, rows in overrides.pop("eligibility_tables", {}).items():
        policy["eligibility_tables"].setdefault(series, {}).update(rows)
    if "required_materials" in overrides:
        policy["required_materials"] = overrides.pop("required_materials")
    _merge(policy, overrides)
    _merge(policy["continuing_education"], copy.deepcopy(continuing_education or {}))
    return policy


def _merge(base, overrides):
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def requirements_for(policy, series, level):
    """The required-material items that apply to a dossier of *series* and *level*."""
    return [item for item in policy["required_materials"]
            if (item.get("series") is None or series in item["series"])
            and (item.get("levels") is None or level in item["levels"])]


def review_fee_fen(policy, level):
    return int(policy["fees"]["review_fen"][level])


def certificate_fee_fen(policy):
    return int(policy["fees"]["certificate_fen"])


def changes(before, after):
    """What changed between two notice documents, as ``[{path, label, before, after}]`` in path order.

    Leaves are compared; a list (open levels, required materials) is one leaf. *before* may be None
    (the first version): then every setting of *after* is listed as new.
    """
    old, new = _leaves(before or {}), _leaves(after or {})
    return [
        {"path": path, "label": label_of(path), "before": old.get(path), "after": new.get(path)}
        for path in sorted(set(old) | set(new)) if old.get(path) != new.get(path)
    ]


def label_of(path):
    """The Chinese name of a setting path, falling back to the nearest labelled parent."""
    probe = path
    while probe:
        if probe in SETTING_LABELS:
            suffix = path[len(probe):].lstrip(".")
            return SETTING_LABELS[probe] + (f"({suffix})" if suffix else "")
        probe = probe.rpartition(".")[0]
    return path


def _leaves(document, prefix=""):
    leaves = {}
    for key, value in document.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and path not in ("open_series",):
            leaves.update(_leaves(value, path + "."))
        else:
            leaves[path] = value
    return leaves
