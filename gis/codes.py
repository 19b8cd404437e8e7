"""The shapes of Gridmap's codes, checked in one place.

Codes travel into SQL parameters, URLs, log lines and — for exports — file names. A code that is
not of its shape (``../../etc``, a newline, a formula) is refused where it enters, with a message
that says what the shape is; file names are built from checked parts only (:func:`file_part`).

=========== ============================================ ===========================
kind        shape                                        example
=========== ============================================ ===========================
district    6 digits (行政区划代码)                        361002
street      9 digits                                     361002001
community   12 digits                                    361002001001
grid        1–15 letters, digits, ``_`` or ``-``         361002001001001
unit        1–24 letters, digits, ``_`` or ``-``         361002001001U001
layer       a letter, then up to 63 letters, digits,     unified, chengguan,
            ``_`` or ``-``                               scenario-12
area        4, 6, 9 or 12 digits (a city … community)    361002
=========== ============================================ ===========================
"""

from __future__ import annotations

import re
from typing import Literal

from gis.errors import Invalid

CodeKind = Literal["district", "street", "community", "grid", "unit", "layer", "area"]

PATTERNS: dict[str, str] = {
    "district": r"\d{6}",
    "street": r"\d{9}",
    "community": r"\d{12}",
    "grid": r"[0-9A-Za-z][0-9A-Za-z_\-]{0,14}",
    "unit": r"[0-9A-Za-z][0-9A-Za-z_\-]{0,23}",
    "layer": r"[A-Za-z][0-9A-Za-z_\-]{0,63}",
    "area": r"\d{4}|\d{6}(?:\d{3}){0,2}",
}
SHAPES: dict[str, str] = {
    "district": "6 digits, e.g. 361002",
    "street": "9 digits, e.g. 361002001",
    "community": "12 digits, e.g. 361002001001",
    "grid": "1–15 letters, digits, _ or -, e.g. 361002001001001",
    "unit": "1–24 letters, digits, _ or -",
    "layer": "a letter, then up to 63 letters, digits, _ or -, e.g. chengguan",
    "area": "4, 6, 9 or 12 digits (city, district, street or community)",
}
LABELS: dict[str, str] = {
    "district": "区县编码 district code",
    "street": "街道编码 street code",
    "community": "社区编码 community code",
    "grid": "网格编码 grid code",
    "unit": "单元编码 unit code",
    "layer": "图层编码 layer code",
    "area": "区域编码 area code",
}
_COMPILED = {kind: re.compile(f"(?:{p})") for kind, p in PATTERNS.items()}


def is_code(kind: CodeKind, value: object) -> bool:
    """Whether ``value`` is a string of the shape of a ``kind`` code."""
    return isinstance(value, str) and _COMPILED[kind].fullmatch(value) is not None


def checked(kind: CodeKind, value: object, *, field: str | None = None) -> str:
    """``value`` if it is a ``kind`` code, else :class:`~gis.errors.Invalid` naming the shape."""
    if is_code(kind, value):
        return str(value)
    name = field or kind
    raise Invalid(
        f"{LABELS[kind]} 格式不对 {value!r}: a {kind} code is {SHAPES[kind]}",
        field=name,
        code=str(value)[:80],
    )


_UNSAFE = re.compile(r"[^0-9A-Za-z_\-]+")


def file_part(value: str) -> str:
    """``value`` made safe as part of a file name: letters, digits, ``_`` and ``-`` only."""
    return _UNSAFE.sub("_", value).strip("_-")[:64] or "export"
