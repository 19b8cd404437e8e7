"""OGC API — Features at ``/ogc``: landing page, conformance, collections, items, queryables.

So that QGIS, ArcGIS and OWSLib connect to Gridmap directly. The routes parse the OGC query
parameters (400 problem+json naming a bad one, as the standard asks), call :mod:`gis.ogc`, and
shape JSON, GeoJSON or HTML (``f=html`` or a browser's ``Accept``) with the standard's links.
The landing page, conformance and the API document are open; everything with data needs a
log-in — a session, or HTTP Basic credentials (:mod:`api.basic_auth`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response

from api.auth import NowDep
from api.basic_auth import OgcAccess
from api.deps import ConnDep, SettingsDep
from api.geo import GEOJSON
from api.ogc_documents import (
    CONFORMANCE,
    HTML,
    JSON,
    SCHEMA_JSON,
    collection_doc,
    link,
    queryables_doc,
    self_links,
)
from api.ogc_openapi import OPENAPI_MEDIA, ogc_openapi
from api.page_auth import page_response
from gis.ogc import (
    SUPPORTED_CRS,
    BadQuery,
    Collection,
    ItemsQuery,
    collection_extent,
    compile_filter,
    get_collection,
    get_item,
    get_items,
    list_collections,
    parse_bbox,
    parse_crs,
    parse_datetime,
)
from gis.ogc.items import DEFAULT_LIMIT, MAX_LIMIT
from maps import ogc_page

router = APIRouter(prefix="/ogc", tags=["ogc"])
MAX_OFFSET = 2**31 - 1
#: Parameters of ``/items`` besides the collection's queryables (Part 3: queryables as parameters).
ITEM_PARAMS = frozenset(
    {"f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "filter", "filter-lang"}
    | {"filter-crs"}
)
CollectionId = Annotated[str, Path(max_length=80, examples=["grids-unified"])]
FeatureId = Annotated[str, Path(max_length=64, examples=["361002001001001"])]


# ----------------------------------------------------------------------------- helpers


def _root(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _app_root(request: Request) -> str:
    return str(request.base_url)


def _html(request: Request) -> bool:
    """HTML for ``f=html``, or a browser's Accept without ``f``; JSON otherwise."""
    f = request.query_params.get("f")
    if f is not None:
        if f not in ("json", "html", "geojson"):
            raise BadQuery(
                f"f 须为 json 或 html，而不是 {f!r} (f must be json or html, not {f!r})",
                parameter="f",
            )
        return f == "html"
    accept = request.headers.get("accept", "").lower()
    if HTML not in accept:
        return False
    # A browser asks for text/html first; a client that names JSON first gets JSON.
    return "json" not in accept or accept.index(HTML) < accept.index("json")


def _json(doc: dict[str, Any], media: str = JSON, **headers: str) -> Response:
    return JSONResponse(doc, media_type=media, headers=headers or None)


def _int(value: str | None, name: str, default: int, low: int, high: int | None) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise BadQuery(
            f"{name} 须为整数 ({name} must be an integer, not {value!r})", parameter=name
        ) from exc
    if number < low:
        raise BadQuery(
            f"{name} 须 ≥ {low}，而不是 {number} ({name} must be ≥ {low}, not {number})",
            parameter=name,
            value=number,
        )
    return min(number, high) if high is not None else number


# ----------------------------------------------------------------------------- routes


@router.get("", summary="OGC API landing page", response_class=Response)
@router.get("/", include_in_schema=False, response_class=Response)  # a base URL with its slash
def landing(request: Request, settings: SettingsDep) -> Response:
    root = _root(request)
    doc = {
        "title": "Gridmap OGC API — Features",
        "description": "网格化管理的网格、社区、基础单元、楼栋与事件，按用户的权限范围提供 "
        "(grids, areas, units, buildings and incidents, within the user's scope)",
        "links": [
            *self_links(root, JSON),
            link(f"{root}/api", "service-desc", OPENAPI_MEDIA, "OpenAPI 3.0"),
            link(f"{_app_root(request)}docs", "service-doc", HTML, "API 说明"),
            link(f"{root}/conformance", "conformance", JSON, "符合的标准 (conformance)"),
            link(f"{root}/collections", "data", JSON, "要素集合 (collections)"),
        ],
    }
    if _html(request):
        return page_response(ogc_page.landing_html(doc, _app_root(request), root), settings)
    return _json(doc)


@router.get("/conformance", summary="Conformance classes", response_class=Response)
def conformance(request: Request, settings: SettingsDep) -> Response:
    doc = {"conformsTo": CONFORMANCE}
    if _html(request):
        return page_response(ogc_page.conformance_html(doc, _app_root(request)), settings)
    return _json(doc)


@router.get("/api", summary="The OGC API's OpenAPI 3.0 document", response_class=Response)
def api_document(request: Request) -> Response:
    return _json(ogc_openapi(_root(request)), OPENAPI_MEDIA)


@router.get("/collections", summary="Collections the user may see", response_class=Response)
def collections(
    request: Request, conn: ConnDep, settings: SettingsDep, access: OgcAccess, now: NowDep
) -> Response:
    found = list_collections(conn, access=access, settings=settings, now=now)
    url = f"{_root(request)}/collections"
    doc = {
        "links": self_links(url, JSON),
        "collections": [
            collection_doc(_root(request), c, collection_extent(conn, c)) for c in found
        ],
        "crs": [c.uri for c in SUPPORTED_CRS],
    }
    if _html(request):
        return page_response(ogc_page.collections_html(doc, _app_root(request)), settings)
    return _json(doc)


