"""When interpreters answer, and the desk's other options."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timezone
from typing import Optional, Tuple
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Hours:
    """Opening hours such as 'mon-fri 09:00-17:00, sat 10:00-12:00' in a time zone; empty text = always."""

    text: str = ""
    zone: str = "Europe/Brussels"
    slots: Tuple[Tuple[int, time, time], ...] = ()

    @classmethod
    def parse(cls, text: str, zone: str = "Europe/Brussels") -> "Hours":
        slots = []
        for part in filter(None, (p.strip() for p in re.split(r"[;,]", text or ""))):
            match = re.fullmatch(r"([a-z]{3})(?:-([a-z]{3}))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", part.lower())
            if not match or match.group(1) not in DAYS or (match.group(2) or match.group(1)) not in DAYS:
                raise ValueError(f"cannot read the hours {part!r}: write e.g. 'mon-fri 09:00-17:00, sat 10:00-12:00'")
            first, last = DAYS.index(match.group(1)), DAYS.index(match.group(2) or match.group(1))
            start, end = time(int(match.group(3)), int(match.group(4))), time(int(match.group(5)), int(match.group(6)))
            for day in range(first, last + 1):
                slots.append((day, start, end))
        ZoneInfo(zone)  # fails early on an unknown zone
        return cls(text.strip(), zone, tuple(slots))

    def open_at(self, moment: Optional[datetime] = None) -> bool:
        if not self.slots:
            return True
        local = (moment or datetime.now(timezone.utc)).astimezone(ZoneInfo(self.zone))
        return any(day == local.weekday() and start <= local.time() < end for day, start, end in self.slots)


@dataclass(frozen=True)
class DeskOptions:
    timeout_minutes: float = 15.0  # nobody took the request: tell the person after this long
    hours: Hours = Hours()
    retention_hours: float = 24.0  # relayed content and requests waiting longer than this are deleted
    note_retention_days: float = 30.0
