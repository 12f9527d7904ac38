"""One row per experiment, printed as it finishes and again, all together, as a Markdown table."""
from dataclasses import dataclass, field

COLUMNS = ("fault", "operations", "acknowledged", "lost", "duplicated", "ghost", "seconds to recover", "verdict")


@dataclass
class Row:
    fault: str
    operations: int = 0
    acknowledged: int = 0
    lost: int = 0
    duplicated: int = 0
    ghost: int = 0
    recover: float | None = None  # None: did not recover within the bound (or not applicable)
    verdict: str = ""
    notes: list = field(default_factory=list)
    recover_applies: bool = True

    def cells(self):
        if not self.recover_applies:
            recover = "—"
        else:
            recover = f"{self.recover:.1f}" if self.recover is not None else "not recovered"
        cells = [self.fault, str(self.operations), str(self.acknowledged), str(self.lost), str(self.duplicated),
                 str(self.ghost), recover, self.verdict]
        return [cell.replace("|", "/").replace("\n", " ") for cell in cells]  # an error text must not break the table


def markdown(rows):
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for _ in COLUMNS) + "|"]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def notes_section(rows):
    """What each row's numbers rest on (outage length, who restarted what, retries, bus, examples)."""
    lines = []
    for row in rows:
        if row.notes:
            lines.append(f"- **{row.fault}**: " + "; ".join(row.notes))
    return "\n".join(lines)


def verdict(findings_failures):
    """PASS, or FAIL with the reasons in a few words."""
    return "PASS" if not findings_failures else "FAIL: " + ", ".join(findings_failures)
