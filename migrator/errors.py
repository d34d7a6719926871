"""Errors raised by the compiler. Every error names the file, the line and the field."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Location:
    """Where a value was written: a file and a 1-based line (None when unknown)."""
    file: Optional[str]
    line: Optional[int] = None

    def __str__(self) -> str:
        if self.file is None:
            return "<unknown>"
        return f"{self.file}:{self.line}" if self.line else str(self.file)


class MigrateError(Exception):
    """A config the compiler cannot handle. `migrate` exits with code 2 on it.

    str(err) reads `path/to/file.py:12: lr_config.policy: unknown lr policy 'Foo'`.
    """

    def __init__(self, message: str, file: Optional[str] = None,
                 line: Optional[int] = None, field: Optional[str] = None):
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else str(self.file))
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)
