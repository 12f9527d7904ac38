"""The default eligibility policy (docs/domain-rules.md R0.1, R3.4, R4.3, R4.5–R4.9): the one place where its numbers are written down.

Each year's notice may override any of these (``notice["policy"]``, and the notice's own
``continuing_education`` requirement); the rule code in ``policy.py`` reads only the merged result.
``UNCONFIRMED`` names the settings for which no official text was found, so the admin UI can say so.
"""

# Years required in the level below, by target level and highest education (docs/domain-rules.md R4.5, R4.6).
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
    # The policy names no education for 主任医师 (docs/domain-rules.md R4.6); every level is listed so the table adds no restriction.
    "senior": {"doctor": 5, "master": 5, "bachelor": 5, "college": 5, "secondary": 5},
}

DEFAULT_POLICY = {
    # At most this many active dossiers per applicant and review year (docs/domain-rules.md R3.4).
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
    # Years a sanction of each kind bars applying, from the sanction date.
    "sanction_bar_years": {"fraud": 3},
    "exceptional": {
        # 破格: the flag plus this many recommendation letters, each an attached material whose
        # category is one of these and whose file name contains one of these markers.
        "recommendation_letters": 2,
        "letter_categories": ["other"],
        "letter_filename_markers": ["推荐信", "推荐函"],
    },
    # Whether the application year's own assessment and continuing education are required; they
    # do not exist yet when one applies during that year, so by default records end the year before.
    "records_through_application_year": False,
    # 逐级申报 within the same series: "4 years as 助理工程师" means an engineering title.
    "require_same_series": True,
}

UNCONFIRMED = {
    "exceptional": "破格申报须勾选破格并上传 2 封推荐信(类别「其他」、文件名含“推荐信”或“推荐函”);"
                   "符合时免予逐级、学历和任职年限要求,其余条件照常审查",
    "records_through_application_year": "年度考核与继续教育默认只要求到申报上一年度(申报当年尚未考核)",
    "require_same_series": "逐级申报默认要求现职称与申报职称属同一系列",
    "continuing_education.professional_share": "专业科目按每年应修学时的 2/3 计(90 学时中至少 60 学时)",
    "eligibility_tables.engineering.primary": "初级的“技术员”年限按参加工作年限计算(系统未设员级职称)",
    "eligibility_tables.health.senior": "主任医师未规定学历要求",
}
