"""What the review service publishes besides its errors and RPC input schemas: the words of its
ballots, committees and decisions, which the gateway shows and sends back. Review's rules
(services/review/domain/) build on these; nothing else of review is meant to be read from outside."""
from shared.contracts.year_policy import UNCONFIRMED as _UNCONFIRMED

# A secret ballot's choices (无记名投票, docs/domain-rules.md R6.7).
AGREE, DISAGREE, ABSTAIN = "agree", "disagree", "abstain"
CHOICES = {AGREE: "同意", DISAGREE: "不同意", ABSTAIN: "弃权"}

# How a committee is organised, and the level bands its minimum membership depends on (R6.1, R6.2).
BY_SERIES, BY_SPECIALTY = "series", "specialty"
ORGANISED_BY = {BY_SERIES: "按系列组建", BY_SPECIALTY: "按专业组建"}
BAND_LABELS = {"senior": "高级", "intermediate": "中级", "primary": "初级"}
# Said next to a committee's minimum wherever it is shown: only the 高级 minimums have an official text.
# The texts are the year policy's own (shared/contracts/year_policy.py UNCONFIRMED), so they never disagree.
UNCONFIRMED_MINIMUMS = ";".join(_UNCONFIRMED[key] for key in ("committees.minimums.intermediate",
                                                              "committees.minimums.primary")) + ",为年度政策中可调整的设置"

# What a reviewer may decide on a dossier in their queue.
APPROVE, RETURN, REJECT = "approve", "return", "reject"
ACTIONS = {APPROVE: "审核通过", RETURN: "退回修改", REJECT: "不予通过"}

EXPORT_FORMATS = ("csv", "xlsx")

# Outcomes of an objection to a publicity entry (R7.4, R7.6).
OPEN, DISMISSED, UPHELD = "open", "dismissed", "upheld"
OBJECTION_STATES = {OPEN: "待处理", DISMISSED: "不成立", UPHELD: "成立"}

# A committee meeting's states, in order (R6.3–R6.7): experts drawn, attendance taken and the vote open, closed.
MEETING_PLANNED, MEETING_DRAWN, MEETING_OPEN, MEETING_CLOSED = "planned", "drawn", "open", "closed"
MEETING_STATES = {MEETING_PLANNED: "待抽取专家", MEETING_DRAWN: "已抽取专家", MEETING_OPEN: "评审中",
                  MEETING_CLOSED: "已结束"}
# A dossier assigned to a meeting and not yet voted on; past that, a meeting's dossier is in the status the
# meeting moved it to (the dossier's own under_review, passed or failed).
MEETING_DOSSIER_ASSIGNED = "assigned"

