"""docs/payments.md carries the diagrams the code generates (fsm_mermaid)."""

from io import StringIO
from pathlib import Path

from django.core.management import call_command

DOC = Path(__file__).resolve().parents[3] / "docs" / "payments.md"


def _mermaid(label: str) -> str:
    out = StringIO()
    call_command("fsm_mermaid", label, stdout=out)
    return out.getvalue()


def test_docs_diagrams_are_the_generated_ones():
    text = DOC.read_text()
    for label in ("payments.Withdrawal", "payments.Refund"):
        diagram = _mermaid(label)
        assert diagram.startswith("stateDiagram-v2\n    [*] --> ")
        assert f"```mermaid\n{diagram}```" in text, f"regenerate the {label} diagram: python manage.py fsm_mermaid"


def test_generic_for_any_fsm_model(tmp_path):
    out = tmp_path / "deposit.mmd"
    call_command("fsm_mermaid", "payments.Deposit", output=str(out))
    text = out.read_text()
    assert "[*] --> initiated" in text and "refund_pending --> refunded: refunded" in text
