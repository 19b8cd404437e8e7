/*
 * Gridmap scenarios page (方案比选): run scenarios, follow their progress, compare 2–5 of them
 * with today's layers (metrics table, workload histograms, two synchronised maps with a "what
 * changed" overlay), read the 多网合一 crosswalk and the impact on a community, adopt one.
 *
 * Started by the page (maps/compare_page.py) as GridmapCompare.start(config), where
 * config = {band: [low, high], scopeCode: '361002', selected: ['12', 'unified']}.
 * Data comes from the app's own API: /scenarios… and /layers… as JSON, the two maps' grids as
 * vector tiles (/tiles/grids.{code}, through tiles.js and Leaflet.VectorGrid).
 *
 * For tests it publishes window.gridmapCompare:
 *   maps          {left, right}: the two Leaflet maps (once a comparison is shown)
 *   ready         Promise resolving when both maps have drawn their grids
 *   counts        {left, right, changes}: grids drawn (each once, whatever tiles it spans)
 *   compare(items) run a comparison, returns the ready Promise
 *
 * Plain ES2017 without optional chaining: county offices run old Chromium-based browsers.
 */

import {BAND_COLORS, fmt, label as codeLabel, request} from './common.js';
import * as tiles from './tiles.js';

var COLORS = ['#2c6e9b', '#c4391d', '#6a8f3a', '#8a5fb0', '#d08c1a', '#4a4a4a'];
var METRICS = [
  ['grid_count', '网格数', 'Grids', 0],
  ['workload_mean', '平均工作量', 'Mean workload', 1],
  ['workload_cv', '变异系数', 'CV', 3],
  ['workload_min', '最小', 'Min', 0],
  ['workload_max', '最大', 'Max', 0],
  ['share_in_band', '达标比例', 'Share in band', 'pct'],
  ['households_per_grid', '户/网格', 'Households per grid', 1],
  ['polsby_popper_mean', '紧凑度', 'Polsby–Popper', 3],
  ['grids_crossing_communities', '跨社区网格', 'Crossing communities', 0],
  ['units_moved', '较现统一网格变动单元', 'Units moved from unified', 0],
  ['households_moved', '变动户数', 'Households moved', 0]
];

var config = null;
var scenarios = [];
var compared = [];
var pollTimer = null;
var mapsState = {left: null, right: null, leftLayer: null, rightLayer: null, changes: []};
var api = window.gridmapCompare = {maps: {}, counts: {}, ready: Promise.resolve()};

function $(sel) { return document.querySelector(sel); }

function el(tag, attrs, children) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) {
    if (k === 'text') { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
  });
  (children || []).forEach(function (c) {
    node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  });
  return node;
}

// ------------------------------------------------------------------ scenario list

function loadList() {
  return request('GET', '/scenarios').then(function (list) {
    scenarios = list;
    renderList();
    var busy = list.some(function (s) { return s.state === 'queued' || s.state === 'running'; });
    clearTimeout(pollTimer);
    if (busy) { pollTimer = setTimeout(loadList, 1000); }
  });
}

function renderList() {
  var body = $('#list tbody');
  body.textContent = '';
  scenarios.forEach(function (s) {
    var job = s.job || {progress: {done: 0, total: 0}};
    var box = el('input', {type: 'checkbox', value: String(s.id), 'data-testid': 'pick-' + s.id});
    if (!s.layer) { box.disabled = true; }
    if (config.selected.indexOf(String(s.id)) >= 0) { box.checked = true; }
    // Until the job has counted its communities there is nothing to count: say 准备中, and
    // let the bar run without a value (never "running 0/0").
    var counted = job.progress.total > 0;
    var bar = el('progress', {max: String(Math.max(job.progress.total, 1)), 'data-testid': 'progress-' + s.id});
    if (counted || !(s.state === 'queued' || s.state === 'running')) {
      bar.value = job.progress.done;
    }
    var label = el('span', {
      text: counted ? job.progress.done + '/' + job.progress.total
        : (s.state === 'queued' || s.state === 'running' ? '准备中… Preparing…' : ''),
      'data-testid': 'progress-label-' + s.id
    });
    var name = el('a', {href: '#detail', text: s.name});
    name.addEventListener('click', function () { showDetail(s.id); });
    var actions = el('td');
    if (s.state === 'queued' || s.state === 'running') {
      var cancel = el('button', {type: 'button', text: '取消 Cancel', 'data-testid': 'cancel-' + s.id});
      cancel.addEventListener('click', function () {
        request('POST', '/scenarios/' + s.id + '/cancel').then(loadList, showError);
      });
      actions.appendChild(cancel);
    } else if (s.layer) {
      actions.appendChild(el('a', {href: '/scenarios/' + s.id + '/report', text: '报告 Report'}));
    }
    var summary = s.summary || {};
    var state = el('td', {text: codeLabel('scenario_states', s.state)});
    if (s.job && s.job.error) { state.title = s.job.error; state.className = 'cmp-error'; }
    body.appendChild(el('tr', {}, [
      el('td', {}, [box]), el('td', {}, [name]), el('td', {text: s.area.join(', ')}),
      state, el('td', {}, [bar, ' ', label]),
      el('td', {text: fmt(summary.count, 0)}), el('td', {text: fmt(summary.workload_cv, 3)}),
      actions
    ]));
  });
}

