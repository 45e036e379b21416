"""``--format json``: ``{"version": 1, "diagnostics": [...], "errors": [...]}`` (SPEC.md)."""

from __future__ import annotations

import json

from . import Report, display_path


def render(report: Report) -> str:
    diags = []
    for d in report.diagnostics:
        item = d.to_json()
        item["path"] = display_path(d.path)
        item.pop("subjects", None)  # field keys for hotlint.rank, not part of the output
        if "profile" in item:
            item["profile"]["file"] = display_path(item["profile"]["file"])
        diags.append(item)
    errors = []
    for e in report.errors:
        item = e.to_json()
        item["path"] = display_path(e.path)
        errors.append(item)
    return json.dumps({"version": 1, "diagnostics": diags, "errors": errors}, indent=2)
