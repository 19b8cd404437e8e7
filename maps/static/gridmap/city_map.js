/*
 * Gridmap city map: one grid layer at a time, coloured by workload against the band, over the
 * city's district and community outlines.
 *
 * Started by the page (maps/city_map.py) as GridmapCityMap.start(leafletMap, config), where
 * config = {band: [low, high], crs: 'gcj02' | null, hasTiles: bool, defaultLayer: 'unified'}.
 * All data comes from the app's own API (same origin, relative URLs): /layers and /districts
 * as JSON; the grids and the community outlines as vector tiles (tiles.js: /tiles/grids.{code}
 * and /tiles/areas, drawn with Leaflet.VectorGrid), so only the tiles in view are sent.
 *
 * For tests and for debugging from the console it publishes window.gridmap:
 *   currentLayer        code of the layer shown (or being loaded)
 *   state               'loading' | 'ready' | 'error'
 *   ready               Promise resolving to the layer code once it is fully drawn
 *   featureCount()      grids drawn for the current layer (each once, whatever tiles it spans);
 *                       features() their {id, properties}
 *   loaded              Promise resolving once layers, districts and communities are drawn
 *   showLayer(code)     switch layers, returns the new ready Promise
 *   zoomToDistricts([codes])  fit the view to some districts (all when empty)
 *   fitBounds(bounds)   fit the view to L.LatLngBounds, clear of the side panels
 *   qa                  the QA overlay (topology check of the shown layer, /layers/{code}/check):
 *                       qa.show(on) → Promise; qa.count(); qa.summary; qa.ready
 *
 * Its parts: city_map_controls.js (layer switcher, info panel, legend), city_map_grids.js (the
 * grid layers), city_map_qa.js (the QA overlay); they share the map's state made here.
 *
 * Plain ES2017 without optional chaining: county offices run old Chromium-based browsers.
 */

import {CLASSES, classify, query, request} from './common.js';
import {InfoPanel, LayerSwitcher, Legend} from './city_map_controls.js';
import {communityStyle, fitBounds, showLayer, zoomToDistricts} from './city_map_grids.js';
import {createQa} from './city_map_qa.js';
import * as tiles from './tiles.js';

/** A same-origin API URL (relative, so the app also works behind a path prefix). */
function apiUrl(path, params, config) {
  var all = params || {};
  if (config.crs) all.crs = config.crs;
  return path + query(all);
}

function fetchJson(url) {
  return request('GET', url);
}

/** The map's state, which the city_map_*.js functions take first; api is window.gridmap. */
function createState(map, config) {
  var cm = {
    map: map,
    config: config,
    band: config.band,
    layersByCode: {},
    cache: {},            // layer code → {layer: L.VectorGrid, counts: [5], tilejson, opened}
    shown: null,          // the L.VectorGrid of the grids on the map
    districtBounds: {},
    viewFitted: false,    // the first grids fit the view once; later switches keep it
    communities: null,    // the community outlines (from the 'areas' tiles) once opened
    communitiesOn: true
  };
  cm.api = {
    currentLayer: null,
    state: 'loading',
    ready: null,
    map: map,
    featureCount: function () {
      return cm.shown ? tiles.features(cm.shown).length : 0;
    },
    features: function () {
      return cm.shown ? tiles.features(cm.shown) : [];
    },
    showLayer: function (code) { return showLayer(cm, code); },
    zoomToDistricts: function (codes, options) { return zoomToDistricts(cm, codes, options); },
    fitBounds: function (bounds, options) { return fitBounds(cm, bounds, options); },
    classify: function (w) { return CLASSES[classify(w, cm.band)].key; }
  };
  return cm;
}

/**
 * Say on the page what failed, and in the console for whoever debugs it. Only the grids
 * decide `state`: a map without outlines still answers the question it is asked.
 */
function failer(cm) {
  return function fail(what, fatal) {
    return function (error) {
      if (fatal) cm.api.state = 'error';
      cm.info.status(what + ': ' + error.message, true);
      window.console.error(what, error);
      return null;
    };
  };
}

