"""Role codes (docs/domain-rules.md R1.1) and the actor who performs a command."""
from dataclasses import asdict, dataclass

APPLICANT = "applicant"
UNIT_ADMIN = "unit_admin"
DISTRICT_ADMIN = "district_admin"
CITY_ADMIN = "city_admin"
COMMITTEE_SECRETARY = "committee_secretary"
EXPERT = "expert"
AUDITOR = "auditor"
SYSADMIN = "sysadmin"
# Automated steps (deadline timers, the payment callback) act as the system, never as a person.
SYSTEM = "system"

ROLE_LABELS = {
    APPLICANT: "申报人",
    UNIT_ADMIN: "单位管理员",
    DISTRICT_ADMIN: "主管部门/区县人社局审核员",
    CITY_ADMIN: "市人社局审核员",
    COMMITTEE_SECRETARY: "评委会办公室",
    EXPERT: "评审专家",
    AUDITOR: "审计/纪检人员",
    SYSADMIN: "系统管理员",
    SYSTEM: "系统",
}


@dataclass(frozen=True)
class Actor:
    """Who performs a command: the account, the role it acts in and the organisation of that role."""

    account_id: str
    role: str
    org_id: str | None = None
    # The request that made this person act (shared.observability); recorded with their events.
    correlation_id: str | None = None

    def __post_init__(self):
        if self.role not in ROLE_LABELS:
            raise ValueError(f"未知角色: {self.role}")
        if not self.account_id:
            raise ValueError("操作人账号不能为空")

    @classmethod
    def from_dict(cls, data):
        return cls(account_id=str(data["account_id"]), role=data["role"], org_id=data.get("org_id"),
                   correlation_id=data.get("correlation_id"))

    def to_dict(self):
        data = asdict(self)
        if data["correlation_id"] is None:
            del data["correlation_id"]
        return data

    @property
    def role_label(self):
        return ROLE_LABELS[self.role]
