"""Hook priorities (MMEngine's `mmengine.runner.Priority` / `get_priority`; same levels as MMCV 1.x's
`mmcv.runner.Priority`). Lower value runs first; hooks of equal priority keep registration order."""
from __future__ import annotations

from enum import Enum
from typing import Union


class Priority(Enum):
    HIGHEST = 0
    VERY_HIGH = 10
    HIGH = 30
    ABOVE_NORMAL = 40
    NORMAL = 50
    BELOW_NORMAL = 60
    LOW = 70
    VERY_LOW = 90
    LOWEST = 100


def get_priority(priority: Union[int, str, Priority]) -> int:
    """An int in [0, 100] from an int, a Priority member or its (case-insensitive) name."""
    if isinstance(priority, bool):
        raise TypeError("priority must be an int, a str or a Priority")
    if isinstance(priority, int):
        if not 0 <= priority <= 100:
            raise ValueError("priority must be between 0 and 100")
        return priority
    if isinstance(priority, Priority):
        return priority.value
    if isinstance(priority, str):
        try:
            return Priority[priority.upper()].value
        except KeyError:
            raise ValueError(f"unknown priority {priority!r}; expected one of "
                             f"{[p.name for p in Priority]}") from None
    raise TypeError("priority must be an int, a str or a Priority")
