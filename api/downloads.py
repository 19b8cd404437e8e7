"""A file for download as an HTTP answer: the file, and what it holds in headers."""

from __future__ import annotations

from fastapi import Response

from gis.personal import ExportFile


def download(file: ExportFile) -> Response:
    """The headers say which fields the file holds, which are personal data, and whether those
    are in full or masked, so a script can tell without opening it."""
    return Response(
        file.data,
        media_type=file.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "X-Gridmap-Fields": ",".join(file.fields),
            "X-Gridmap-Personal-Fields": ",".join(file.personal_fields),
            "X-Gridmap-Personal-Data": file.personal_data,
        },
    )
