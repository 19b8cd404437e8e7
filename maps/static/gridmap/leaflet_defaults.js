/*
 * What every Gridmap map shares, set on Leaflet itself right after leaflet.js loads and before
 * any page makes its map:
 *   - zoom bounds: without a tile layer Leaflet has no maximum zoom, so a few wheel notches
 *     reach z27 and the scale bar turns into a strip; a building fills the screen at z19, and
 *     below z4 a county is a dot;
 *   - the credit says plain "Leaflet" (1.9 adds a national flag before it);
 *   - scale bars in metres only (China uses no feet or miles).
 * A page may still pass its own minZoom/maxZoom to L.map.
 */
(function () {
  'use strict';
  var L = window.L;
  if (!L) return;
  L.Map.mergeOptions({minZoom: 4, maxZoom: 19});
  L.Control.Attribution.mergeOptions({
    prefix: '<a href="https://leafletjs.com" title="A JavaScript library for interactive maps">Leaflet</a>'
  });
  L.Control.Scale.mergeOptions({imperial: false});
  window.GridmapLeaflet = {minZoom: 4, maxZoom: 19};
})();
