/*
 * Gridmap /province (区县比较): the counties of the caller's scope coloured by one figure, the
 * same figures in a sortable table, and a drill: county → its streets → their communities →
 * a community's grids on the map (with a link to the city map).
 *
 * Started by maps/province_page.py as GridmapProvince.start(leafletMap, config), where
 * config = {band, crs, figures: {key: [label, digits]}, levels: {level: label}}.
 * Data: rollups?by=&within= (JSON figures, gis.rollups); outlines from the vector tiles only
 * (tiles/areas, tiles/grids.unified through tiles.js): the page never downloads a province's
 * geometry, and zooms to an area by the four numbers of its bbox.
 *
 * For tests it publishes window.gridmapProvince: state, ready (Promise: the first table and the
 * outlines' TileJSON), drill(code) (Promise: the next level drawn, or a community's grids shown),
 * up(index) (back to a level of the trail).
 *
 * Plain ES2017 without optional chaining.
 */

import {CLASSES, classify, el, fmt, query as q, request} from './common.js';
import * as tiles from './tiles.js';

var LEVELS = ['district', 'street', 'community'];
var KEY_LENGTH = {district: 6, street: 9, community: 12};
var LAYER_OF = {districts: 'district', streets: 'street', communities: 'community'};
var RAMP = ['#eef3e6', '#c6dbb2', '#8fbf7f', '#4f9a5c', '#1f6b3f'];
var NO_DATA = '#c8ced6';
var COLUMNS = [
  ['units', 0], ['grids', 0], ['workload_cv', 3], ['share_in_band', 'pct'],
  ['grids_per_worker', 2], ['incidents_per_grid', 2], ['members_per_grid', 2]
];

function say(st, text, isError) {
  st.status.textContent = text || '';
  st.status.className = 'gn-status' + (isError ? ' gn-error' : '');
}

function top(st) { return st.stack[st.stack.length - 1]; }

/** Five equal steps from the least to the most of the chosen figure over the rows shown
 * (nulls left out): a legend a planner reads at a glance, whatever the number of areas. */
function breaks(st) {
  var values = st.rows.map(function (r) { return r[st.figure]; })
    .filter(function (v) { return v !== null && v !== undefined; });
  if (!values.length) return [];
  var low = Math.min.apply(null, values);
  var high = Math.max.apply(null, values);
  if (high === low) return [];
  return [1, 2, 3, 4].map(function (i) { return low + (high - low) * i / 5; });
}

function colour(st, value) {
  if (value === null || value === undefined) return NO_DATA;
  var i = 0;
  while (i < st.breaks.length && value >= st.breaks[i]) i += 1;
  return RAMP[Math.min(i, RAMP.length - 1)];
}

/** The style of one admin level's outlines: the level shown is filled by its figure; the area
 * drilled into keeps a dark outline; every other outline is left out of the drawing. */
function areaStyle(st, level) {
  return function (props) {
    var now = top(st);
    if (level === now.by) {
      var row = st.byCode[props.code];
      if (!row) return [];
      var on = props.code === st.selected;
      return {weight: on ? 3 : 1, color: on ? '#14202e' : '#ffffff', fill: true,
              fillOpacity: 0.78, fillColor: colour(st, row[st.figure])};
    }
    if (now.within && props.code === now.within.slice(0, KEY_LENGTH[level])) {
      return {weight: 2.5, color: '#14202e', fill: false};
    }
    return [];
  };
}

function gridStyle(st) {
  return function (props) {
    if (!st.community || props.community_code !== st.community) return [];
    var cls = CLASSES[classify(Number(props.workload), st.config.band)];
    return {weight: 1, color: '#14202e', fill: true, fillOpacity: 0.85, fillColor: cls.color};
  };
}

function fitBox(st, bbox) {
  if (!bbox) return;
  st.map.invalidateSize({pan: false});  // the grid layout may have sized the map after start
  st.map.fitBounds(L.latLngBounds([bbox[1], bbox[0]], [bbox[3], bbox[2]]), {animate: false});
}

function renderLegend(st) {
  st.legend.textContent = '';
  var label = st.config.figures[st.figure];
  var edges = st.breaks.map(function (b) { return fmt(b, label[1]); });
  if (!edges.length && st.rows.length) {
    var one = el('span', '', null, st.legend);
    el('span', 'gp-swatch', null, one).style.background = RAMP[0];
    one.appendChild(document.createTextNode('全部相同'));
  }
  RAMP.forEach(function (c, i) {
    if (!edges.length) return;
    var text = i === 0 ? '< ' + edges[0] : i === RAMP.length - 1 ? '≥ ' + edges[i - 1]
      : edges[i - 1] + ' – ' + edges[i];
    var item = el('span', '', null, st.legend);
    el('span', 'gp-swatch', null, item).style.background = c;
    item.appendChild(document.createTextNode(text));
  });
  var none = el('span', '', null, st.legend);
  el('span', 'gp-swatch', null, none).style.background = NO_DATA;
  none.appendChild(document.createTextNode('无数据'));
}

function sortedRows(st) {
  var key = st.sort.key;
  var dir = st.sort.dir;
  return st.rows.slice().sort(function (a, b) {
    var x = a[key];
    var y = b[key];
    if (key === 'name') return dir * String(x).localeCompare(String(y), 'zh-CN');
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return dir * (x - y);
  });
}

