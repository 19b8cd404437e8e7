/*
 * Gridmap 考核 page: the field workers' monthly scores, ranked per street, in a table (rank,
 * worker, grid, score, share of time in the own grid against the 60 % rule) and on the map
 * (each worker's grid coloured by score); a click on a row or a grid shows "why is the score
 * N?" line by line. The export links follow the chosen month.
 *
 * Started by maps/assessment_page.py as GridmapAssessment.start(leafletMap, config), where
 * config = {ruleShare}. Data: assessment/scores, assessment/scores/map (GeoJSON) and
 * field/score?worker= (the rules and the scope checks live in gis/assessment).
 *
 * For tests it publishes window.gridmapAssessment: state, ready (Promise), select(worker)
 * (a Promise that resolves once the explanation is shown) and onMap() (grids drawn).
 *
 * Plain ES2017 without optional chaining.
 */

import {chinaDate, el, fmt, lastMonth, query as q, request} from './common.js';

var API = '../';
/* Score classes, worst to best (the legend and the grids' colours). */
var CLASSES = [
  {below: 60, color: '#c4391d', label: '< 60'},
  {below: 70, color: '#e08a1e', label: '60–70'},
  {below: 80, color: '#b59a1b', label: '70–80'},
  {below: 90, color: '#5b9a4a', label: '80–90'},
  {below: Infinity, color: '#2f7d4f', label: '≥ 90'}
];
var NO_SCORE = '#9aa4ae';

function colour(score) {
  if (score === null || score === undefined) return NO_SCORE;
  for (var i = 0; i < CLASSES.length; i += 1) {
    if (score < CLASSES[i].below) return CLASSES[i].color;
  }
  return NO_SCORE;
}

function say(ga, text, isError) {
  ga.status.textContent = text || '';
  ga.status.className = 'gn-status' + (isError ? ' gn-error' : '');
}

function drawLegend() {
  var box = document.querySelector('[data-testid="legend"]');
  box.textContent = '';
  CLASSES.concat([{color: NO_SCORE, label: '无分 none'}]).forEach(function (c) {
    var item = el('span', '', null, box);
    el('span', 'gn-dot', null, item).style.background = c.color;
    item.appendChild(document.createTextNode(c.label));
  });
}

function shareCell(ga, row, tr) {
  var td = el('td', 'ga-share', fmt(row.share, 'pct'), tr);
  if (row.share !== null) {
    td.classList.add(row.share >= ga.config.ruleShare ? 'ga-meets' : 'ga-below');
    td.title = row.share >= ga.config.ruleShare ? '达到 60 % 要求' : '未达 60 % 要求';
  }
}

function drawStreet(ga, name, rows) {
  el('h3', 'ga-street', name, ga.table);
  var table = el('table', 'ga-table', null, ga.table);
  var head = el('tr', null, null, el('thead', null, null, table));
  ['名次', '网格员', '网格', '得分', '在网格'].forEach(function (t) { el('th', null, t, head); });
  var body = el('tbody', null, null, table);
  rows.forEach(function (row) {
    var tr = el('tr', null, null, body);
    tr.setAttribute('data-testid', 'row-' + row.worker);
    tr.tabIndex = 0;
    el('td', null, row.rank === null ? '–' : row.rank, tr);
    el('td', null, row.name || row.worker, tr);
    el('td', null, row.grid_name || row.grid, tr);
    var score = el('td', 'ga-score', fmt(row.score, 1), tr);
    score.style.borderLeft = '6px solid ' + colour(row.score);
    shareCell(ga, row, tr);
    tr.addEventListener('click', function () { select(ga, row.worker); });
    tr.addEventListener('keydown', function (e) { if (e.key === 'Enter') select(ga, row.worker); });
  });
}

function drawTable(ga) {
  ga.table.textContent = '';
  var streets = [];
  var byStreet = {};
  ga.rows.forEach(function (r) {
    if (!byStreet[r.street]) { byStreet[r.street] = []; streets.push(r); }
    byStreet[r.street].push(r);
  });
  streets.forEach(function (first) {
    drawStreet(ga, (first.street_name || first.street) + '（' + first.street + '）', byStreet[first.street]);
  });
  if (!ga.rows.length) el('p', 'ga-note', '本范围内没有网格员 No field workers here', ga.table);
  document.querySelector('[data-testid="count"]').textContent = fmt(ga.rows.length) + ' 人';
}

