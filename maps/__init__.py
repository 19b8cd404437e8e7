"""Gridmap's web map pages, built with folium (Leaflet), and the static assets they load.

Every script and stylesheet is served by the app itself from ``maps/static``: government
networks are often offline, so no page may reach a CDN.

The pages' own JavaScript (``static/gridmap/*.js``) are ES modules: each page module exports
``start(map, config)``, and what they share (API requests with the CSRF header and problem+json
errors, number and China-time formatting, labels, the workload classes and palette) lives once in
``common.js``. A page shell lists an import map (``assets.import_map``) so that imports are
hash-tagged like any ``<script src>``; ``make lint`` runs ESLint on them (``tools/js``).
"""
