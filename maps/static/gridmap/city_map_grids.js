/*
 * Gridmap city map: the grid layers. Each layer's grids come as vector tiles (TileJSON first),
 * coloured by workload against the band, with hover, tooltip and popup; one layer is shown at a
 * time and a layer once loaded stays cached. Every function takes the map's state (city_map.js).
 */

import {CLASSES, classify, el, fmt} from './common.js';
import * as tiles from './tiles.js';

var POPUP_FIELDS = [
  ['households', '户数', 'Households', 0],
  ['population', '人口', 'Population', 0],
  ['buildings', '楼栋', 'Buildings', 0],
  ['unit_count', '基础单元', 'Units', 0],
  ['incidents_per_year', '年事件数', 'Incidents / yr', 0],
  ['care_people', '关爱对象', 'Care people', 0],
  ['area_km2', '面积 km²', 'Area km²', 3]
];

/*
 * Lines thin out as the map zooms out: at city scale a thousand grid and community
 * outlines would otherwise bury the colours under white and grey.
 */
function lineScale(cm, tileZoom) {
  var zoom = tileZoom === undefined ? cm.map.getZoom() : tileZoom;
  return zoom >= 14 ? 1 : zoom >= 12 ? 0.7 : 0;
}

/** The community outlines' style (from the 'areas' tiles). */
export function communityStyle(cm, properties, zoom) {
  var k = lineScale(cm, zoom);
  return {color: '#2f3b48', weight: 0.5 + 0.8 * k, opacity: 0.3 + 0.5 * k, fill: false};
}

function gridStyle(cm, properties, zoom) {
  var cls = CLASSES[classify(properties.workload, cm.band)];
  return {
    className: 'gm-grid gm-' + cls.key,
    stroke: lineScale(cm, zoom) > 0,
    color: '#ffffff',
    weight: lineScale(cm, zoom),
    fill: true,
    opacity: 1,
    fillColor: cls.color,
    fillOpacity: 0.88
  };
}

function popupContent(cm, p) {
  var box = el('div', 'gm-popup');
  el('div', 'gm-popup-code', p.code, box);
  el('div', 'gm-popup-name', p.name, box);
  var community = el('div', 'gm-popup-community', p.community_name || p.community_code, box);
  if (p.community_count > 1) {
    el('span', 'gm-tag', '跨 ' + p.community_count + ' 个社区', community);
  }
  var cls = CLASSES[classify(p.workload, cm.band)];
  var work = el('div', 'gm-popup-workload', null, box);
  el('span', 'gm-popup-label', '工作量 Workload', work);
  el('strong', null, fmt(p.workload, 1), work);
  var badge = el('span', 'gm-badge', cls.zh + ' ' + cls.en, work);
  badge.style.background = cls.color;
  badge.style.color = classify(p.workload, cm.band) === 2 ? '#1d2b1a' : '#ffffff';
  var table = el('table', 'gm-popup-table', null, box);
  POPUP_FIELDS.forEach(function (f) {
    var tr = el('tr', null, null, table);
    var th = el('th', null, null, tr);
    el('span', 'gm-zh', f[1], th);
    el('span', 'gm-en', f[2], th);
    el('td', null, fmt(p[f[0]], f[3]), tr);
  });
  return box;
}

/** Hover, tooltip and popup of the grids drawn from one layer's tiles. */
function wireGrids(cm, layer) {
  var map = cm.map;
  var tooltip = cm.tooltip;
  layer.on('mouseover', function (e) {
    var p = e.layer.properties;
    layer.setFeatureStyle(p.code, function (props, zoom) {
      return L.extend(gridStyle(cm, props, zoom),
        {stroke: true, weight: 2.5, color: '#14202e', fillOpacity: 0.97});
    });
    tooltip.setLatLng(e.latlng).setContent(p.name + ' · ' + fmt(p.workload, 0));
    map.openTooltip(tooltip);
  });
  layer.on('mousemove', function (e) { tooltip.setLatLng(e.latlng); });
  layer.on('mouseout', function (e) {
    layer.resetFeatureStyle(e.layer.properties.code);
    map.closeTooltip(tooltip);
  });
  layer.on('click', function (e) {
    L.popup({maxWidth: 320, minWidth: 240})
      .setLatLng(e.latlng)
      .setContent(popupContent(cm, e.layer.properties))
      .openOn(map);
  });
}