@router.get("/collections/{collection_id}", summary="One collection", response_class=Response)
def collection(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    access: OgcAccess,
    now: NowDep,
    collection_id: CollectionId,
) -> Response:
    found = get_collection(conn, collection_id, access=access, settings=settings, now=now)
    doc = collection_doc(_root(request), found, collection_extent(conn, found))
    if _html(request):
        html = ogc_page.collection_html(
            doc, queryables_doc(_root(request), found), _app_root(request)
        )
        return page_response(html, settings)
    return _json(doc)


@router.get(
    "/collections/{collection_id}/queryables",
    summary="What a filter may name (JSON Schema)",
    response_class=Response,
)
def queryables(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    access: OgcAccess,
    now: NowDep,
    collection_id: CollectionId,
) -> Response:
    found = get_collection(conn, collection_id, access=access, settings=settings, now=now)
    doc = queryables_doc(_root(request), found)
    if _html(request):
        html = ogc_page.collection_html(
            collection_doc(_root(request), found, collection_extent(conn, found)),
            doc,
            _app_root(request),
        )
        return page_response(html, settings)
    return _json(doc, SCHEMA_JSON)


def _items_query(request: Request, found: Collection) -> ItemsQuery:
    q = request.query_params
    queryables = found.queryables()
    unknown = [k for k in q if k not in ITEM_PARAMS and k not in queryables]
    if unknown:
        raise BadQuery(
            f"未知参数 {unknown[0]!r} (unknown query parameter {unknown[0]!r}; "
            f"{found.id} takes {', '.join(sorted(ITEM_PARAMS))} and its queryables)",
            parameter=unknown[0],
        )
    bbox = q.get("bbox")
    text = q.get("filter")
    lang = q.get("filter-lang", "cql2-text")
    return ItemsQuery(
        limit=_int(q.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=_int(q.get("offset"), "offset", 0, 0, MAX_OFFSET),
        bbox=parse_bbox(bbox, parse_crs(q.get("bbox-crs"), "bbox-crs")) if bbox else None,
        datetime=parse_datetime(q["datetime"]) if q.get("datetime") else None,
        filter=compile_filter(text, lang, found, parse_crs(q.get("filter-crs"), "filter-crs"))
        if text
        else None,
        equals={k: q[k] for k in q if k in queryables},
        crs=parse_crs(q.get("crs"), "crs"),
    )


@router.get(
    "/collections/{collection_id}/items",
    summary="Features: bbox, datetime, CQL2 filter, crs, paged",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}, HTML: {}}}},
)
def items(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    access: OgcAccess,
    now: NowDep,
    collection_id: CollectionId,
) -> Response:
    """A page of features (GeoJSON), with ``numberMatched``/``numberReturned`` and next/prev
    links that keep every other parameter."""
    found = get_collection(conn, collection_id, access=access, settings=settings, now=now)
    html = _html(request)
    query = _items_query(request, found)
    page = get_items(conn, found, query)
    url = request.url
    links = [
        link(str(url), "self", HTML if html else GEOJSON, "本页 (this page)"),
        link(
            str(url.include_query_params(f="html" if not html else "json")),
            "alternate",
            GEOJSON if html else HTML,
        ),
        link(f"{_root(request)}/collections/{found.id}", "collection", JSON, found.title),
    ]
    if query.offset + page.returned < page.matched:
        links.append(
            link(
                str(
                    url.include_query_params(offset=query.offset + page.returned, limit=query.limit)
                ),
                "next",
                HTML if html else GEOJSON,
                "下一页 (next page)",
            )
        )
    if query.offset > 0:
        links.append(
            link(
                str(
                    url.include_query_params(
                        offset=max(0, query.offset - query.limit), limit=query.limit
                    )
                ),
                "prev",
                HTML if html else GEOJSON,
                "上一页 (previous page)",
            )
        )
    head = {
        "type": "FeatureCollection",
        "numberMatched": page.matched,
        "numberReturned": page.returned,
        "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "links": links,
    }
    head_text = json.dumps(head, ensure_ascii=False)
    body = f'{head_text[:-1]}, "features": {page.features}}}'
    if html:
        page_html = ogc_page.items_html(json.loads(body), found.title, _app_root(request))
        return page_response(page_html, settings)
    return Response(body, media_type=GEOJSON, headers={"Content-Crs": query.crs.header})


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    summary="One feature",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}, HTML: {}}}},
)
def item(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    access: OgcAccess,
    now: NowDep,
    collection_id: CollectionId,
    feature_id: FeatureId,
) -> Response:
    found = get_collection(conn, collection_id, access=access, settings=settings, now=now)
    q = request.query_params
    unknown = [k for k in q if k not in ("f", "crs")]
    if unknown:
        raise BadQuery(
            f"未知的查询参数 {unknown[0]!r} (unknown query parameter {unknown[0]!r})",
            parameter=unknown[0],
        )
    crs = parse_crs(q.get("crs"), "crs")
    html = _html(request)
    feature: dict[str, Any] = json.loads(get_item(conn, found, feature_id, crs))
    url = f"{_root(request)}/collections/{found.id}"
    feature["links"] = [
        link(str(request.url), "self", HTML if html else GEOJSON),
        link(
            f"{url}/items/{feature_id}?f={'json' if html else 'html'}",
            "alternate",
            GEOJSON if html else HTML,
        ),
        link(url, "collection", JSON, found.title),
    ]
    if html:
        return page_response(ogc_page.item_html(feature, _app_root(request)), settings)
    return _json(feature, GEOJSON, **{"Content-Crs": crs.header})
