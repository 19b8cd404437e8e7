"""The one page a logged-in user gets where they may not go: why, Chinese first, under the
header (with the pages they may open, so they go on rather than back). The page dependency of
api/page_auth.py answers with it for a role without the page's permission; the field page for
a grid that is not the user's (403) or not there (404)."""

from __future__ import annotations

from maps.assets import HEADER_CSS
from maps.edit_page import EDIT_CSS
from maps.nav import PageViewer
from maps.shell import render


def refusal_page_html(
    viewer: PageViewer,
    *,
    heading: str,
    heading_en: str,
    message: str,
    message_en: str = "",
    testid: str = "refusal",
    base: str = "",
) -> str:
    """``base`` leads from the refused page's folder back to the app's root (``"../"``)."""
    return render(
        "forbidden.html",
        title=f"{heading} {heading_en} · Gridmap",
        viewer=viewer,
        css=[HEADER_CSS, EDIT_CSS],  # edit.css: the card the editor's refusal always had
        body_class="ge-forbidden",
        heading=heading,
        heading_en=heading_en,
        message=message,
        message_en=message_en,
        testid=testid,
        base=base,
    )
