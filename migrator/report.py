"""The shared report: which rules ran, what was approximated, what could not be converted.

Rules never drop a field silently. They call
  report.applied(rule)                      a rule changed something
  report.warn(field, msg, original, anchor) converted to the closest MMEngine config; keep a note
                                            (`approx=`: the approximation as data, with its bound)
  report.todo(field, msg, original, anchor) not converted; the emitter leaves `# TODO(migrate): ...`
`field` is a dotted path in the *old* config (`log_config.hooks[1]`); `anchor` is the top-level key
of the *new* config above which the emitter writes the comment (None: end of file); `original` is
the old value, rendered as commented-out code next to the note.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any, List, Optional

from .errors import Location

MISSING: Any = object()


@dataclass
class Finding:
    kind: str                      # 'warning' | 'todo'
    field: str
    message: str
    original: Any = MISSING
    anchor: Optional[str] = None
    location: Optional[Location] = None
    approx: Optional[dict] = None  # an approximation's record (rules/schedule_approx.py)

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "field": self.field, "message": self.message}
        if self.location is not None:
            d["file"], d["line"] = self.location.file, self.location.line
        if self.original is not MISSING:
            d["original"] = repr(self.original)
        if self.approx is not None:
            d["approximation"] = self.approx
        return d


@dataclass
class Report:
    path: str
    rules: List[str] = dc_field(default_factory=list)
    findings: List[Finding] = dc_field(default_factory=list)
    changed: bool = False
    codebase: Optional[str] = None          # the profile decision for this file (per file)
    codebase_note: Optional[str] = None     # set when no profile applied to a codebase file

    def applied(self, rule: str) -> None:
        if rule not in self.rules:
            self.rules.append(rule)

    def warn(self, field: str, message: str, original: Any = MISSING,
             anchor: Optional[str] = None, location: Optional[Location] = None,
             approx: Optional[dict] = None) -> None:
        self.findings.append(Finding("warning", field, message, original, anchor, location,
                                     approx))

    def todo(self, field: str, message: str, original: Any = MISSING,
             anchor: Optional[str] = None, location: Optional[Location] = None) -> None:
        self.findings.append(Finding("todo", field, message, original, anchor, location))

    @property
    def warnings(self) -> List[Finding]:
        return [f for f in self.findings if f.kind == "warning"]

    @property
    def todos(self) -> List[Finding]:
        return [f for f in self.findings if f.kind == "todo"]

    @property
    def approximations(self) -> List[dict]:
        """The records of every approximation made (rules/schedule_approx.py)."""
        return [f.approx for f in self.findings if f.approx is not None]

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "changed": self.changed,
            "codebase": self.codebase,
            **({"codebase_note": self.codebase_note} if self.codebase_note else {}),
            "rules_applied": list(self.rules),
            "warnings": [f.to_dict() for f in self.warnings],
            "not_converted": [f.to_dict() for f in self.todos],
            **({"approximations": self.approximations} if self.approximations else {}),
        }
