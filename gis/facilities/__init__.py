"""Service points (助餐点, 一老一小幸福院, 暖"新"驿站, 党群服务中心, 居民之家, 议事厅) and their
15-minute walking coverage on the street network, with pgRouting in PostGIS.

- :mod:`gis.facilities.network` — the roads noded into a routable network, its islands;
- :mod:`gis.facilities.reach` — the walk from units and facilities onto the network;
- :mod:`gis.facilities.coverage` — the share of people within a walk, per community or grid;
- :mod:`gis.facilities.isochrone` — 5/10/15-minute reach of one facility or a new point;
- :mod:`gis.facilities.sample` — the sample city's service points.
"""
