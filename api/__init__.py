"""Gridmap's HTTP face: FastAPI routers that translate requests into gis/ calls and back."""