function loadReferenceLayers() {
  return request('GET', '/layers').then(function (layers) {
    var holder = $('#ref-layers');
    layers.filter(function (l) { return l.kind === 'unified' || l.kind === 'department'; })
      .forEach(function (l) {
        var box = el('input', {type: 'checkbox', value: l.code, 'data-testid': 'ref-' + l.code});
        if (config.selected.indexOf(l.code) >= 0) { box.checked = true; }
        holder.appendChild(el('label', {class: 'cmp-ref'}, [box, ' ' + l.name]));
      });
  });
}

function selectedItems() {
  var picked = [];
  document.querySelectorAll('#list tbody input:checked').forEach(function (b) {
    picked.push(b.value);
  });
  document.querySelectorAll('#ref-layers input:checked').forEach(function (b) {
    picked.push(b.value);
  });
  return picked;
}

// ------------------------------------------------------------------ creating

function onCreate(event) {
  event.preventDefault();
  var f = event.target;
  var num = function (name) { return f[name].value === '' ? null : Number(f[name].value); };
  var body = {
    name: f.name.value, area: f.area.value.split(/[\s,，]+/).filter(Boolean),
    seed: num('seed') || 0, from_unified: f.from_unified.checked,
    keep_locked: f.keep_locked.checked
  };
  if (num('target_count') !== null) { body.target_count = num('target_count'); }
  if (num('band_low') !== null && num('band_high') !== null) {
    body.band = [num('band_low'), num('band_high')];
  }
  var keys = ['households', 'population', 'buildings', 'incidents_per_year', 'care_people'];
  if (keys.some(function (k) { return num('w_' + k) !== null; })) {
    body.weights = {};
    keys.forEach(function (k) { body.weights[k] = num('w_' + k) || 0; });
  }
  $('#create-msg').textContent = '…';
  request('POST', '/scenarios', body).then(function (s) {
    $('#create-msg').textContent = '已排队 queued: #' + s.id;
    return loadList();
  }, showError);
}

function showError(err) {
  var msg = $('#create-msg');
  msg.textContent = '错误 Error: ' + err.message;
  msg.className = 'cmp-msg cmp-error';
}

// ------------------------------------------------------------------ comparing

function compare(items) {
  var params = ['a', 'b', 'c', 'd', 'e'];
  var scen = items.filter(function (i) { return /^\d+$/.test(i); });
  var layers = items.filter(function (i) { return !/^\d+$/.test(i); });
  var ordered = scen.concat(layers);
  var query = ordered.slice(0, 5).map(function (v, i) {
    return params[i] + '=' + encodeURIComponent(v);
  });
  if (ordered.length > 5) { query.push('layers=' + encodeURIComponent(ordered.slice(5).join(','))); }
  return request('GET', '/scenarios/compare?' + query.join('&')).then(function (result) {
    compared = result.items.map(function (m, i) {
      m.ref = ordered[i];
      return m;
    });
    renderMetrics(result);
    renderHistograms();
    setUpMaps();
    return api.ready;
  }, function (err) { showError(err); throw err; });
}
api.compare = compare;

