"""`python manage.py fsm_mermaid payments.Deposit [--write docs/payments.md]`: the state machine of
a model's FSMField as a Mermaid stateDiagram, generated from the @transition declarations.

With --write, replaces the block between `<!-- <model>-diagram:start -->` and
`<!-- <model>-diagram:end -->` in the file, so the committed docs cannot drift from the code
(tests/payments/test_docs.py checks it)."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django_fsm import FSMField


def fsm_mermaid(label: str) -> str:
    model = apps.get_model(label)
    field = next((f for f in model._meta.fields if isinstance(f, FSMField)), None)
    if field is None:
        raise CommandError(f"{label} has no FSMField")
    lines = ["stateDiagram-v2", f"    [*] --> {field.default}"]
    order = [value for value, _ in field.choices]
    edges = []
    for transition in field.get_all_transitions(model):
        if transition.source in ("*", "+") or transition.target is None:
            continue
        edges.append((order.index(transition.source), order.index(transition.target),
                      transition.source, transition.target, transition.name))
    for *_, source, target, name in sorted(edges):
        lines.append(f"    {source} --> {target}: {name}")
    return "\n".join(lines)


def diagram_block(label: str) -> str:
    return f"```mermaid\n{fsm_mermaid(label)}\n```"


def marker(label: str) -> str:
    return label.split(".")[-1].lower()


class Command(BaseCommand):
    help = "Print (or write into a Markdown file) the Mermaid diagram of a model's state machine."

    def add_arguments(self, parser):
        parser.add_argument("model", help="app_label.Model, e.g. payments.Deposit")
        parser.add_argument("--write", help="Markdown file whose diagram block to replace")

    def handle(self, *args, **options):
        label = options["model"]
        block = diagram_block(label)
        if not options["write"]:
            self.stdout.write(block)
            return
        path = Path(options["write"])
        name = marker(label)
        text = path.read_text()
        pattern = re.compile(rf"(<!-- {name}-diagram:start -->\n).*?(\n<!-- {name}-diagram:end -->)", re.S)
        if not pattern.search(text):
            raise CommandError(f"no <!-- {name}-diagram:start/end --> block in {path}")
        path.write_text(pattern.sub(lambda m: m.group(1) + block + m.group(2), text))
        self.stdout.write(f"wrote the {label} diagram into {path}")