/** Legend counts of the grids drawn now (each grid once, however many tiles it spans). */
function countClasses(cm, layer) {
  var counts = [0, 0, 0, 0, 0];
  tiles.features(layer).forEach(function (f) {
    counts[classify(f.properties.workload, cm.band)] += 1;
  });
  return counts;
}

/** A layer's grids from its vector tiles (TileJSON first: the current version's URLs). */
function load(cm, code) {
  var entry = {layer: null, counts: [0, 0, 0, 0, 0], tilejson: null};
  entry.opened = tiles.open('grids.' + code, {
    styles: {grids: function (properties, zoom) { return gridStyle(cm, properties, zoom); }},
    pane: 'overlayPane',
    crs: cm.config.crs
  }).then(function (opened) {
    entry.layer = opened.layer;
    entry.tilejson = opened.tilejson;
    wireGrids(cm, opened.layer);
    opened.layer.on('load', function () {
      entry.counts = countClasses(cm, opened.layer);
      if (cm.api.currentLayer === code) cm.legend.setCounts(entry.counts);
    });
    return entry;
  });
  return entry;
}

/** Show one layer's grids (the view fits the first one shown); resolves once they are drawn. */
export function showLayer(cm, code) {
  var api = cm.api;
  if (!cm.layersByCode[code]) {
    return Promise.reject(new Error('no grid layer ' + code));
  }
  var entry = cm.cache[code] || (cm.cache[code] = load(cm, code));
  api.currentLayer = code;
  api.state = 'loading';
  cm.info.show(cm.layersByCode[code]);
  cm.info.status('加载中 Loading…');
  cm.legend.setCounts(entry.counts);
  var radio = document.querySelector('input[data-testid="layer-' + code + '"]');
  if (radio) radio.checked = true;
  api.ready = entry.opened.then(function () {
    if (api.currentLayer !== code) return code;
    return drawLayer(cm, entry);
  }).then(function () {
    if (api.currentLayer === code) {
      api.state = 'ready';
      cm.info.status('');
      cm.legend.setCounts(entry.counts);
      if (cm.qa.on) cm.qa.load();
    }
    return code;
  }, function (error) {
    delete cm.cache[code]; // try again next time it is chosen
    if (api.currentLayer === code) {
      api.state = 'error';
      cm.info.status('网格加载失败 Could not load grids: ' + error.message, true);
    }
    throw error;
  });
  return api.ready;
}

/** Put a loaded layer on the map in place of the shown one; resolves once it is drawn. */
function drawLayer(cm, entry) {
  if (cm.shown && cm.shown !== entry.layer) cm.shown.remove();
  if (!cm.viewFitted) {
    // Where the grids are (of the caller's scope) is what users came for.
    cm.viewFitted = true;
    var b = entry.tilejson.bounds;
    fitBounds(cm, L.latLngBounds([b[1], b[0]], [b[3], b[2]]));
  }
  var drawn = new Promise(function (resolve) { entry.layer.once('load', resolve); });
  cm.shown = entry.layer.addTo(cm.map);
  return drawn;
}

/** Fit the view to bounds, leaving room for the panels that float over a wide map. */
export function fitBounds(cm, bounds, options) {
  var size = cm.map.getSize();
  var padding = size.x > 900
    ? {paddingTopLeft: [270, 16], paddingBottomRight: [320, 16]}
    : {padding: [16, 16]};
  cm.map.fitBounds(bounds, L.extend(padding, {animate: false}, options));
}

/** Fit the view to some districts (all when codes is empty); false when none is known. */
export function zoomToDistricts(cm, codes, options) {
  var bounds = L.latLngBounds([]);
  Object.keys(cm.districtBounds).forEach(function (code) {
    if (!codes || !codes.length || codes.indexOf(code) >= 0) {
      bounds.extend(cm.districtBounds[code]);
    }
  });
  if (bounds.isValid()) fitBounds(cm, bounds, options);
  return bounds.isValid();
}
