"""The state diagrams in docs/payments.md are generated from the code; this fails when they drift
(fix: python manage.py fsm_mermaid payments.<Model> --write docs/payments.md)."""

import re
from pathlib import Path

import pytest

from payments.management.commands.fsm_mermaid import diagram_block, marker

DOC = Path(__file__).resolve().parents[2] / "docs" / "payments.md"


@pytest.mark.parametrize("label", ["payments.Deposit", "payments.Withdrawal", "payments.Refund"])
def test_committed_diagram_matches_the_code(label):
    name = marker(label)
    match = re.search(rf"<!-- {name}-diagram:start -->\n(.*?)\n<!-- {name}-diagram:end -->", DOC.read_text(), re.S)
    assert match, f"no diagram block for {label} in {DOC}"
    assert match.group(1) == diagram_block(label)
