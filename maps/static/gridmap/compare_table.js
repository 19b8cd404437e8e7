/*
 * Gridmap scenarios page: a comparison of 2–5 items (scenarios and today's layers): the
 * metrics table with each column's workload definition, and the workload histograms.
 */

import {fmt, request} from './common.js';
import {setUpMaps} from './compare_maps.js';
import {$, api, el, itemName, showError, state} from './compare_state.js';

/** The colour of the i-th compared item (table header, histogram). */
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
  ['households_moved', '变动户数', 'Households moved', 0],
  // What the grid boundary runs along (界定清晰): its length, then shares of it.
  ['boundary.length_km', '网格边界(公里)', 'Grid boundary (km)', 1],
  ['boundary.visible', '边界沿道路或河流', 'On roads or the river', 'pct'],
  ['boundary.primary', '沿主干道', 'Along main roads', 'pct'],
  ['boundary.secondary', '沿次干道', 'Along secondary roads', 'pct'],
  ['boundary.branch', '沿支路', 'Along branch roads', 'pct'],
  ['boundary.lane', '沿巷道', 'Along lanes', 'pct'],
  ['boundary.river', '沿河流', 'Along the river', 'pct'],
  ['boundary.none', '无明显地物', 'Along nothing visible', 'pct']
];

/** ``m[path]`` for a path such as "boundary.primary" (undefined when absent). */
function metric(m, path) {
  return path.split('.').reduce(function (v, k) { return v === null || v === undefined ? v : v[k]; }, m);
}

export function compare(items) {
  var params = ['a', 'b', 'c', 'd', 'e'];
  var scen = items.filter(function (i) { return /^\d+$/.test(i); });
  var layers = items.filter(function (i) { return !/^\d+$/.test(i); });
  var ordered = scen.concat(layers);
  var query = ordered.slice(0, 5).map(function (v, i) {
    return params[i] + '=' + encodeURIComponent(v);
  });
  if (ordered.length > 5) { query.push('layers=' + encodeURIComponent(ordered.slice(5).join(','))); }
  return request('GET', '/scenarios/compare?' + query.join('&')).then(function (result) {
    state.compared = result.items.map(function (m, i) {
      m.ref = ordered[i];
      return m;
    });
    renderMetrics(result);
    renderHistograms();
    setUpMaps();
    return api.ready;
  }, function (err) { showError(err); throw err; });
}

function renderMetrics(result) {
  $('#metrics').hidden = false;
  var note = '口径 Basis: ' + result.basis_label;
  $('#metrics-note').textContent = note;
  var head = $('#metrics thead');
  head.textContent = '';
  var tr = el('tr', {}, [el('th')]);
  state.compared.forEach(function (m, i) {
    var th = el('th', {text: itemName(m), title: m.code});
    th.style.borderTop = '4px solid ' + COLORS[i % COLORS.length];
    tr.appendChild(th);
  });
  head.appendChild(tr);
  var body = $('#metrics tbody');
  body.textContent = '';
  var defined = el('tr', {'data-testid': 'definitions'}, [el('th', {text: '工作量口径 Workload'})]);
  state.compared.forEach(function (m) { defined.appendChild(el('td', {text: definition(m)})); });
  body.appendChild(defined);
  METRICS.forEach(function (row) {
    var line = el('tr', {'data-metric': row[0]}, [el('th', {text: row[1] + ' ' + row[2]})]);
    state.compared.forEach(function (m) {
      line.appendChild(el('td', {text: fmt(metric(m, row[0]), row[3])}));
    });
    body.appendChild(line);
  });
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
  state.compared.forEach(function (m) {
    m.histogram.counts.forEach(function (n) { top = Math.max(top, n); });
  });
  state.compared.forEach(function (m, k) {
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