function renderMetrics(result) {
  $('#metrics').hidden = false;
  var note = '口径 Basis: ' + result.basis_label;
  $('#metrics-note').textContent = note;
  var head = $('#metrics thead');
  head.textContent = '';
  var tr = el('tr', {}, [el('th')]);
  compared.forEach(function (m, i) {
    var th = el('th', {text: itemName(m), title: m.code});
    th.style.borderTop = '4px solid ' + COLORS[i % COLORS.length];
    tr.appendChild(th);
  });
  head.appendChild(tr);
  var body = $('#metrics tbody');
  body.textContent = '';
  var defined = el('tr', {'data-testid': 'definitions'}, [el('th', {text: '工作量口径 Workload'})]);
  compared.forEach(function (m) { defined.appendChild(el('td', {text: definition(m)})); });
  body.appendChild(defined);
  METRICS.forEach(function (row) {
    var line = el('tr', {'data-metric': row[0]}, [el('th', {text: row[1] + ' ' + row[2]})]);
    compared.forEach(function (m) { line.appendChild(el('td', {text: fmt(m[row[0]], row[3])})); });
    body.appendChild(line);
  });
}

// A column's name as people read it: the scenario's name and number, or the layer's name.
function itemName(m) {
  return m.scenario_id ? m.label + ' #' + m.scenario_id : m.label;
}

var WEIGHT_NAMES = {households: '户数', population: '人口', buildings: '楼栋',
  incidents_per_year: '年事件', care_people: '关爱对象'};

// "户数×1 · 标准 300–500": the weights and band this column is scored by.
function definition(m) {
  var terms = Object.keys(m.weights).filter(function (k) { return m.weights[k]; })
    .map(function (k) { return (WEIGHT_NAMES[k] || k) + '×' + m.weights[k]; });
  return terms.join(' + ') + ' · 标准 ' + m.band.join('–') +
    (m.definition === 'scenario' ? ' (方案参数 own run)' : ' (系统默认 installation)');
}

function renderHistograms() {
  var holder = $('#histograms');
  holder.textContent = '';
  var top = 1;
  compared.forEach(function (m) {
    m.histogram.counts.forEach(function (n) { top = Math.max(top, n); });
  });
  compared.forEach(function (m, k) {
    holder.appendChild(histogram(m, top, COLORS[k % COLORS.length], m.band));
  });
}

