"""Personal data (names and phone numbers of residents and party members): masked by default.

Shown in full only to users with :attr:`~gis.accounts.Permission.VIEW_PERSONAL_DATA` (within their
scope); everyone else gets the masked form the way Chinese government systems print it
(138****1234, 张*丰). Masking happens in gis/, so every API answer and export goes through it;
these values are never written to logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The fields that hold personal data, named in exports so the reader knows what they carry.
PERSONAL_FIELDS = frozenset({"name", "phone", "reporter_name", "reporter_phone"})


def mask_phone(phone: str | None) -> str | None:
    """138****1234 for an 11-digit mobile; other numbers keep their first 3 and last 2 digits."""
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 5:
        return f"{digits[:3]}{'*' * (len(digits) - 5)}{digits[-2:]}"
    return "*" * len(digits)


def mask_name(name: str | None) -> str | None:
    """Surname and last character stay (张*丰); a two-character name keeps its surname (张*)."""
    if not name:
        return name
    if len(name) <= 2:
        return name[0] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass
class ExportFile:
    """A file for download that says which fields it holds, which of them are personal data,
    and whether those are in full or masked (sent along as headers by the API)."""

    data: bytes
    media_type: str
    filename: str
    fields: list[str] = field(default_factory=list)
    personal_fields: list[str] = field(default_factory=list)
    personal_data: str = "masked"  # 'full' | 'masked'
    rows: int = 0
