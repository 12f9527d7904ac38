"""The dossier service's published vocabulary that others read in its answers and events."""
from shared.schemas import Int, in_range

# The review levels a reviewer's opinion is recorded at (``opinions[].level``).
UNIT, DISTRICT, CITY = "unit", "district", "city"
REVIEW_LEVEL_LABELS = {UNIT: "单位", DISTRICT: "主管部门/区县人社局", CITY: "市人社局"}


def ExpectedVersion(**kwargs):
    """The dossier version a decision was made on, as every caller sends it (review, the gateway): if the
    dossier moved since, the dossier refuses the decision (409) instead of applying it to a state its
    maker never saw (services/dossier/conflicts.py)."""
    return Int(validate=in_range(1, 10**6), metadata={"description": "作出决定时看到的申报材料版本号(version)"},
               error_messages={"required": "请注明作出决定时看到的申报材料版本号(expected_version),"
                                           "以免覆盖他人刚刚作出的决定"}, **kwargs)