function histogram(m, top, color, band) {
  var ns = 'http://www.w3.org/2000/svg';
  var w = 280, h = 120, pad = 24;
  var svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 ' + w + ' ' + (h + 18));
  svg.setAttribute('class', 'cmp-hist');
  svg.setAttribute('role', 'img');
  var edges = m.histogram.edges, counts = m.histogram.counts;
  var max = edges[edges.length - 1] || 1;
  var bw = (w - pad) / counts.length;
  var shape = function (tag, attrs) {
    var node = document.createElementNS(ns, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    svg.appendChild(node);
    return node;
  };
  shape('rect', {x: pad + (w - pad) * band[0] / max, y: 0, width: (w - pad) * (band[1] - band[0]) / max,
    height: h, fill: '#eef5e6'});
  counts.forEach(function (n, i) {
    var bh = (h - 8) * n / top;
    var bar = shape('rect', {x: pad + i * bw + 0.5, y: h - bh, width: Math.max(bw - 1, 1),
      height: bh, fill: color});
    var title = document.createElementNS(ns, 'title');
    title.textContent = edges[i] + '–' + edges[i + 1] + ': ' + n;
    bar.appendChild(title);
  });
  shape('line', {x1: pad, x2: w, y1: h, y2: h, stroke: '#555'});
  var label = function (x, y, text, anchor) {
    var t = shape('text', {x: x, y: y, 'font-size': 9, 'text-anchor': anchor || 'start'});
    t.textContent = text;
  };
  label(pad, h + 12, '0');
  label(w, h + 12, fmt(max), 'end');
  label(0, 9, String(top));
  var figure = el('figure', {class: 'cmp-hist-fig', 'data-testid': 'histogram'});
  figure.appendChild(svg);
  figure.appendChild(el('figcaption', {text: m.label + ' (' + fmt(m.grid_count, 0) + ')'}));
  return figure;
}

// ------------------------------------------------------------------ maps

function makeMap(id) {
  var map = L.map(id, {zoomControl: true, preferCanvas: false, zoomSnap: 0.25});
  map.setView([27.95, 116.36], 11);
  L.control.scale({imperial: false}).addTo(map);
  return map;
}

// Pan and zoom together: a move of one map sets the other's view; the flag stops the echo.
function sync(a, b) {
  var busy = false;
  function follow(src, dst) {
    src.on('move zoomend', function () {
      if (busy) { return; }
      busy = true;
      dst.setView(src.getCenter(), src.getZoom(), {animate: false});
      busy = false;
    });
  }
  follow(a, b);
  follow(b, a);
}

function setUpMaps() {
  $('#maps').hidden = false;
  if (!mapsState.left) {
    mapsState.left = makeMap('map-left');
    mapsState.right = makeMap('map-right');
    sync(mapsState.left, mapsState.right);
    api.maps = {left: mapsState.left, right: mapsState.right};
    $('#left-select').addEventListener('change', drawMaps);
    $('#right-select').addEventListener('change', drawMaps);
    $('#changes-toggle').addEventListener('change', drawMaps);
  }
  ['#left-select', '#right-select'].forEach(function (sel, side) {
    var select = $(sel);
    select.textContent = '';
    compared.forEach(function (m, i) {
      select.appendChild(el('option', {value: String(i), text: itemName(m)}));
    });
    select.value = String(Math.min(side, compared.length - 1));
  });
  drawMaps();
}

function gridStyle(properties) {
  return {color: '#ffffff', weight: 1, fill: true, fillOpacity: 0.75,
    fillColor: BAND_COLORS[properties.band] || '#cccccc'};
}

/** A layer's grids as vector tiles (TileJSON first: the URLs of its current version). */
function openLayer(map, code, old) {
  if (old) { map.removeLayer(old); }
  return tiles.open('grids.' + code, {styles: {grids: gridStyle}})
    .then(function (opened) {
      var tooltip = L.tooltip({sticky: true});
      opened.layer.on('mouseover', function (e) {
        var p = e.layer.properties;
        map.openTooltip(tooltip.setLatLng(e.latlng).setContent(
          p.code + ' · ' + fmt(p.workload, 0)));
      });
      opened.layer.on('mouseout', function () { map.closeTooltip(tooltip); });
      return opened;
    });
}

/** Add a layer to its map and resolve, once its tiles in view are drawn, with the count of
 * grids drawn (each once, whatever tiles it spans). */
function draw(map, opened) {
  return new Promise(function (resolve) {
    opened.layer.once('load', function () {
      resolve({layer: opened.layer,
        count: tiles.features(opened.layer).length});
    });
    opened.layer.addTo(map);
  });
}

function drawMaps() {
  var left = compared[Number($('#left-select').value)];
  var right = compared[Number($('#right-select').value)];
  mapsState.changes.forEach(function (pair) { pair[0].removeLayer(pair[1]); });
  mapsState.changes = [];
  var first = !mapsState.leftLayer;
  api.ready = Promise.all([
    openLayer(mapsState.left, left.code, mapsState.leftLayer),
    openLayer(mapsState.right, right.code, mapsState.rightLayer)
  ]).then(function (opened) {
    var b = opened[0].tilejson.bounds;
    if (first && b[0] > -180) {
      mapsState.left.fitBounds(L.latLngBounds([b[1], b[0]], [b[3], b[2]]), {animate: false});
    }
    return Promise.all([draw(mapsState.left, opened[0]), draw(mapsState.right, opened[1])]);
  }).then(function (drawn) {
    mapsState.leftLayer = drawn[0].layer;
    mapsState.rightLayer = drawn[1].layer;
    api.counts.left = drawn[0].count;
    api.counts.right = drawn[1].count;
    if (!$('#changes-toggle').checked || left.code === right.code) {
      api.counts.changes = 0;
      $('#changes-count').textContent = '';
      return api.counts;
    }
    return request('GET', '/scenarios/compare/changes?a=' + encodeURIComponent(left.ref) +
      '&b=' + encodeURIComponent(right.ref)).then(function (fc) {
      [mapsState.left, mapsState.right].forEach(function (map) {
        var overlay = L.geoJSON(fc, {style: {color: '#b30000', weight: 2, fill: false,
          dashArray: '4 3'}, interactive: false}).addTo(map);
        mapsState.changes.push([map, overlay]);
      });
      api.counts.changes = fc.features.length;
      $('#changes-count').textContent = '变动单元 units changed: ' + fc.features.length;
      return api.counts;
    });
  });
  return api.ready;
}

// ------------------------------------------------------------------ one scenario

var crosswalkRows = [];

function showDetail(id) {
  return Promise.all([
    request('GET', '/scenarios/' + id),
    request('GET', '/scenarios/' + id + '/crosswalk')
  ]).then(function (got) {
    var s = got[0], xw = got[1];
    $('#detail').hidden = false;
    $('#detail').setAttribute('data-scenario', String(id));
    $('#detail-name').textContent = s.name + ' #' + s.id;
    var links = $('#detail-links');
    links.textContent = '';
    var add = function (href, text) {
      links.appendChild(el('a', {href: href, text: text}));
      links.appendChild(document.createTextNode(' · '));
    };
    add('/scenarios/' + id + '/report', '打印报告 Printable report');
    add('/scenarios/' + id + '/crosswalk?format=csv', '对照表 CSV');
    add('/scenarios/' + id + '/crosswalk?format=xlsx', '对照表 XLSX');
    ['gpkg', 'shp', 'xlsx'].forEach(function (f) {
      add('/layers/' + encodeURIComponent(s.layer) + '/export?format=' + f, '导出 ' + f.toUpperCase());
    });
    renderFigures(xw.figures);
    crosswalkRows = xw.rows;
    renderCrosswalk();
    $('#adopt-btn').disabled = s.state !== 'done';
    $('#adopt-result').textContent = s.adoption ? followUp(s.adoption) : '';
  }, showError);
}

function renderFigures(f) {
  var holder = $('#figures');
  holder.textContent = '';
  var table = el('table', {class: 'cmp-table cmp-small'});
  table.appendChild(el('tr', {}, [el('th'), el('th', {text: '网格 Grids'}),
    el('th', {text: '户/网格 Households/grid'})]));
  f.before.departments.forEach(function (d) {
    table.appendChild(el('tr', {}, [el('th', {text: d.name}), el('td', {text: fmt(d.grids, 0)}),
      el('td', {text: fmt(d.households_per_grid, 1)})]));
  });
  table.appendChild(el('tr', {class: 'cmp-total'}, [el('th', {text: '合并前 Before (total)'}),
    el('td', {text: fmt(f.before.grids, 0), 'data-testid': 'grids-before'}),
    el('td', {text: fmt(f.before.households_per_grid, 1)})]));
  table.appendChild(el('tr', {class: 'cmp-total'}, [el('th', {text: '方案 After'}),
    el('td', {text: fmt(f.after.grids, 0), 'data-testid': 'grids-after'}),
    el('td', {text: fmt(f.after.households_per_grid, 1)})]));
  holder.appendChild(table);
  holder.appendChild(el('p', {text: '需网格员（每格一人）Grid workers needed: ' +
    fmt(f.after.grid_workers, 0) + '（合并前 before ' + fmt(f.before.grid_workers, 0) + '）'}));
}

function renderCrosswalk() {
  var filter = $('#xwalk-filter').value.trim();
  var table = $('#detail table[data-testid="crosswalk"]');
  var head = table.querySelector('thead');
  head.textContent = '';
  head.appendChild(el('tr', {}, ['部门 Layer', '原网格 Grid', '新网格 New grid', '户数 Households',
    '户数占比 Share', '面积占比 Area share'].map(function (t) { return el('th', {text: t}); })));
  var body = table.querySelector('tbody');
  body.textContent = '';
  var rows = crosswalkRows.filter(function (r) {
    return !filter || r.d_code.indexOf(filter) >= 0 || r.s_code.indexOf(filter) >= 0;
  });
  rows.slice(0, 300).forEach(function (r) {
    body.appendChild(el('tr', {}, [el('td', {text: r.layer}), el('td', {text: r.d_code}),
      el('td', {text: r.s_code}), el('td', {text: fmt(r.households, 0)}),
      el('td', {text: fmt(r.households_share, 'pct')}), el('td', {text: fmt(r.area_share, 'pct')})]));
  });
  if (rows.length > 300) {
    body.appendChild(el('tr', {}, [el('td', {colspan: '6',
      text: '… ' + (rows.length - 300) + ' more: 下载 CSV/XLSX download'})]));
  }
}

function onImpact(event) {
  event.preventDefault();
  var id = $('#detail').getAttribute('data-scenario');
  var code = event.target.community.value.trim();
  request('GET', '/scenarios/' + id + '/impact?community=' + encodeURIComponent(code))
    .then(function (r) {
      var holder = $('#impact');
      holder.textContent = '';
      holder.appendChild(el('p', {text: r.community.name + ': ' + r.buildings.length +
        ' 栋楼 buildings, ' + r.buildings_moved + ' 换网格 change grid'}));
      var people = el('table', {class: 'cmp-table cmp-small'});
      people.appendChild(el('tr', {}, ['人员 Person', '角色 Role', '原网格 Before', '新网格 After',
        '楼栋 Buildings', '+', '−'].map(function (t) { return el('th', {text: t}); })));
      r.people.forEach(function (p) {
        people.appendChild(el('tr', {}, [p.person, p.role, p.grid_before, p.grid_after || '–',
          p.buildings_before + ' → ' + p.buildings_after, '+' + p.gained, '−' + p.lost]
          .map(function (t) { return el('td', {text: String(t)}); })));
      });
      holder.appendChild(people);
      if (r.leaders && r.leaders.length) {
        var leaders = el('div', {'data-testid': 'impact-leaders'});
        leaders.appendChild(el('p', {text: '网格合并后的网格长 Grid leaders after merging:'}));
        r.leaders.forEach(function (d) { leaders.appendChild(el('p', {text: d.text})); });
        holder.appendChild(leaders);
      }
      var moved = el('table', {class: 'cmp-table cmp-small'});
      moved.appendChild(el('tr', {}, ['楼栋 Building', '户 Households', '原网格 Before',
        '新网格 After'].map(function (t) { return el('th', {text: t}); })));
      r.buildings.filter(function (b) { return b.grid_before !== b.grid_after; })
        .forEach(function (b) {
          moved.appendChild(el('tr', {}, [b.name + ' ' + b.code, b.households, b.grid_before || '–',
            b.grid_after || '–'].map(function (t) { return el('td', {text: String(t)}); })));
        });
      holder.appendChild(moved);
    }, showError);
}

var FOLLOW_UP = {
  grids_without_leader: '无网格长的网格 Grids without a leader',
  assignments_without_grid: '待处理任命 Assignments without a grid',
  field_workers_without_grid: '无网格的网格员 Field workers without a grid',
  assignments_archived: '因网格合并归档 Archived by the merge (网格合并)'
};

function followUp(adoption) {
  var f = adoption.follow_up || {};
  return ['已采纳 Adopted: 统一网格第 ' + adoption.unified_version + ' 版'].concat(
    Object.keys(FOLLOW_UP).map(function (k) {
      return FOLLOW_UP[k] + ': ' + (f[k] || []).length;
    })).join(' · ');
}

function onAdopt() {
  var id = $('#detail').getAttribute('data-scenario');
  if (!window.confirm('采纳后该方案成为统一网格。确定？ Adopt this scenario as the unified layer?')) {
    return;
  }
  request('POST', '/scenarios/' + id + '/adopt').then(function (s) {
    $('#adopt-result').textContent = followUp(s.adoption);
    loadList();
  }, function (err) {
    $('#adopt-result').textContent = '未采纳 not adopted (' + err.status + '): ' + err.message;
  });
}

function start(cfg) {
  config = cfg;
  config.selected = config.selected || [];
  $('#create-form').addEventListener('submit', onCreate);
  $('#compare-btn').addEventListener('click', function () {
    var items = selectedItems();
    if (items.length < 2) { showError(new Error('选择至少两项 pick at least two')); return; }
    compare(items);
  });
  $('#xwalk-filter').addEventListener('input', renderCrosswalk);
  $('#impact-form').addEventListener('submit', onImpact);
  $('#adopt-btn').addEventListener('click', onAdopt);
  if (config.scopeCode && config.scopeCode.length === 6) {
    $('#create-form').area.value = config.scopeCode;
  }
  api.loaded = Promise.all([loadList(), loadReferenceLayers()]).then(function () {
    if (config.selected.length >= 2) { return compare(config.selected); }
    return null;
  });
}

export {start};
