"""``--format sarif``: SARIF 2.1.0 as GitHub code scanning accepts it."""

from __future__ import annotations

import json
import os
from urllib.parse import quote

from .. import __version__
from ..positions import byte_to_char_column
from ..baseline import FINGERPRINT_KEY, fingerprints, flagged_lines
from . import Report, display_path, read_lines

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# A built-in rule's documentation on the web (README, "Output formats"): its module, whose docstring
# is what `hotlint rule NAME` prints, at REPOSITORY_URL/blob/main/rules/<module>/__init__.py.
REPOSITORY_URL = "https://github.com/hotlint/hotlint"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _uri(path: str, root: str) -> tuple[str, bool]:
    # percent-encoded from the file name's bytes: a name that is not UTF-8 still has a URI
    rel = os.path.relpath(path, root)
    if rel.startswith(".."):
        return "file://" + quote(os.fsencode(os.path.abspath(path).replace(os.sep, "/"))), False
    return quote(os.fsencode(rel.replace(os.sep, "/"))), True


def _region(path: str, r) -> dict:
    lines = read_lines(path)

    def col(line: int, c: int) -> int:
        return byte_to_char_column(lines[line - 1], c) if 0 < line <= len(lines) else c

    return {
        "startLine": r.start.line,
        "startColumn": col(r.start.line, r.start.column),
        "endLine": r.end.line,
        "endColumn": col(r.end.line, r.end.column),
    }


def _location(path: str, root: str, region: dict | None = None) -> dict:
    uri, relative = _uri(path, root)
    artifact = {"uri": uri}
    if relative:
        artifact["uriBaseId"] = "%SRCROOT%"
    loc = {"physicalLocation": {"artifactLocation": artifact}}
    if region:
        loc["physicalLocation"]["region"] = region
    return loc


def help_uri(cls) -> str | None:
    """Where the rule's documentation is read: the rule's own ``help_uri`` when it has one (a
    rule pack's), the built-in rule's module in the repository, else nothing."""
    explicit = getattr(cls, "help_uri", None)
    if isinstance(explicit, str) and explicit:
        return explicit
    parts = cls.__module__.split(".")
    if len(parts) >= 3 and parts[:2] == ["hotlint", "rules"]:
        return f"{REPOSITORY_URL}/blob/main/rules/{parts[2]}/__init__.py"
    return None


def render(report: Report, rules: dict, root: str | None = None) -> str:
    """``rules`` maps rule names to rule classes (for the driver's rule metadata)."""
    root = os.path.abspath(root or os.getcwd())
    names = sorted(rules)
    index = {n: i for i, n in enumerate(names)}
    driver_rules = []
    for n in names:
        cls = rules[n]
        doc = cls.documentation()
        entry = {
            "id": n,
            "name": "".join(p.capitalize() for p in n.split("-")),
            "shortDescription": {"text": cls.summary},
            "fullDescription": {"text": cls.summary},
            "help": {"text": doc, "markdown": doc},
            "defaultConfiguration": {"level": _LEVEL[cls.severity.value]},
            "properties": {"tags": ["performance"]},
        }
        uri = help_uri(cls)
        if uri:
            entry["helpUri"] = uri
        driver_rules.append(entry)
    results = []
    computed = fingerprints(report.diagnostics) if not report.fingerprints else None
    for i, d in enumerate(report.diagnostics):
        region = _region(d.path, d.range)
        snippet = flagged_lines(d)
        if snippet:  # the flagged source lines, as code scanning shows them
            region["snippet"] = {"text": "\n".join(snippet)}
        fingerprint = computed[i] if computed is not None else report.fingerprints.get(id(d))
        res = {
            "ruleId": d.rule,
            "level": _LEVEL[d.severity.value],
            "message": {"text": d.message + (f" Evidence: {d.evidence}." if d.evidence else "")},
            "locations": [_location(d.path, root, region)],
        }
        if fingerprint:  # the same as a baseline's (hotlint.baseline): survives lines moving
            res["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint}
        if d.rule in index:
            res["ruleIndex"] = index[d.rule]
        if d.measured is not None:  # ranked by a profile (hotlint.rank)
            res["properties"] = {"hotlint/profile": {**d.measured.to_json(), "file": display_path(d.measured.profile)}}
            if d.measured.share is not None:
                res["rank"] = round(min(100.0, d.measured.share * 100), 3)
        if d.fix is not None and d.fix.applicability.value != "display-only":
            uri_loc = _location(d.path, root)["physicalLocation"]["artifactLocation"]
            res["fixes"] = [{
                "description": {"text": d.fix.description},
                "artifactChanges": [{
                    "artifactLocation": uri_loc,
                    "replacements": [{
                        "deletedRegion": _region(d.path, e.range),
                        "insertedContent": {"text": e.new_text},
                    } for e in d.fix.edits],
                }],
            }]
        results.append(res)
    notifications = []
    for e in report.errors:
        region = {"startLine": e.line, "startColumn": e.column} if e.line else None
        notifications.append({
            "level": "error",
            "message": {"text": e.message + (f" ({e.hint})" if e.hint else "")},
            "locations": [_location(e.path, root, region)],
            "descriptor": {"id": e.kind},
        })
    run = {
        "tool": {"driver": {
            "name": "hotlint",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": "https://pypi.org/project/hotlint/",
            "rules": driver_rules,
        }},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": "file://" + quote(root.replace(os.sep, "/")) + "/"}},
        "columnKind": "unicodeCodePoints",
        "invocations": [{
            "executionSuccessful": not report.errors,
            "toolExecutionNotifications": notifications,
        }],
        "results": results,
    }
    return json.dumps({"version": "2.1.0", "$schema": SCHEMA, "runs": [run]}, indent=2)
