/*
 * Gridmap vector tiles on a Leaflet map (Leaflet.VectorGrid, vendored): a module shared by the
 * map pages (import * as tiles from './tiles.js').
 *
 *   open(source, options) → Promise of {layer, tilejson}
 *     source   'grids.unified', 'areas', 'incidents', 'party.unified', …
 *     options  {styles: {mvtLayer: style or function(properties, zoom)}, pane, interactive,
 *               idField: 'code' (the feature id across tiles: highlight, count, data-code),
 *               crs: null | 'gcj02' (tiles moved onto AMap/Tencent-style base maps),
 *               root: '' | '../' (the app's root relative to the page, for pages one level down)}
 *   features(layer) → one {id, properties} per distinct feature in loaded tiles
 *
 * The TileJSON (/tiles/{source}.json) names the current version of the source, so the tile URLs
 * it gives can be cached for good; the app answers tiles with the caller's scope. Every path
 * drawn from a tile carries data-code (the feature's id field), so tests and assistive tools
 * find a grid as on the GeoJSON pages.
 *
 * Plain ES2017 without optional chaining: county offices run old Chromium-based browsers.
 */

import {query, request} from './common.js';

function fetchTileJson(source, crs, root) {
  return request('GET', (root || '') + 'tiles/' + encodeURIComponent(source) + '.json' + query({crs: crs}));
}

/** Tag the paths of one loaded tile with their feature's id (data-code). */
function tagTile(layer, coords) {
  var tiles = layer._vectorTiles || {};
  var renderer = tiles[layer._tileCoordsToKey(coords)];
  if (!renderer || !renderer._features) return;
  Object.keys(renderer._features).forEach(function (id) {
    var path = renderer._features[id].feature._path;
    if (path) path.setAttribute('data-code', id);
  });
}

function open(source, options) {
  var idField = options.idField || 'code';
  return fetchTileJson(source, options.crs, options.root).then(function (tilejson) {
    var layer = L.vectorGrid.protobuf(tilejson.tiles[0], {
      rendererFactory: L.svg.tile,
      vectorTileLayerStyles: options.styles,
      interactive: options.interactive !== false,
      pane: options.pane || 'overlayPane',
      maxNativeZoom: tilejson.maxzoom,
      minZoom: 0,
      fetchOptions: {credentials: 'same-origin'},
      getFeatureId: function (feature) { return feature.properties[idField]; }
    });
    layer.on('tileload', function (e) { tagTile(layer, e.coords); });
    return {layer: layer, tilejson: tilejson};
  });
}

/** The distinct features of the tiles loaded now ({id, properties}), by id. */
function features(layer) {
  var seen = {};
  var tiles = layer._vectorTiles || {};
  Object.keys(tiles).forEach(function (key) {
    var found = tiles[key]._features || {};
    Object.keys(found).forEach(function (id) {
      if (!seen[id]) seen[id] = {id: id, properties: found[id].feature.properties};
    });
  });
  return Object.keys(seen).map(function (id) { return seen[id]; });
}

export {open, features, fetchTileJson};
