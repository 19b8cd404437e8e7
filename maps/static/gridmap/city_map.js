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
 * Plain ES2017 without optional chaining: county offices run old Chromium-based browsers.
 */

import {CLASSES, classify, classRanges, el, fmt, query, request} from './common.js';
import * as tiles from './tiles.js';


// English names for the known layers; the Chinese names come from /layers.
var ENGLISH = {
  unified: 'Unified grid',
  zongzhi: 'Comprehensive governance',
  chengguan: 'Urban management',
  xinfang: 'Petitions',
  dangjian: 'Party building',
  minzheng: 'Civil affairs',
  yingji: 'Emergency management'
};
var KIND_HEADINGS = {
  unified: '网格图层 Grid layers',
  department: '部门网格 Departments',
  scenario: '方案 Scenarios',
  history: '历史网格 Superseded unified layers'
};

var POPUP_FIELDS = [
  ['households', '户数', 'Households', 0],
  ['population', '人口', 'Population', 0],
  ['buildings', '楼栋', 'Buildings', 0],
  ['unit_count', '基础单元', 'Units', 0],
  ['incidents_per_year', '年事件数', 'Incidents / yr', 0],
  ['care_people', '关爱对象', 'Care people', 0],
  ['area_km2', '面积 km²', 'Area km²', 3]
];

function englishName(layer) {
  return ENGLISH[layer.code] || layer.code;
}

/** A same-origin API URL (relative, so the app also works behind a path prefix). */
function apiUrl(path, params, config) {
  var all = params || {};
  if (config.crs) all.crs = config.crs;
  return path + query(all);
}

function fetchJson(url) {
  return request('GET', url);
}

/* ------------------------------------------------------------------ controls */

var LayerSwitcher = L.Control.extend({
  options: {position: 'topright'},
  initialize: function (app, options) {
    L.setOptions(this, options);
    this._app = app;
  },
  onAdd: function () {
    var box = el('div', 'gm-panel gm-switcher leaflet-bar');
    this._layersBox = el('div', 'gm-switcher-layers', null, box);
    el('p', 'gm-muted', '加载图层… Loading layers…', this._layersBox);
    el('h2', 'gm-heading gm-section', '参考图层 Overlays', box);
    this._overlaysBox = el('div', 'gm-switcher-overlays', null, box);
    this._extentBox = el('div', 'gm-extent', null, box);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  },
  setLayers: function (layers, current) {
    var app = this._app;
    var box = this._layersBox;
    box.textContent = '';
    var lastKind = null;
    layers.forEach(function (layer) {
      if (layer.kind !== lastKind) {
        el('h2', 'gm-heading', KIND_HEADINGS[layer.kind] || layer.kind, box);
        lastKind = layer.kind;
      }
      var label = el('label', 'gm-option', null, box);
      var input = el('input', null, null, label);
      input.type = 'radio';
      input.name = 'gm-grid-layer';
      input.value = layer.code;
      input.checked = layer.code === current;
      input.setAttribute('data-testid', 'layer-' + layer.code);
      var text = el('span', 'gm-option-text', null, label);
      label.title = layer.name;
      el('span', 'gm-zh', layer.name, text);
      el('span', 'gm-en', englishName(layer), text);
      el('span', 'gm-count', fmt(layer.grid_count), label);
      L.DomEvent.on(input, 'change', function () {
        if (input.checked) app.showLayer(layer.code);
      });
    });
  },
  addOverlay: function (zh, en, testid, checked, onToggle) {
    var label = el('label', 'gm-option', null, this._overlaysBox);
    var input = el('input', null, null, label);
    input.type = 'checkbox';
    input.checked = checked;
    input.setAttribute('data-testid', testid);
    var text = el('span', 'gm-option-text', null, label);
    el('span', 'gm-zh', zh, text);
    el('span', 'gm-en', en, text);
    L.DomEvent.on(input, 'change', function () { onToggle(input.checked); });
  },
  setDistricts: function (features) {
    var app = this._app;
    var box = this._extentBox;
    box.textContent = '';
    if (features.length < 2) return;
    var label = el('label', 'gm-extent-label', null, box);
    el('span', null, '范围 Extent', label);
    var select = el('select', null, null, label);
    select.setAttribute('data-testid', 'extent');
    el('option', null, '全部区县 All districts', select).value = '';
    features.forEach(function (f) {
      el('option', null, f.properties.name, select).value = f.properties.code;
    });
    L.DomEvent.on(select, 'change', function () {
      app.zoomToDistricts(select.value ? [select.value] : [], {animate: true});
    });
  }
});