function renderTable(st) {
  st.body.textContent = '';
  sortedRows(st).forEach(function (r) {
    var row = el('tr', r.code === st.selected ? 'gp-on' : '', null, st.body);
    row.setAttribute('data-code', r.code);
    var name = el('td', '', null, row);
    el('span', 'gp-swatch', null, name).style.background = colour(st, r[st.figure]);
    name.appendChild(document.createTextNode(r.name));
    COLUMNS.forEach(function (c) { el('td', 'gp-num', fmt(r[c[0]], c[1]), row); });
    row.addEventListener('click', function () { drill(st, r.code); });
  });
  Array.prototype.forEach.call(st.heads, function (th) {
    if (th.getAttribute('data-sort') === st.sort.key) {
      th.setAttribute('aria-sort', st.sort.dir > 0 ? 'ascending' : 'descending');
    } else {
      th.removeAttribute('aria-sort');
    }
  });
}

function renderTrail(st) {
  st.trail.textContent = '';
  st.stack.forEach(function (entry, i) {
    var last = i === st.stack.length - 1;
    var item = el(last ? 'span' : 'a', '', entry.name, st.trail);
    if (!last) item.addEventListener('click', function () { up(st, i); });
  });
  var now = top(st);
  st.title.textContent = st.config.levels[now.by] + '（' + st.rows.length + '）';
  ['csv', 'xlsx'].forEach(function (format) {
    st['export_' + format].href = 'rollups/export' + q({by: now.by, within: now.within, format: format});
  });
}

function redraw(st) {
  st.breaks = breaks(st);
  renderLegend(st);
  renderTable(st);
  renderTrail(st);
  if (st.areas) st.areas.redraw();
  if (st.grids) st.grids.redraw();
}

function load(st) {
  var now = top(st);
  say(st, '加载中…');
  return request('GET', 'rollups' + q({by: now.by, within: now.within})).then(function (answer) {
    st.rows = answer.areas;
    st.byCode = {};
    st.rows.forEach(function (r) { st.byCode[r.code] = r; });
    redraw(st);
    say(st, '');
  }).catch(function (err) { say(st, err.message, true); });
}

/** A community's grids on the map, from the unified layer's tiles (opened once). */
function showGrids(st, code) {
  st.community = code;
  if (st.gridsOpened) {
    return st.gridsOpened.then(function () { redraw(st); });
  }
  st.gridsOpened = tiles.open('grids.unified', {
    styles: {grids: gridStyle(st)}, crs: st.config.crs, root: ''
  }).then(function (opened) {
    st.grids = opened.layer.addTo(st.map);
    st.grids.on('click', function (e) {
      var p = e.layer.properties;
      L.popup().setLatLng(e.latlng).setContent(gridPopup(p)).openOn(st.map);
    });
    redraw(st);
  });
  return st.gridsOpened;
}

function gridPopup(p) {
  var box = el('div', 'gp-popup');
  el('strong', '', p.name, box);
  el('div', '', '工作量 ' + fmt(Number(p.workload), 1) + ' · 户数 ' + fmt(p.households), box);
  var link = el('a', '', '在网格地图中查看 →', box);
  link.href = './';
  return box;
}

function drill(st, code) {
  var now = top(st);
  var row = st.byCode[code];
  if (!row) return Promise.resolve();
  st.selected = code;
  fitBox(st, row.bbox);
  if (now.by === 'community') return showGrids(st, code);
  var next = LEVELS[LEVELS.indexOf(now.by) + 1];
  st.stack.push({by: next, within: code, name: row.name, bbox: row.bbox});
  st.selected = null;
  st.community = null;
  return load(st);
}

function up(st, index) {
  st.stack = st.stack.slice(0, index + 1);
  st.selected = null;
  st.community = null;
  var now = top(st);
  if (now.bbox) fitBox(st, now.bbox);
  else if (st.bounds) fitBox(st, st.bounds);
  return load(st);
}

function wireControls(st) {
  Object.keys(st.config.figures).forEach(function (key) {
    var option = el('option', '', st.config.figures[key][0], st.figureSelect);
    option.value = key;
  });
  st.figureSelect.value = st.figure;
  st.figureSelect.addEventListener('change', function () {
    st.figure = st.figureSelect.value;
    redraw(st);
  });
  Array.prototype.forEach.call(st.heads, function (th) {
    th.addEventListener('click', function () {
      var key = th.getAttribute('data-sort');
      st.sort = {key: key, dir: st.sort.key === key ? -st.sort.dir : 1};
      renderTable(st);
    });
  });
}

function openAreas(st) {
  var styles = {};
  Object.keys(LAYER_OF).forEach(function (name) { styles[name] = areaStyle(st, LAYER_OF[name]); });
  return tiles.open('areas', {styles: styles, crs: st.config.crs, root: ''}).then(function (opened) {
    st.areas = opened.layer.addTo(st.map);
    st.bounds = opened.tilejson.bounds;
    fitBox(st, st.bounds);
    st.areas.on('click', function (e) {
      var p = e.layer.properties;
      if (p.level === top(st).by) drill(st, p.code);
    });
  });
}

export function start(map, config) {
  var q1 = function (id) { return document.querySelector('[data-testid="' + id + '"]'); };
  var st = {
    map: map, config: config, rows: [], byCode: {}, breaks: [], selected: null, community: null,
    stack: [{by: 'district', within: '', name: '全部区县'}],
    figure: 'workload_cv', sort: {key: 'name', dir: 1},
    status: q1('status'), legend: q1('legend'), body: q1('rows'), trail: q1('trail'),
    title: q1('table-title'), figureSelect: q1('figure'),
    export_csv: q1('export-csv'), export_xlsx: q1('export-xlsx'),
    heads: document.querySelectorAll('[data-testid="areas"] th[data-sort]'),
    areas: null, grids: null, gridsOpened: null, bounds: null
  };
  wireControls(st);
  var ready = Promise.all([openAreas(st), load(st)]).catch(function (err) {
    say(st, err.message, true);
  });
  window.gridmapProvince = {
    state: st, ready: ready,
    drill: function (code) { return drill(st, code); },
    up: function (index) { return up(st, index); }
  };
}
