"""What the editor's routes share: the permission, the layer path, the version an edit was made
on, and how an edit is answered."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

from fastapi import Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import permitted
from gis.access import Access
from gis.accounts import Permission
from gis.editing import EditResult

EditorAccess = Annotated[Access, Depends(permitted(Permission.EDIT_LAYERS))]
LayerCode = Annotated[
    str, Path(max_length=64, description="unified or a scenario's layer", examples=["unified"])
]
Version = Annotated[
    int | None,
    Field(
        ge=1,
        le=2**31 - 1,
        description="the layer version the edit was made on (GET /layers/{layer})",
    ),
]


class VersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Version = None


def answer(result: EditResult) -> Response:
    """An edit's answer; a preview's outlines (``preview``, GeoJSON text made by PostGIS) are
    spliced in as they are, the way :func:`gis.geojson.collection` composes its documents."""
    members = asdict(result)
    preview = members.pop("preview", None)
    body = json.dumps(members, ensure_ascii=False)
    if preview:
        body = f'{body[:-1]}, "preview": {preview}}}'
    return Response(body, media_type="application/json")
