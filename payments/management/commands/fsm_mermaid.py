"""Emit a Mermaid ``stateDiagram-v2`` of a model's django-fsm field, from the code's transitions.

    python manage.py fsm_mermaid payments.Withdrawal [--field state] [--output docs/x.mmd]
    python manage.py fsm_mermaid payments.Withdrawal payments.Refund payments.Deposit
    python manage.py fsm_mermaid payments.Deposit payments.Withdrawal payments.Refund --write docs/payments.md

With --write, each model's diagram replaces the block between `<!-- <model>-diagram:start -->` and
`<!-- <model>-diagram:end -->` in the Markdown file, so the committed docs cannot drift from the
code (tests/payments/test_docs.py checks it).

Generic: any model with an FSMField. The initial state is the field's default; states with no way
out are marked final. Each arrow is labelled with the transition method(s) that take it. Used for
docs/payments.md (graphviz, which django-fsm's own graph_transitions needs, is not installed).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError


def _value(state) -> str:
    return str(getattr(state, "value", state))


def _node(state: str) -> str:
    return state.replace("-", "_").replace(" ", "_")


def mermaid_for(model, field_name: str = "state") -> str:
    field = model._meta.get_field(field_name)
    states = [_value(value) for value, _label in (field.choices or [])]
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for transition in field.get_all_transitions(model):
        target = transition.target
        if target is None or not isinstance(_value(target), str) or _value(target) not in states:
            continue  # no state change, or a dynamic target we cannot draw
        sources = states if transition.source in ("*", "+") else [_value(transition.source)]
        for source in sources:
            if transition.source == "+" and source == _value(target):
                continue
            label = transition.name
            if label not in edges[(source, _value(target))]:
                edges[(source, _value(target))].append(label)
    lines = ["stateDiagram-v2"]
    default = field.get_default()
    if default:
        lines.append(f"    [*] --> {_node(_value(default))}")
    for (source, target), labels in sorted(edges.items(), key=lambda item: (states.index(item[0][0]),
                                                                           states.index(item[0][1]))):
        lines.append(f"    {_node(source)} --> {_node(target)}: {', '.join(labels)}")
    exits = {source for source, target in edges if source != target}
    for state in states:
        if state not in exits:
            lines.append(f"    {_node(state)} --> [*]")
    return "\n".join(lines) + "\n"


def diagram_block(label: str, field_name: str = "state") -> str:
    return f"```mermaid\n{mermaid_for(apps.get_model(label), field_name)}```"


def marker(label: str) -> str:
    return label.split(".")[-1].lower()


def write_block(path: Path, label: str, field_name: str = "state") -> None:
    name = marker(label)
    text = path.read_text()
    pattern = re.compile(rf"(<!-- {name}-diagram:start -->\n).*?(\n<!-- {name}-diagram:end -->)", re.S)
    if not pattern.search(text):
        raise CommandError(f"no <!-- {name}-diagram:start/end --> block in {path}")
    path.write_text(pattern.sub(lambda m: m.group(1) + diagram_block(label, field_name) + m.group(2), text))


class Command(BaseCommand):
    help = "Print a Mermaid stateDiagram-v2 of one or more models' FSM fields (app_label.Model)."

    def add_arguments(self, parser):
        parser.add_argument("models", nargs="+", help="app_label.Model")
        parser.add_argument("--field", default="state")
        parser.add_argument("--output", help="write to this file instead of stdout")
        parser.add_argument("--write", help="replace each model's diagram block in this Markdown file")

    def handle(self, *args, models, field, output=None, write=None, **options):
        if write:
            for label in models:
                write_block(Path(write), label, field)
                self.stdout.write(f"wrote the {label} diagram into {write}")
            return
        chunks = []
        for label in models:
            try:
                model = apps.get_model(label)
            except (LookupError, ValueError) as exc:
                raise CommandError(f"unknown model {label!r}: {exc}")
            chunks.append(mermaid_for(model, field))
        text = "\n".join(chunks)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="")
