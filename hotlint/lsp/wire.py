"""What crosses the boundary between the server and its parsing worker, as JSON.

The worker measures layouts with libclang; the server only reads them, so they
travel as JSON and come back as ``model.RecordLayout``. Engine options go the
other way.
"""

from __future__ import annotations

from dataclasses import asdict

from ..engine import EngineOptions
from ..model import FieldLayout, Range, RecordLayout
from ..view import Settings


def layout_to_json(layout: RecordLayout) -> dict:
    return asdict(layout)


def _range(data: dict) -> Range:
    return Range.of(data["start"]["line"], data["start"]["column"], data["end"]["line"], data["end"]["column"])


def layout_from_json(data: dict) -> RecordLayout:
    fields = tuple(FieldLayout(**{**f, "range": _range(f["range"])}) for f in data["fields"])
    return RecordLayout(**{**data, "fields": fields, "range": _range(data["range"]),
                           "name_range": _range(data["name_range"])})


def options_to_json(options: EngineOptions) -> dict:
    return {"rules": list(options.rules), "settings": asdict(options.settings),
            "rule_paths": list(options.rule_paths)}


def options_from_json(data: dict) -> EngineOptions:
    s = data["settings"]
    settings = Settings(cache_line_size=s["cache_line_size"], hot_functions=tuple(s["hot_functions"]),
                        cold_functions=tuple(s["cold_functions"]), thread_pool=tuple(s.get("thread_pool", ())),
                        rule_options=s["rule_options"])
    return EngineOptions(rules=tuple(data["rules"]), settings=settings, rule_paths=tuple(data["rule_paths"]))