/** Panes, controls, the district outlines and the overlays' switches (QA included). */
function buildMap(cm, fail) {
  var map = cm.map;
  if (!cm.config.hasTiles) {
    map.getContainer().classList.add('gm-no-tiles');
  }
  map.createPane('gmDistricts').style.zIndex = 350;
  // Community lines sit above the grids, so they stay crisp, but never take the mouse.
  var communityPane = map.createPane('gmCommunities');
  communityPane.style.zIndex = 450;
  communityPane.style.pointerEvents = 'none';
  cm.info = new InfoPanel().addTo(map);
  cm.switcher = new LayerSwitcher(cm.api).addTo(map);
  cm.legend = new Legend(cm.band).addTo(map);
  L.control.scale({position: 'bottomright', imperial: false}).addTo(map);
  // Leaflet's default prefix links to its website; this page works without a way out.
  var districts = cm.districts = L.geoJSON(null, {
    pane: 'gmDistricts',
    interactive: false,
    style: {
      color: '#5b6b7f',
      weight: 2,
      opacity: 0.9,
      fillColor: '#dfe5ec',
      fillOpacity: cm.config.hasTiles ? 0 : 1
    }
  }).addTo(map);
  cm.switcher.addOverlay('区县', 'Districts', 'overlay-districts', true, function (on) {
    if (on) districts.addTo(map); else districts.remove();
  });
  cm.switcher.addOverlay('社区边界', 'Communities', 'overlay-communities', true, function (on) {
    cm.communitiesOn = on;
    if (!cm.communities) return;
    if (on) cm.communities.addTo(map); else cm.communities.remove();
  });
  cm.qa = cm.api.qa = createQa(cm, function (code) {
    return fetchJson(apiUrl('layers/' + encodeURIComponent(code) + '/check', null, cm.config));
  }, fail);
  cm.switcher.addOverlay('质检', 'QA check', 'overlay-qa', false, function (on) { cm.qa.show(on); });
  cm.tooltip = L.tooltip({sticky: true, className: 'gm-tooltip', direction: 'top'});
}

/** The layers (then the default one's grids), the districts and the community outlines. */
function loadAll(cm, fail) {
  var api = cm.api;
  var config = cm.config;
  var layersLoaded = fetchJson('layers').then(function (layers) {
    layers.forEach(function (layer) { cm.layersByCode[layer.code] = layer; });
    var first = cm.layersByCode[config.defaultLayer] ? config.defaultLayer
      : (layers.length ? layers[0].code : null);
    cm.switcher.setLayers(layers, first);
    if (!first) {
      api.state = 'ready';
      cm.info.status('还没有网格图层 No grid layers yet');
      return null;
    }
    return showLayer(cm, first);
  }, fail('图层加载失败 Could not load layers', true));
  var districtsLoaded = fetchJson(apiUrl('districts', null, config)).then(function (fc) {
    cm.districts.addData(fc);
    cm.districts.eachLayer(function (layer) {
      cm.districtBounds[layer.feature.properties.code] = layer.getBounds();
    });
    cm.switcher.setDistricts(fc.features);
    if (!cm.viewFitted) zoomToDistricts(cm, []);
  }, fail('区县加载失败 Could not load districts'));
  var outlines = function (properties, zoom) { return communityStyle(cm, properties, zoom); };
  var communitiesLoaded = tiles.open('areas', {
    styles: {communities: outlines, districts: [], streets: []},
    pane: 'gmCommunities',
    interactive: false,
    crs: config.crs
  }).then(function (opened) {
    var communities = cm.communities = opened.layer;
    var drawn = new Promise(function (resolve) { communities.once('load', resolve); });
    if (!cm.communitiesOn) return null;
    communities.addTo(cm.map);
    return drawn;
  }).catch(fail('社区加载失败 Could not load communities'));
  // Until the grids are drawn, `ready` is the whole start-up.
  if (!api.ready) api.ready = layersLoaded;
  api.loaded = Promise.all([layersLoaded, districtsLoaded, communitiesLoaded]);
}

function start(map, config) {
  var cm = createState(map, config);
  window.gridmap = cm.api;
  var fail = failer(cm);
  buildMap(cm, fail);
  loadAll(cm, fail);
  return cm.api;
}

export {start};