function drawMap(ga, collection) {
  ga.layer.clearLayers();
  L.geoJSON(collection, {
    style: function (f) {
      return {color: '#fff', weight: 1, fillColor: colour(f.properties.score), fillOpacity: 0.75};
    },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      layer.bindTooltip((p.name || p.worker) + ' · ' + (p.grid_name || p.grid) + ' · ' +
        fmt(p.score, 1) + ' 分');
      layer.on('click', function () { select(ga, p.worker); });
    }
  }).eachLayer(function (layer) { ga.layer.addLayer(layer); });
  if (ga.layer.getLayers().length) ga.map.fitBounds(ga.layer.getBounds(), {padding: [12, 12]});
}

function drawLine(list, line) {
  var item = el('li', 'ga-line', null, list);
  item.setAttribute('data-testid', 'line-' + line.measure);
  var head = el('div', 'ga-line-head', null, item);
  el('b', null, line.name, head);
  el('span', 'ga-points', fmt(line.points, 1) + ' 分', head);
  el('p', 'ga-line-detail', line.detail, item);
  var weight = line.fraction === null ? '无数据，权重分给其他项' :
    '实际 ' + fmt(line.value, 'pct') + ' → 得分率 ' + fmt(line.fraction, 'pct') +
    ' × 权重 ' + fmt(line.effective_weight, 1);
  el('p', 'ga-line-weight', weight + '（区县权重 ' + fmt(line.weight, 0) + '）', item);
}

function select(ga, worker) {
  var url = API + 'field/score' + q({worker: worker, month: ga.month});
  return request('GET', url).then(function (s) {
    ga.detail.hidden = false;
    document.querySelector('[data-testid="detail-title"]').textContent =
      (s.name || s.worker) + ' · ' + s.grid + ' · ' + s.month;
    document.querySelector('[data-testid="detail-score"]').textContent = fmt(s.score, 1);
    var list = document.querySelector('[data-testid="detail-lines"]');
    list.textContent = '';
    s.lines.forEach(function (line) { drawLine(list, line); });
    ga.detail.scrollIntoView({block: 'nearest'});
    return s;
  }).catch(function (e) { say(ga, e.message, true); throw e; });
}

function setExports(month) {
  ['csv', 'xlsx'].forEach(function (format) {
    document.querySelector('[data-testid="export-' + format + '"]').href =
      API + 'assessment/scores/export' + q({format: format, month: month});
  });
}

function load(ga) {
  say(ga, '加载中… Loading');
  setExports(ga.month);
  var params = q({month: ga.month});
  return Promise.all([
    request('GET', API + 'assessment/scores' + params),
    request('GET', API + 'assessment/scores/map' + params)
  ]).then(function (answers) {
    ga.rows = answers[0].rows;
    drawTable(ga);
    drawMap(ga, answers[1]);
    say(ga, ga.month + ' 考核，按街道排名 Ranked per street');
  });
}

function start(map, config) {
  var ga = {
    map: map,
    config: config,
    rows: [],
    month: lastMonth(),
    layer: L.featureGroup().addTo(map),
    table: document.querySelector('[data-testid="ranking"]'),
    detail: document.querySelector('[data-testid="detail"]'),
    status: document.querySelector('[data-testid="status"]')
  };
  var picker = document.querySelector('[data-testid="month"]');
  picker.value = ga.month;
  picker.max = chinaDate().slice(0, 7);
  var api = {state: 'loading'};
  window.gridmapAssessment = api;
  api.select = function (worker) { return select(ga, worker); };
  api.onMap = function () { return ga.layer.getLayers().length; };
  function reload() {
    api.state = 'loading';
    api.ready = load(ga).then(function () { api.state = 'ready'; }, function (error) {
      api.state = 'error';
      say(ga, error.message, true);
    });
    return api.ready;
  }
  picker.addEventListener('change', function () {
    if (!/^[0-9]{4}-[0-9]{2}$/.test(picker.value)) return;
    ga.month = picker.value;
    ga.detail.hidden = true;
    reload();
  });
  drawLegend();
  reload();
  return api;
}

export {start};
