"""hotlint's own records: positions, layouts, findings and results.

Nothing here knows about libclang. The clang boundary (``hotlint.clang``) fills
these in; rules, outputs, the language server and the cache only read them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(frozen=True, order=True)
class Position:
    """A 1-based line and a 1-based column counted in bytes of UTF-8 (as clang does)."""

    line: int
    column: int


@dataclass(frozen=True, order=True)
class Range:
    """A source range; ``end`` is exclusive (the column just past the last byte)."""

    start: Position
    end: Position

    @classmethod
    def of(cls, line: int, col: int, end_line: int, end_col: int) -> "Range":
        return cls(Position(line, col), Position(end_line, end_col))

    def contains(self, other: "Range") -> bool:
        return self.start <= other.start and other.end <= self.end

    def to_json(self) -> dict:
        return {
            "line": self.start.line,
            "column": self.start.column,
            "end_line": self.end.line,
            "end_column": self.end.column,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Range":
        return cls.of(data["line"], data["column"], data["end_line"], data["end_column"])


class Severity(str, enum.Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    def shifted(self, steps: int) -> "Severity":
        index = max(0, min(len(_SEVERITY_ORDER) - 1, self.rank + steps))
        return _SEVERITY_ORDER[index]


_SEVERITY_ORDER = [Severity.INFO, Severity.WARNING, Severity.ERROR]


class Applicability(str, enum.Enum):
    """How far a fix may be trusted (ruff's model)."""

    SAFE = "safe"  # applied by --fix
    UNSAFE = "unsafe"  # applied by --fix --unsafe-fixes
    DISPLAY_ONLY = "display-only"  # shown, never applied


@dataclass(frozen=True)
class Edit:
    range: Range
    new_text: str

    def to_json(self) -> dict:
        return {**self.range.to_json(), "new_text": self.new_text}

    @classmethod
    def from_json(cls, data: dict) -> "Edit":
        return cls(Range.from_json(data), data["new_text"])


@dataclass(frozen=True)
class Fix:
    description: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.UNSAFE

    def to_json(self) -> dict:
        return {
            "description": self.description,
            "applicability": self.applicability.value,
            "edits": [e.to_json() for e in self.edits],
        }

    @classmethod
    def from_json(cls, data: dict) -> "Fix":
        return cls(
            data["description"],
            tuple(Edit.from_json(e) for e in data["edits"]),
            Applicability(data["applicability"]),
        )


@dataclass(frozen=True)
class Where:
    """The code a finding sits in, as a profile names it: the enclosing function (the outermost
    named one: a lambda's is the function it is written in) with its lines, the lambda's lines when
    the finding is in one, and the innermost loop of that body with its lines. ``hotness`` is the
    engine's static score there (loop depth, +2 in a hot function, -2 in a cold one), from which
    the rule's severity before its loop-depth shift can be told."""

    function: str  # name as written
    qualified_name: str
    function_lines: tuple[int, int]
    loop_lines: Optional[tuple[int, int]] = None
    loop_depth: int = 0
    lambda_lines: Optional[tuple[int, int]] = None
    hotness: int = 0

    def to_json(self) -> dict:
        out: dict[str, Any] = {"function": {"name": self.function, "qualified_name": self.qualified_name,
                                            "line": self.function_lines[0], "end_line": self.function_lines[1]}}
        if self.lambda_lines is not None:
            out["lambda"] = {"line": self.lambda_lines[0], "end_line": self.lambda_lines[1]}
        if self.loop_lines is not None:
            out["loop"] = {"line": self.loop_lines[0], "end_line": self.loop_lines[1], "depth": self.loop_depth}
        out["hotness"] = self.hotness
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Where":
        fn, loop, lam = data["function"], data.get("loop"), data.get("lambda")
        return cls(fn["name"], fn["qualified_name"], (fn["line"], fn["end_line"]),
                   (loop["line"], loop["end_line"]) if loop else None, loop["depth"] if loop else 0,
                   (lam["line"], lam["end_line"]) if lam else None, data.get("hotness", 0))


@dataclass(frozen=True)
class Measurement:
    """What a profile says about one finding (``hotlint.rank``): how hot its code ran.

    ``scope`` is what ``share`` measures (``loop``, ``lambda`` or ``function``: the innermost the
    profile has figures for); ``operation_share`` is the flagged line's own part (``operation``:
    ``allocation`` for the allocator calls made from it, ``line`` for the line and its calls).
    ``hotness`` is ``hot`` (at least ``threshold``), ``warm``, ``cold`` (negligible) or
    ``unmeasured`` (the profile has nothing on this code)."""

    profile: str
    format: str
    unit: str
    hotness: str
    threshold: float
    scope: Optional[str] = None
    share: Optional[float] = None
    function_share: Optional[float] = None
    operation: Optional[str] = None
    operation_share: Optional[float] = None

    def to_json(self) -> dict:
        out: dict[str, Any] = {"file": self.profile, "format": self.format, "unit": self.unit,
                               "hotness": self.hotness, "threshold": self.threshold}
        for key in ("scope", "share", "function_share", "operation", "operation_share"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Measurement":
        return cls(data["file"], data["format"], data["unit"], data["hotness"], data["threshold"],
                   data.get("scope"), data.get("share"), data.get("function_share"), data.get("operation"),
                   data.get("operation_share"))


@dataclass
class Diagnostic:
    """One finding of one rule in one file."""

    path: str
    range: Range
    rule: str
    severity: Severity
    message: str
    fix: Optional[Fix] = None
    evidence: Optional[str] = None
    notes: tuple[str, ...] = ()
    where: Optional[Where] = None  # the enclosing function and loop (None outside any function)
    measured: Optional[Measurement] = None  # set by hotlint.rank when a profile is given
    # groups of (member, field keys) whose writers hotlint.rank asks the project's thread roles about
    subjects: tuple = ()
    case: Optional[str] = None  # the evidence's sub-case (``rule.Finding.case``)

    def sort_key(self):
        return (self.path, self.range.start.line, self.range.start.column, self.rule, self.message)

    def to_json(self) -> dict:
        out: dict[str, Any] = {"path": self.path, **self.range.to_json()}
        out.update(rule=self.rule, severity=self.severity.value, message=self.message)
        if self.fix is not None:
            out["fix"] = self.fix.to_json()
        if self.evidence:
            out["evidence"] = self.evidence
        if self.case:
            out["evidence_case"] = self.case
        if self.notes:
            out["notes"] = list(self.notes)
        if self.where is not None:
            out["where"] = self.where.to_json()
        if self.measured is not None:
            out["profile"] = self.measured.to_json()
        if self.subjects:
            out["subjects"] = [[[m, list(keys)] for m, keys in g] for g in self.subjects]
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Diagnostic":
        return cls(
            path=data["path"],
            range=Range.from_json(data),
            rule=data["rule"],
            severity=Severity(data["severity"]),
            message=data["message"],
            fix=Fix.from_json(data["fix"]) if data.get("fix") else None,
            evidence=data.get("evidence"),
            notes=tuple(data.get("notes", ())),
            where=Where.from_json(data["where"]) if data.get("where") else None,
            measured=Measurement.from_json(data["profile"]) if data.get("profile") else None,
            subjects=tuple(tuple((m, tuple(keys)) for m, keys in g) for g in data.get("subjects", ())),
            case=data.get("evidence_case"),
        )


@dataclass
class ErrorRecord:
    """A file, or part of one, that could not be analyzed: never silent."""

    path: str
    message: str
    line: Optional[int] = None
    column: Optional[int] = None
    hint: Optional[str] = None
    kind: str = "error"  # parse-error, missing-file, crash, timeout, config, ...

    def sort_key(self):
        return (self.path, self.line or 0, self.column or 0, self.message)

    def to_json(self) -> dict:
        out: dict[str, Any] = {"path": self.path, "message": self.message, "kind": self.kind}
        if self.line is not None:
            out["line"] = self.line
            out["column"] = self.column
        if self.hint:
            out["hint"] = self.hint
        return out

    @classmethod
    def from_json(cls, data: dict) -> "ErrorRecord":
        return cls(
            path=data["path"],
            message=data["message"],
            line=data.get("line"),
            column=data.get("column"),
            hint=data.get("hint"),
            kind=data.get("kind", "error"),
        )


@dataclass
class FileResult:
    """Everything the engine learned about one file."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # notes about flags, not findings
    dependencies: list[str] = field(default_factory=list)  # headers the parse read
    # the file's cold regions and call-graph fragment (analysis.hotness), for hotlint.rank
    hotness: Optional[dict] = None

    def to_json(self) -> dict:
        out = {
            "path": self.path,
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "errors": [e.to_json() for e in self.errors],
            "warnings": list(self.warnings),
            "dependencies": list(self.dependencies),
        }
        if self.hotness is not None:
            out["hotness"] = self.hotness
        return out

    @classmethod
    def from_json(cls, data: dict) -> "FileResult":
        return cls(
            path=data["path"],
            diagnostics=[Diagnostic.from_json(d) for d in data["diagnostics"]],
            errors=[ErrorRecord.from_json(e) for e in data["errors"]],
            warnings=list(data.get("warnings", [])),
            dependencies=list(data.get("dependencies", [])),
            hotness=data["hotness"] if isinstance(data.get("hotness"), dict) else None,
        )


# --------------------------------------------------------------------------- layouts


@dataclass(frozen=True)
class FieldLayout:
    name: str
    type_name: str
    offset: int  # bytes
    size: int  # bytes
    align: int  # bytes
    range: Range
    is_atomic: bool = False
    explicit_align: Optional[int] = None  # from alignas / __attribute__((aligned))
    is_bitfield: bool = False
    bit_offset: int = 0
    bit_width: int = 0
    is_padding_array: bool = False  # char pad[N] / unsigned char padding_[N] style member
    is_base: bool = False  # a base-class subobject

    @property
    def end(self) -> int:
        return self.offset + self.size

    def cache_lines(self, line_size: int) -> range:
        last = self.offset + max(self.size, 1) - 1
        return range(self.offset // line_size, last // line_size + 1)


@dataclass(frozen=True)
class RecordLayout:
    name: str  # as written, with template arguments for instantiations
    kind: str  # struct, class, union
    size: int
    align: int
    fields: tuple[FieldLayout, ...]
    range: Range
    name_range: Range
    explicit_align: Optional[int] = None
    packed: bool = False
    is_template_instantiation: bool = False
    is_union: bool = False
    has_vtable: bool = False

    def cache_lines(self, line_size: int) -> int:
        return max(1, -(-self.size // line_size))

    def padding_holes(self) -> list[tuple[int, int]]:
        """(offset, bytes) of every gap between fields and of the tail padding."""
        holes = []
        cursor = 0
        for f in sorted((f for f in self.fields if not f.is_bitfield), key=lambda f: f.offset):
            if f.offset > cursor:
                holes.append((cursor, f.offset - cursor))
            cursor = max(cursor, f.end)
        if self.size > cursor and not self.is_union:
            holes.append((cursor, self.size - cursor))
        return holes
