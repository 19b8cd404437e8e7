"""Where the vendored front-end assets live, and the local URLs that replace folium's CDN ones."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
