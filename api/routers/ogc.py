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
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.auth import NowDep
from api.basic_auth import OgcAccess
from api.deps import ConnDep, SettingsDep
from api.geo import GEOJSON
from api.ogc_openapi import OPENAPI_MEDIA, ogc_openapi
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
from gis.ogc.crs import CRS84
from gis.ogc.items import DEFAULT_LIMIT, MAX_LIMIT
from maps import ogc_page

router = APIRouter(prefix="/ogc", tags=["ogc"])
JSON = "application/json"
HTML = "text/html"
SCHEMA_JSON = "application/schema+json"
MAX_OFFSET = 2**31 - 1
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
]
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
            raise BadQuery(f"f must be json or html, not {f!r}", parameter="f")
        return f == "html"
    accept = request.headers.get("accept", "").lower()
    if HTML not in accept:
        return False
    # A browser asks for text/html first; a client that names JSON first gets JSON.
    return "json" not in accept or accept.index(HTML) < accept.index("json")


def _link(href: str, rel: str, media: str, title: str | None = None) -> dict[str, Any]:
    link = {"href": href, "rel": rel, "type": media}
    if title:
        link["title"] = title
    return link


def _self_links(url: str, media: str) -> list[dict[str, Any]]:
    return [
        _link(f"{url}?f=json" if media == JSON else url, "self", media, "本页 (this document)"),
        _link(f"{url}?f=html", "alternate", HTML, "HTML"),
    ]


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
        raise BadQuery(f"{name} must be ≥ {low}, not {number}", parameter=name, value=number)
    return min(number, high) if high is not None else number


# ----------------------------------------------------------------------------- documents


def _collection_doc(request: Request, collection: Collection, conn: ConnDep) -> dict[str, Any]:
    url = f"{_root(request)}/collections/{collection.id}"
    extent = collection_extent(conn, collection)
    doc: dict[str, Any] = {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "crs": [c.uri for c in SUPPORTED_CRS],
        "storageCrs": CRS84,
        "extent": {
            "spatial": {
                "bbox": [list(extent.bbox) if extent.bbox else [-180, -90, 180, 90]],
                "crs": CRS84,
            }
        },
        "links": [
            _link(url, "self", JSON, collection.title),
            _link(f"{url}?f=html", "alternate", HTML, "HTML"),
            _link(f"{url}/items", "items", GEOJSON, "要素 (features)"),
            _link(f"{url}/items?f=html", "items", HTML, "要素 (HTML)"),
            _link(
                f"{url}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                SCHEMA_JSON,
                "可查询属性 (queryables)",
            ),
        ],
    }
    if extent.interval is not None:
        doc["extent"]["temporal"] = {
            "interval": [list(extent.interval)],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return doc


def _queryables_doc(request: Request, collection: Collection) -> dict[str, Any]:
    props: dict[str, Any] = {
        "geometry": {
            "title": "几何 (geometry)",
            "format": f"geometry-{collection.geometry_type.lower()}",
            "x-ogc-role": "primary-geometry",
        }
    }
    for name, prop in collection.queryables().items():
        spec: dict[str, Any] = {"title": prop.title}
        if prop.type == "datetime":
            spec |= {"type": "string", "format": "date-time"}
        else:
            spec["type"] = prop.type
        props[name] = spec
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{_root(request)}/collections/{collection.id}/queryables",
        "type": "object",
        "title": collection.title,
        "properties": props,
        "additionalProperties": False,
    }


# ----------------------------------------------------------------------------- routes


@router.get("", summary="OGC API landing page", response_class=Response)
@router.get("/", include_in_schema=False, response_class=Response)  # a base URL with its slash
def landing(request: Request) -> Response:
    root = _root(request)
    doc = {
        "title": "Gridmap OGC API — Features",
        "description": "网格化管理的网格、社区、基础单元、楼栋与事件，按用户的权限范围提供 "
        "(grids, areas, units, buildings and incidents, within the user's scope)",
        "links": [
            *_self_links(root, JSON),
            _link(f"{root}/api", "service-desc", OPENAPI_MEDIA, "OpenAPI 3.0"),
            _link(f"{_app_root(request)}docs", "service-doc", HTML, "API 说明"),
            _link(f"{root}/conformance", "conformance", JSON, "符合的标准 (conformance)"),
            _link(f"{root}/collections", "data", JSON, "要素集合 (collections)"),
        ],
    }
    if _html(request):
        return HTMLResponse(ogc_page.landing_html(doc, _app_root(request), root))
    return _json(doc)


@router.get("/conformance", summary="Conformance classes", response_class=Response)
def conformance(request: Request) -> Response:
    doc = {"conformsTo": CONFORMANCE}
    if _html(request):
        return HTMLResponse(ogc_page.conformance_html(doc, _app_root(request)))
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
        "links": _self_links(url, JSON),
        "collections": [_collection_doc(request, c, conn) for c in found],
        "crs": [c.uri for c in SUPPORTED_CRS],
    }
    if _html(request):
        return HTMLResponse(ogc_page.collections_html(doc, _app_root(request)))
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
    doc = _collection_doc(request, found, conn)
    if _html(request):
        html = ogc_page.collection_html(doc, _queryables_doc(request, found), _app_root(request))
        return HTMLResponse(html)
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
    doc = _queryables_doc(request, found)
    if _html(request):
        html = ogc_page.collection_html(
            _collection_doc(request, found, conn), doc, _app_root(request)
        )
        return HTMLResponse(html)
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
        _link(str(url), "self", HTML if html else GEOJSON, "本页 (this page)"),
        _link(
            str(url.include_query_params(f="html" if not html else "json")),
            "alternate",
            GEOJSON if html else HTML,
        ),
        _link(f"{_root(request)}/collections/{found.id}", "collection", JSON, found.title),
    ]
    if query.offset + page.returned < page.matched:
        links.append(
            _link(
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
            _link(
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
        return HTMLResponse(ogc_page.items_html(json.loads(body), found.title, _app_root(request)))
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
        raise BadQuery(f"unknown query parameter {unknown[0]!r}", parameter=unknown[0])
    crs = parse_crs(q.get("crs"), "crs")
    html = _html(request)
    feature: dict[str, Any] = json.loads(get_item(conn, found, feature_id, crs))
    url = f"{_root(request)}/collections/{found.id}"
    feature["links"] = [
        _link(str(request.url), "self", HTML if html else GEOJSON),
        _link(
            f"{url}/items/{feature_id}?f={'json' if html else 'html'}",
            "alternate",
            GEOJSON if html else HTML,
        ),
        _link(url, "collection", JSON, found.title),
    ]
    if html:
        return HTMLResponse(ogc_page.item_html(feature, _app_root(request)))
    return _json(feature, GEOJSON, **{"Content-Crs": crs.header})
