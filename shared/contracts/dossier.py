"""The dossier service's published vocabulary that others read in its answers and events."""

# The review levels a reviewer's opinion is recorded at (``opinions[].level``).
UNIT, DISTRICT, CITY = "unit", "district", "city"
REVIEW_LEVEL_LABELS = {UNIT: "单位", DISTRICT: "主管部门/区县人社局", CITY: "市人社局"}