var InfoPanel = L.Control.extend({
  options: {position: 'topleft'},
  onAdd: function () {
    var box = el('div', 'gm-panel gm-info');
    this._title = el('h2', 'gm-info-title', 'Gridmap', box);
    this._subtitle = el('p', 'gm-info-sub', '', box);
    this._table = el('dl', 'gm-stats', null, box);
    this._status = el('p', 'gm-status', '', box);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  },
  show: function (layer) {
    this._title.textContent = layer.name;
    this._subtitle.textContent = englishName(layer) +
      (layer.department ? ' · ' + layer.department : '');
    var rows = [
      ['网格数', 'Grids', fmt(layer.grid_count)],
      ['平均工作量', 'Mean workload', fmt(layer.workload_mean, 1)],
      ['变异系数', 'CV', fmt(layer.workload_cv, 3)],
      ['达标比例', 'In band', fmt(layer.share_in_band, 'pct')],
      ['跨社区网格', 'Cross-community', fmt(layer.grids_crossing_communities)]
    ];
    var table = this._table;
    table.textContent = '';
    rows.forEach(function (row) {
      var dt = el('dt', null, null, table);
      el('span', 'gm-zh', row[0], dt);
      el('span', 'gm-en', row[1], dt);
      el('dd', null, row[2], table);
    });
  },
  status: function (text, isError) {
    this._status.textContent = text || '';
    this._status.className = 'gm-status' + (isError ? ' gm-error' : '');
  }
});

var Legend = L.Control.extend({
  options: {position: 'bottomleft'},
  initialize: function (band, options) {
    L.setOptions(this, options);
    this._band = band;
  },
  onAdd: function () {
    var box = el('div', 'gm-panel gm-legend');
    el('h2', 'gm-heading', '工作量 Workload', box);
    var list = el('ul', 'gm-legend-list', null, box);
    var ranges = classRanges(this._band);
    this._counts = CLASSES.map(function (cls, i) {
      var item = el('li', 'gm-legend-item', null, list);
      item.setAttribute('data-class', cls.key);
      var swatch = el('span', 'gm-swatch', null, item);
      swatch.style.background = cls.color;
      var text = el('span', 'gm-legend-text', null, item);
      el('span', 'gm-zh', cls.zh, text);
      el('span', 'gm-en', cls.en, text);
      el('span', 'gm-range', ranges[i], item);
      return el('span', 'gm-count', '–', item);
    });
    return box;
  },
  setCounts: function (counts) {
    this._counts.forEach(function (node, i) {
      node.textContent = counts ? fmt(counts[i]) : '–';
    });
  }
});

/* ------------------------------------------------------------------ the app */

