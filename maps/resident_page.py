"""The residents' page at ``/needs/ask`` (群众点单): a plain HTML form, no log-in and no script —
what they need, their name and phone, their community (and building, if they know its code).
After posting, the same card says the need's code, or what was wrong."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gis.labels import NEED_KINDS
from maps.assets import LOGIN_CSS
from maps.shell import render

TITLE = "我要点单 Ask for help · Gridmap 网格地图"
FIELDS = ("community", "kind", "title", "description", "building", "name", "phone")


def resident_page_html(
    communities: Sequence[Any],
    *,
    values: Mapping[str, str] | None = None,
    error: str | None = None,
    receipt: Any = None,
) -> str:
    """The form (``values`` fill it again after an error), or the receipt of a posted need."""
    kinds = {k: v for k, v in NEED_KINDS.items() if k != "other"} | {"other": NEED_KINDS["other"]}
    return render(
        "resident.html",
        title=TITLE,
        css=[LOGIN_CSS],
        body_class="gm-login-page",
        communities=communities,
        kinds=kinds,
        values=dict.fromkeys(FIELDS, "") | dict(values or {}),
        error=error,
        receipt=receipt,
    )
