"""A file for download as an HTTP answer: the file, and what it holds in headers."""

from __future__ import annotations

import re

from fastapi import Response

from gis.personal import ExportFile

_UNSAFE = re.compile(r"[^0-9A-Za-z_.\-]+")


def download(file: ExportFile) -> Response:
    """The headers say which fields the file holds, which are personal data, and whether those
    are in full or masked, so a script can tell without opening it."""
    return Response(
        file.data,
        media_type=file.media_type,
        headers={
            # Built from checked parts already; no quote, slash or newline reaches the header.
            "Content-Disposition": f'attachment; filename="{_UNSAFE.sub("_", file.filename)}"',
            "X-Gridmap-Fields": ",".join(file.fields),
            "X-Gridmap-Personal-Fields": ",".join(file.personal_fields),
            "X-Gridmap-Personal-Data": file.personal_data,
        },
    )
