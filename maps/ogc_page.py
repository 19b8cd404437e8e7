"""The HTML face of the OGC API (``/ogc…?f=html``): plain Chinese pages a person can browse.

GIS clients read the JSON; these pages are for the person setting a client up — which
collections there are, what their properties mean, the URL to paste into QGIS — so they are
tables and links, with the shared header, and no script.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup, escape

from maps.assets import HEADER_CSS
from maps.shell import render

_STYLE = """
body{margin:0;font-family:"Noto Sans CJK SC",sans-serif;color:#1f2933;background:#f7f8fa}
main{max-width:1100px;margin:0 auto;padding:16px}
table{border-collapse:collapse;background:#fff;width:100%;margin:8px 0 20px}
th,td{border:1px solid #d9dde3;padding:4px 8px;text-align:left;font-size:14px;vertical-align:top}
th{background:#eef1f5}
code{background:#eef1f5;padding:1px 4px}
nav.ogc-links a{margin-right:14px}
"""

LABELS = {
    "self": "本页",
    "alternate": "JSON",
    "next": "下一页",
    "prev": "上一页",
    "collection": "所属集合",
    "items": "要素",
    "queryables": "可查询属性",
    "conformance": "符合的标准",
    "data": "要素集合",
    "service-desc": "OpenAPI 文档",
    "service-doc": "API 说明",
}


def _links(links: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The document's links a person may follow, labelled in Chinese (the HTML self link is
    the page itself)."""
    return [
        {
            "href": link["href"],
            "rel": link["rel"],
            "label": LABELS.get(link["rel"], link.get("title") or link["rel"]),
        }
        for link in links
        if link.get("type") != "text/html" or link["rel"] != "self"
    ]


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return f"<code>{escape(json.dumps(value, ensure_ascii=False)[:300])}</code>"
    return escape("" if value is None else str(value))


def _table(rows: list[dict[str, Any]], columns: list[str], link: str | None = None) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            text = _cell(row.get(c))
            if c == link and row.get("href"):
                text = f'<a href="{escape(row["href"])}">{text}</a>'
            cells.append(f"<td>{text}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def ogc_page(title: str, title_en: str, body: str, links: list[dict[str, Any]], base: str) -> str:
    """A page with the shared header (``base`` leads back to the app's root); ``body`` is the
    HTML built here, every value in it escaped."""
    return render(
        "ogc.html",
        title=f"{title} · OGC API",
        css=[HEADER_CSS],
        style=Markup(_STYLE),
        heading=title,
        heading_en=title_en,
        links=_links(links),
        body=Markup(body),
        base=base,
    )


def landing_html(doc: dict[str, Any], base: str, url: str) -> str:
    body = (
        f"<p>{escape(doc['description'])}</p>"
        f"<p>在 QGIS 中：图层 → 添加图层 → WFS / OGC API 要素，URL 填 <code>{escape(url)}</code>，"
        "认证选 Basic（Gridmap 用户名与密码）。</p>"
    )
    return ogc_page("OGC API 要素服务", "OGC API — Features", body, doc["links"], base)


def conformance_html(doc: dict[str, Any], base: str) -> str:
    rows = [{"uri": uri} for uri in doc["conformsTo"]]
    return ogc_page("符合的标准", "Conformance", _table(rows, ["uri"]), [], base)


def collections_html(doc: dict[str, Any], base: str) -> str:
    rows = [
        {
            "id": c["id"],
            "title": c["title"],
            "description": c["description"],
            "href": next(link["href"] for link in c["links"] if link["rel"] == "self") + "?f=html",
        }
        for c in doc["collections"]
    ]
    body = _table(rows, ["id", "title", "description"], link="id")
    return ogc_page("要素集合", "Collections", body, doc["links"], base)


def collection_html(doc: dict[str, Any], queryables: dict[str, Any], base: str) -> str:
    extent = doc.get("extent", {}).get("spatial", {}).get("bbox")
    facts = (
        f"<p>{escape(doc['description'])}</p><p>范围 (extent)：{_cell(extent)}</p>"
        f"<p>坐标系 (crs)：{_cell(doc['crs'])}</p>"
    )
    rows = [
        {"name": name, "title": spec.get("title"), "type": spec.get("type") or spec.get("format")}
        for name, spec in queryables["properties"].items()
    ]
    body = facts + "<h2>可查询属性 Queryables</h2>" + _table(rows, ["name", "title", "type"])
    return ogc_page(doc["title"], doc["id"], body, doc["links"], base)


def items_html(doc: dict[str, Any], title: str, base: str) -> str:
    features = doc["features"]
    columns = ["id", *(features[0]["properties"] if features else [])]
    rows = [{"id": f["id"], **f["properties"]} for f in features]
    counts = (
        f"<p>共 {doc.get('numberMatched', len(features))} 个要素，本页 "
        f"{doc.get('numberReturned', len(features))} 个</p>"
    )
    body = counts + _table(rows, columns)
    return ogc_page(title, "Items", body, doc["links"], base)


def item_html(doc: dict[str, Any], base: str) -> str:
    rows = [{"name": k, "value": v} for k, v in doc["properties"].items()]
    body = _table(rows, ["name", "value"]) + f"<p>几何 (geometry)：{_cell(doc['geometry'])}</p>"
    return ogc_page(str(doc["id"]), "Feature", body, doc.get("links", []), base)
