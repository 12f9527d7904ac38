"""Reference vocabulary of titles: review series and levels, with their Chinese names."""

SERIES = {
    "engineering": "工程",
    "health": "卫生",
    "education": "教育",
    "agriculture": "农业",
    "economics": "经济",
    "accounting": "会计",
}

LEVELS = {
    "primary": "初级",
    "intermediate": "中级",
    "associate_senior": "副高级",
    "senior": "正高级",
}
# Level order for 逐级申报: each level needs the one before it.
LEVEL_ORDER = ("primary", "intermediate", "associate_senior", "senior")

EDUCATION_LEVELS = {
    "secondary": "中专",
    "college": "大专",
    "bachelor": "本科",
    "master": "硕士",
    "doctor": "博士",
}

ASSESSMENT_RESULTS = {
    "excellent": "优秀",
    "competent": "合格",
    "basically_competent": "基本合格",
    "incompetent": "不合格",
}

MATERIAL_CATEGORIES = {
    "diploma": "学历证书",
    "degree": "学位证书",
    "title_certificate": "现职称证书",
    "continuing_education": "继续教育证明",
    "annual_assessment": "年度考核表",
    "achievement": "业绩成果",
    "review_form": "评审表",
    "commitment": "承诺书",
    "recommendation_letter": "推荐信",
    "other": "其他",
}

CONTINUING_EDUCATION_KINDS = {"professional": "专业科目", "public": "公需科目"}

# 单位性质 of the applicant's employer (现聘情况, basic info).
EMPLOYER_TYPES = {
    "government": "机关",
    "public_institution": "事业单位",
    "state_owned": "国有企业",
    "private": "民营企业",
    "foreign_funded": "外资企业",
    "social_organization": "社会组织",
    "other": "其他",
}