function start(map, config) {
  var band = config.band;
  var layersByCode = {};
  var cache = {}; // layer code → {layer: L.VectorGrid, counts: [5], tilejson, opened}
  var shown = null; // the L.VectorGrid of the grids on the map
  var districtBounds = {};
  var viewFitted = false; // the first grids fit the view once; later switches keep it
  var api = {
    currentLayer: null,
    state: 'loading',
    ready: null,
    map: map,
    featureCount: function () {
      return shown ? tiles.features(shown).length : 0;
    },
    features: function () {
      return shown ? tiles.features(shown) : [];
    },
    showLayer: showLayer,
    zoomToDistricts: zoomToDistricts,
    fitBounds: fitBounds,
    classify: function (w) { return CLASSES[classify(w, band)].key; }
  };
  window.gridmap = api;

  if (!config.hasTiles) {
    map.getContainer().classList.add('gm-no-tiles');
  }
  map.createPane('gmDistricts').style.zIndex = 350;
  // Community lines sit above the grids, so they stay crisp, but never take the mouse.
  var communityPane = map.createPane('gmCommunities');
  communityPane.style.zIndex = 450;
  communityPane.style.pointerEvents = 'none';

  var info = new InfoPanel().addTo(map);
  var switcher = new LayerSwitcher(api).addTo(map);
  var legend = new Legend(band).addTo(map);
  L.control.scale({position: 'bottomright', imperial: false}).addTo(map);
  // Leaflet's default prefix links to its website; this page works without a way out.

  var districts = L.geoJSON(null, {
    pane: 'gmDistricts',
    interactive: false,
    style: {
      color: '#5b6b7f',
      weight: 2,
      opacity: 0.9,
      fillColor: '#dfe5ec',
      fillOpacity: config.hasTiles ? 0 : 1
    }
  }).addTo(map);
  // Community outlines come from the 'areas' tiles (districts and streets there are not drawn).
  var communities = null;
  var communitiesOn = true;
  switcher.addOverlay('区县', 'Districts', 'overlay-districts', true, function (on) {
    if (on) districts.addTo(map); else districts.remove();
  });
  switcher.addOverlay('社区边界', 'Communities', 'overlay-communities', true, function (on) {
    communitiesOn = on;
    if (!communities) return;
    if (on) communities.addTo(map); else communities.remove();
  });

  /*
   * QA overlay: the topology check of the shown layer (gaps, overlaps, slivers, multi-part
   * grids, grids crossing communities), drawn above the grids and refreshed on layer switch.
   */
  var QA_STYLES = {
    gap: {color: '#b00020', fillColor: '#b00020', fillOpacity: 0.45, weight: 2},
    overlap: {color: '#6a1b9a', fillColor: '#6a1b9a', fillOpacity: 0.5, weight: 2},
    sliver: {color: '#e65100', fillColor: '#e65100', fillOpacity: 0.6, weight: 3},
    multipart: {color: '#0d47a1', fill: false, weight: 3, dashArray: '6 4'},
    crossing: {color: '#212121', fill: false, weight: 2.5, dashArray: '2 4'}
  };
  var QA_NAMES = {
    gap: '空隙 Gap', overlap: '重叠 Overlap', sliver: '碎片 Sliver',
    multipart: '多部件 Multi-part', crossing: '跨社区 Crosses communities'
  };
  map.createPane('gmQa').style.zIndex = 460;
  var qaLayer = L.geoJSON(null, {
    pane: 'gmQa',
    style: function (f) { return QA_STYLES[f.properties.problem] || QA_STYLES.gap; },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      var text = (QA_NAMES[p.problem] || p.problem) + (p.label ? ' · ' + p.label : '') +
        (p.area_m2 !== null ? ' · ' + fmt(p.area_m2, 1) + ' m²' : '');
      layer.bindTooltip(text, {sticky: true, className: 'gm-tooltip'});
    }
  });
  var qa = {on: false, layer: null, summary: null, ready: Promise.resolve(null)};
  qa.count = function () { return qaLayer.getLayers().length; };
  qa.load = function () {
    var code = api.currentLayer;
    if (!qa.on || !code) return qa.ready;
    if (qa.layer === code) return qa.ready;
    qa.layer = code;
    info.status('质检中 Checking ' + code + '…');
    qa.ready = fetchJson(apiUrl('layers/' + encodeURIComponent(code) + '/check', null, config))
      .then(function (fc) {
        if (qa.layer !== code) return null;
        qaLayer.clearLayers();
        qaLayer.addData(fc);
        qa.summary = fc.summary;
        var s = fc.summary;
        info.status('质检 QA: 空隙 ' + s.gaps + ' · 重叠 ' + s.overlaps + ' · 碎片 ' +
          s.slivers + ' · 多部件 ' + s.multipart_grids + ' · 跨社区 ' +
          s.grids_crossing_communities);
        return fc.summary;
      }, fail('质检失败 Could not check the layer'));
    return qa.ready;
  };
  qa.show = function (on) {
    qa.on = on;
    if (on) {
      qaLayer.addTo(map);
      return qa.load();
    }
    qaLayer.remove();
    qa.layer = null;
    qaLayer.clearLayers();
    qa.summary = null;
    info.status('');
    return Promise.resolve(null);
  };
  api.qa = qa;
  switcher.addOverlay('质检', 'QA check', 'overlay-qa', false, function (on) { qa.show(on); });

  /*
   * Lines thin out as the map zooms out: at city scale a thousand grid and community
   * outlines would otherwise bury the colours under white and grey.
   */
  function lineScale(tileZoom) {
    var zoom = tileZoom === undefined ? map.getZoom() : tileZoom;
    return zoom >= 14 ? 1 : zoom >= 12 ? 0.7 : 0;
  }

  function communityStyle(properties, zoom) {
    var k = lineScale(zoom);
    return {color: '#2f3b48', weight: 0.5 + 0.8 * k, opacity: 0.3 + 0.5 * k, fill: false};
  }

  function gridStyle(properties, zoom) {
    var cls = CLASSES[classify(properties.workload, band)];
    return {
      className: 'gm-grid gm-' + cls.key,
      stroke: lineScale(zoom) > 0,
      color: '#ffffff',
      weight: lineScale(zoom),
      fill: true,
      opacity: 1,
      fillColor: cls.color,
      fillOpacity: 0.88
    };
  }

  function popupContent(p) {
    var box = el('div', 'gm-popup');
    el('div', 'gm-popup-code', p.code, box);
    el('div', 'gm-popup-name', p.name, box);
    var community = el('div', 'gm-popup-community', p.community_name || p.community_code, box);
    if (p.community_count > 1) {
      el('span', 'gm-tag', '跨 ' + p.community_count + ' 个社区', community);
    }
    var cls = CLASSES[classify(p.workload, band)];
    var work = el('div', 'gm-popup-workload', null, box);
    el('span', 'gm-popup-label', '工作量 Workload', work);
    el('strong', null, fmt(p.workload, 1), work);
    var badge = el('span', 'gm-badge', cls.zh + ' ' + cls.en, work);
    badge.style.background = cls.color;
    badge.style.color = classify(p.workload, band) === 2 ? '#1d2b1a' : '#ffffff';
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

  var tooltip = L.tooltip({sticky: true, className: 'gm-tooltip', direction: 'top'});

  /** Hover, tooltip and popup of the grids drawn from one layer's tiles. */
  function wireGrids(layer) {
    layer.on('mouseover', function (e) {
      var p = e.layer.properties;
      layer.setFeatureStyle(p.code, function (props, zoom) {
        return L.extend(gridStyle(props, zoom),
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
        .setContent(popupContent(e.layer.properties))
        .openOn(map);
    });
  }

  /** Legend counts of the grids drawn now (each grid once, however many tiles it spans). */
  function countClasses(layer) {
    var counts = [0, 0, 0, 0, 0];
    tiles.features(layer).forEach(function (f) {
      counts[classify(f.properties.workload, band)] += 1;
    });
    return counts;
  }

  /** A layer's grids from its vector tiles (TileJSON first: the current version's URLs). */
  function load(code) {
    var entry = {layer: null, counts: [0, 0, 0, 0, 0], tilejson: null};
    entry.opened = tiles.open('grids.' + code, {
      styles: {grids: gridStyle},
      pane: 'overlayPane',
      crs: config.crs
    }).then(function (opened) {
      entry.layer = opened.layer;
      entry.tilejson = opened.tilejson;
      wireGrids(opened.layer);
      opened.layer.on('load', function () {
        entry.counts = countClasses(opened.layer);
        if (api.currentLayer === code) legend.setCounts(entry.counts);
      });
      return entry;
    });
    return entry;
  }

  function showLayer(code) {
    if (!layersByCode[code]) {
      return Promise.reject(new Error('no grid layer ' + code));
    }
    var entry = cache[code] || (cache[code] = load(code));
    api.currentLayer = code;
    api.state = 'loading';
    info.show(layersByCode[code]);
    info.status('加载中 Loading…');
    legend.setCounts(entry.counts);
    var radio = document.querySelector('input[data-testid="layer-' + code + '"]');
    if (radio) radio.checked = true;
    api.ready = entry.opened.then(function () {
      if (api.currentLayer !== code) return code;
      if (shown && shown !== entry.layer) shown.remove();
      if (!viewFitted) {
        // Where the grids are (of the caller's scope) is what users came for.
        viewFitted = true;
        var b = entry.tilejson.bounds;
        fitBounds(L.latLngBounds([b[1], b[0]], [b[3], b[2]]));
      }
      var drawn = new Promise(function (resolve) { entry.layer.once('load', resolve); });
      shown = entry.layer.addTo(map);
      return drawn;
    }).then(function () {
      if (api.currentLayer === code) {
        api.state = 'ready';
        info.status('');
        legend.setCounts(entry.counts);
        if (qa.on) qa.load();
      }
      return code;
    }, function (error) {
      delete cache[code]; // try again next time it is chosen
      if (api.currentLayer === code) {
        api.state = 'error';
        info.status('网格加载失败 Could not load grids: ' + error.message, true);
      }
      throw error;
    });
    return api.ready;
  }

  /** Fit the view to bounds, leaving room for the panels that float over a wide map. */
  function fitBounds(bounds, options) {
    var size = map.getSize();
    var padding = size.x > 900
      ? {paddingTopLeft: [270, 16], paddingBottomRight: [320, 16]}
      : {padding: [16, 16]};
    map.fitBounds(bounds, L.extend(padding, {animate: false}, options));
  }

  /** Fit the view to some districts (all when codes is empty); false when none is known. */
  function zoomToDistricts(codes, options) {
    var bounds = L.latLngBounds([]);
    Object.keys(districtBounds).forEach(function (code) {
      if (!codes || !codes.length || codes.indexOf(code) >= 0) {
        bounds.extend(districtBounds[code]);
      }
    });
    if (bounds.isValid()) fitBounds(bounds, options);
    return bounds.isValid();
  }

  /**
   * Say on the page what failed, and in the console for whoever debugs it. Only the grids
   * decide `state`: a map without outlines still answers the question it is asked.
   */
  function fail(what, fatal) {
    return function (error) {
      if (fatal) api.state = 'error';
      info.status(what + ': ' + error.message, true);
      window.console.error(what, error);
      return null;
    };
  }

  var layersLoaded = fetchJson('layers').then(function (layers) {
    layers.forEach(function (layer) { layersByCode[layer.code] = layer; });
    var first = layersByCode[config.defaultLayer] ? config.defaultLayer
      : (layers.length ? layers[0].code : null);
    switcher.setLayers(layers, first);
    if (!first) {
      api.state = 'ready';
      info.status('还没有网格图层 No grid layers yet');
      return null;
    }
    return showLayer(first);
  }, fail('图层加载失败 Could not load layers', true));

  var districtsLoaded = fetchJson(apiUrl('districts', null, config)).then(function (fc) {
    districts.addData(fc);
    districts.eachLayer(function (layer) {
      districtBounds[layer.feature.properties.code] = layer.getBounds();
    });
    switcher.setDistricts(fc.features);
    if (!viewFitted) zoomToDistricts([]);
  }, fail('区县加载失败 Could not load districts'));

  var communitiesLoaded = tiles.open('areas', {
    styles: {communities: communityStyle, districts: [], streets: []},
    pane: 'gmCommunities',
    interactive: false,
    crs: config.crs
  }).then(function (opened) {
    communities = opened.layer;
    var drawn = new Promise(function (resolve) { communities.once('load', resolve); });
    if (!communitiesOn) return null;
    communities.addTo(map);
    return drawn;
  }).catch(fail('社区加载失败 Could not load communities'));

  // Until the grids are drawn, `ready` is the whole start-up.
  if (!api.ready) api.ready = layersLoaded;
  api.loaded = Promise.all([layersLoaded, districtsLoaded, communitiesLoaded]);
  return api;
}

export {start};
