"""Gridmap's web map pages, built with folium (Leaflet), and the static assets they load.

Every script and stylesheet is served by the app itself from ``maps/static``: government
networks are often offline, so no page may reach a CDN.
"""
