/*
 * Gridmap city map: its controls (Leaflet controls, no data of their own): the layer switcher
 * with the overlays and the extent menu, the info panel with the layer's figures and a status
 * line, and the workload legend with each class's count.
 */

import {CLASSES, classRanges, el, fmt} from './common.js';

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

/** A layer's English name (the Chinese one comes from /layers). */
function englishName(layer) {
  return ENGLISH[layer.code] || layer.code;
}

/** The layer switcher: app is window.gridmap (showLayer, zoomToDistricts). */
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

/** The shown layer's name and figures, and a status line (errors in red). */
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

/** The workload classes against the band, each with how many grids in view are in it. */
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

export {InfoPanel, LayerSwitcher, Legend};
