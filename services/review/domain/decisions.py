"""What a reviewer's decision asks the dossier to record, pure.

A return names every problem at once (一次性告知): the problems the reviewer listed, each with its
section, become one numbered reason, and their sections join the sections to fix.
"""
from shared.contracts import dossier as st
from shared.contracts.review import APPROVE, REJECT, RETURN


def compose_return(reason, sections, problems):
    """``(reason, sections)`` of a return listing every problem in one notice."""
    fix = list(dict.fromkeys([*(sections or []), *(problem["section"] for problem in problems or [])]))
    lines = [f"{number}.【{st.SECTIONS[problem['section']]}】{problem['issue'].strip()}"
             for number, problem in enumerate(problems or [], 1)]
    parts = []
    if lines:
        parts.append(f"请一次性补正以下 {len(lines)} 项问题:" + ";".join(lines))
    if (reason or "").strip():
        parts.append(("其他说明:" if lines else "") + reason.strip())
    return "\n".join(parts), fix


def dossier_decision(decision):
    """The ``dossier.decide`` argument for a validated review decision, made on ``expected_version``."""
    action, version = decision["action"], decision["expected_version"]
    if action == APPROVE:
        return {"action": APPROVE, "opinion": decision["opinion"].strip(), "expected_version": version}
    if action == REJECT:
        return {"action": REJECT, "reason": decision["reason"].strip(), "expected_version": version}
    reason, sections = compose_return(decision.get("reason"), decision.get("sections"), decision.get("problems"))
    return {"action": RETURN, "reason": reason, "sections": sections, "expected_version": version}
