"""The one error of the OGC layer: a query parameter the standard answers with 400."""

from __future__ import annotations

from gis.errors import Invalid


class BadQuery(Invalid):
    """A bad ``bbox``, ``limit``, ``crs``, ``datetime`` or ``filter``: OGC API — Features answers
    these with 400 Bad Request (not 422), naming the parameter."""

    status = 400
    title = "请求有误 Bad request"
