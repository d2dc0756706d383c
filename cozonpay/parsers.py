"""JSON parsing that refuses a body nested too deeply the way it refuses any unreadable body.

Python's json module raises RecursionError, not ValueError, past its nesting limit: 40 KB of `[`
was enough to turn an API request into a 500, where any other unreadable body is a 400."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


def json_loads(text: str | bytes, **kwargs: Any) -> Any:
    """`json.loads`, raising ValueError (json.JSONDecodeError's base) for a body nested too deeply."""
    try:
        return json.loads(text, **kwargs)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (the API's only one), with a body nested too deeply refused as not valid JSON."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
