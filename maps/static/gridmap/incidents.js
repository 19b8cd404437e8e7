/*
 * Gridmap incident map (吹哨报到): points clustered when zoomed out, a heat map, H3 hexagons and a
 * grid choropleth of the figures; a queue, the figures table and one incident's history beside it.
 *
 * Started by maps/incidents_page.py as GridmapIncidents.start(map, config), config = {
 * abilities: {report, dispatch, handle, evaluate}, department, states: {code: label}, crs}.
 * Data from the app's API: /incidents/points, /incidents/hexagons, /incidents/figures,
 * /incidents/queue, /incidents/{code}, /incidents/{code}/transitions; the grid choropleth's grids
 * as vector tiles (tiles/grids.unified, through tiles.js and Leaflet.VectorGrid).
 *
 * For tests it publishes window.gridmapIncidents: mode, state ('loading' | 'ready' | 'error'),
 * ready (Promise of the current view), counts {points, clusters, hexagons, grids, queue,
 * dispatch, evaluate} (the three queues: 待办, 待派遣, 待评价),
 * setMode(mode) → Promise, show(code) → Promise.
 *
 * Plain ES2017 without optional chaining: county offices run old Chromium-based browsers.
 */

import {chinaTime, fmt, label, request} from './common.js';
import * as tiles from './tiles.js';

var STATE_COLORS = {
  reported: '#8e44ad', dispatched: '#c0392b', signed: '#e67e22',
  handled: '#2980b9', fed_back: '#16a085', evaluated: '#7f8c8d'
};
var RAMP = ['#fff5eb', '#fdd0a2', '#fd8d3c', '#d94801', '#7f2704'];
function actionLabel(code) { return label('incident_actions', code); }
function stateLabel(code) { return label('incident_states', code); }

function el(tag, attrs, text) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function fetchJson(url) {
  return request('GET', url);
}

function pct(v) { return fmt(v, 'pct'); }

function start(map, config) {
  var api = {
    mode: 'points', state: 'loading', ready: null,
    counts: {points: 0, clusters: 0, hexagons: 0, grids: 0, queue: 0, dispatch: 0, evaluate: 0}
  };
  window.gridmapIncidents = api;
  // Clustering needs the map's maximum zoom, which only a tile layer would otherwise set.
  if (map.getMaxZoom() === Infinity) map.setMaxZoom(19);
  var filterForm = document.querySelector('[data-testid="filters"]');
  var legend = document.querySelector('[data-testid="legend"]');
  var overlay = null;
  var allPoints = null;
  var fitted = false;

  // The communities as a quiet background, so that points have a place on a map without tiles.
  map.createPane('giBackground');
  map.getPane('giBackground').style.zIndex = 250;
  fetchJson('/communities').then(function (fc) {
    L.geoJSON(fc, {
      pane: 'giBackground',
      interactive: false,
      style: {color: '#8796a8', weight: 1, opacity: 0.8, fillColor: '#eef1f4', fillOpacity: 0.7}
    }).addTo(map);
  }).catch(function (err) { console.warn('community outlines: ' + err); });

  function filterQuery(extra) {
    var data = new FormData(filterForm);
    var params = new URLSearchParams();
    ['category', 'state', 'status'].forEach(function (k) {
      if (data.get(k)) params.set(k, data.get(k));
    });
    if (data.get('since')) params.set('since', data.get('since') + 'T00:00:00+08:00');
    if (data.get('until')) params.set('until', data.get('until') + 'T00:00:00+08:00');
    Object.keys(extra || {}).forEach(function (k) { params.set(k, extra[k]); });
    return params.toString();
  }

  function viewBbox() {
    var b = map.getBounds();
    var w = Math.max(-180, b.getWest()), e = Math.min(180, b.getEast());
    var s = Math.max(-90, b.getSouth()), n = Math.min(90, b.getNorth());
    return [w, s, e, n].map(function (v) { return v.toFixed(6); }).join(',');
  }

  function clear() {
    if (overlay) map.removeLayer(overlay);
    overlay = null;
  }

  function setLegend(items) {
    legend.textContent = '';
    items.forEach(function (item) {
      var row = el('div', {'class': 'gi-legend-row'});
      var swatch = el('span', {'class': 'gi-swatch'});
      swatch.style.background = item[0];
      row.appendChild(swatch);
      row.appendChild(el('span', {}, item[1]));
      legend.appendChild(row);
    });
  }

  function loadPoints() {
    return fetchJson('/incidents/points?' + filterQuery()).then(function (doc) {
      allPoints = doc.points;
      return allPoints;
    });
  }

  function drawPoints() {
    return loadPoints().then(function (rows) {
      clear();
      api.counts.points = rows.length;
      // The view first (no animation), then the clusters for that view: counts are final
      // when the promise resolves, not one re-clustering early (issue 14.12).
      if (!fitted && rows.length) {
        fitted = true;
        map.fitBounds(L.latLngBounds(rows.map(function (p) { return [p[1], p[0]]; })).pad(0.05),
          {animate: false});
      }
      setLegend(Object.keys(STATE_COLORS).map(function (s) {
        return [STATE_COLORS[s], stateLabel(s)];
      }).concat([['#000', '黑圈：超期 Black ring: overdue']]));
      return new Promise(function (resolve) {
        var group = L.markerClusterGroup({chunkedLoading: true, maxClusterRadius: 50,
          disableClusteringAtZoom: 17, chunkProgress: function (done, total) {
            // markercluster puts the clusters on the map right after its last progress call.
            if (total === markers.length && done >= total) Promise.resolve().then(settle);
          }});
        function settle() {
          api.counts.clusters = countClusters(group);
          map.getContainer().setAttribute('data-clusters', String(api.counts.clusters));
          resolve();
        }
        // After the user zooms, markercluster re-clusters: keep the count true.
        group.on('animationend', function () { api.counts.clusters = countClusters(group); });
        var markers = rows.map(function (p) {
          var m = L.circleMarker([p[1], p[0]], {
            radius: 6, weight: p[5] ? 3 : 1, color: p[5] ? '#000' : '#fff',
            fillColor: STATE_COLORS[p[3]] || '#555', fillOpacity: 0.9
          });
          m.bindTooltip(p[2] + ' · ' + p[4] + ' · ' + stateLabel(p[3]));
          m.on('click', function () { show(p[2]); });
          return m;
        });
        // Off the map the markers only queue; adding the group clusters them for this view.
        group.addLayers(markers);
        overlay = group.addTo(map);
        if (!markers.length) settle();
      });
    });
  }

  function countClusters(group) {
    var n = 0;
    group._featureGroup.eachLayer(function (layer) { if (layer.getChildCount) n += 1; });
    return n;
  }

  function drawHeat() {
    return loadPoints().then(function (rows) {
      clear();
      overlay = L.heatLayer(rows.map(function (p) { return [p[1], p[0], 0.6]; }),
        {radius: 18, blur: 15, maxZoom: 15}).addTo(map);
      api.counts.points = rows.length;
      setLegend([['#0000ff', '少 Few'], ['#00ff00', ''], ['#ff0000', '多 Many']]);
    });
  }

  function drawHexagons() {
    var url = '/incidents/hexagons?' + filterQuery({zoom: map.getZoom(), bbox: viewBbox()});
    return fetchJson(url).then(function (fc) {
      clear();
      var max = fc.max_count || 1;
      overlay = L.geoJSON(fc, {
        style: function (f) {
          var k = Math.min(4, Math.floor(4 * f.properties.count / max));
          return {color: '#7f2704', weight: 1, fillColor: RAMP[k], fillOpacity: 0.75};
        },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          layer.bindTooltip('H3 ' + p.h3 + '<br>事件 ' + p.count + ' · 未办结 ' + p.open +
            ' · 已办结 ' + p.closed);
        }
      }).addTo(map);
      api.counts.hexagons = fc.features.length;
      setLegend(RAMP.map(function (c, i) {
        return [c, Math.round(i * max / 4) + '–' + Math.round((i + 1) * max / 4) +
          ' (H3 res ' + fc.resolution + ')'];
      }));
    });
  }

  /** The grid choropleth: the unified grids as vector tiles (the large layer), coloured by
   * the figures of each grid under the current filters (one small JSON table). */
  function drawGrids() {
    return Promise.all([
      fetchJson('/incidents/figures?' + filterQuery({by: 'grid'})),
      tiles.open('grids.unified', {
        styles: {grids: function (p) { return gridStyle(p); }},
        crs: config.crs,
        root: '../'  // this page is /incidents/map
      })
    ]).then(function (both) {
      clear();
      var byCode = {};
      var max = 1;
      both[0].rows.forEach(function (r) {
        byCode[r.key] = r;
        if (r.key) max = Math.max(max, r.total);
      });
      gridStyle = function (p) {
        var r = byCode[p.code];
        var k = r ? Math.min(4, Math.floor(4 * r.total / max)) : 0;
        return {color: '#555', weight: 0.6, fill: true, fillColor: RAMP[k],
          fillOpacity: r ? 0.7 : 0.15};
      };
      var layer = both[1].layer;
      var tooltip = L.tooltip({sticky: true});
      layer.on('mouseover', function (e) {
        var p = e.layer.properties;
        var r = byCode[p.code];
        map.openTooltip(tooltip.setLatLng(e.latlng).setContent(p.name + '<br>' + (r
          ? ('事件 ' + r.total + ' · 按时签收 ' + pct(r.on_time_sign_rate) + ' · 按时办结 ' +
            pct(r.on_time_completion_rate) + ' · 满意 ' + pct(r.satisfaction))
          : '无事件 No incidents')));
      });
      layer.on('mouseout', function () { map.closeTooltip(tooltip); });
      overlay = layer;
      setLegend(RAMP.map(function (c, i) {
        return [c, Math.round(i * max / 4) + '–' + Math.round((i + 1) * max / 4) + ' 事件'];
      }));
      return new Promise(function (resolve) {
        layer.once('load', function () {
          api.counts.grids = tiles.features(layer).length;
          resolve();
        });
        layer.addTo(map);
      });
    });
  }
  var gridStyle = function () { return {}; };

  var DRAW = {points: drawPoints, heat: drawHeat, hexagons: drawHexagons, grids: drawGrids};

  function redraw() {
    api.state = 'loading';
    api.ready = DRAW[api.mode]().then(function () {
      api.state = 'ready';
      return api.mode;
    }, function (err) {
      api.state = 'error';
      legend.textContent = '加载失败 Failed: ' + ((err && err.message) || String(err));
      throw err;
    });
    api.ready.catch(function () { /* shown in the legend */ });
    return api.ready;
  }

  api.setMode = function (mode) {
    api.mode = mode;
    var radio = document.querySelector('input[name="mode"][value="' + mode + '"]');
    if (radio) radio.checked = true;
    return redraw();
  };

  document.querySelectorAll('input[name="mode"]').forEach(function (radio) {
    radio.addEventListener('change', function () { if (radio.checked) api.setMode(radio.value); });
  });
  filterForm.addEventListener('submit', function (e) {
    e.preventDefault();
    redraw();
    loadFigures();
  });
  map.on('moveend', function () {
    if (api.mode === 'hexagons' || api.mode === 'grids') redraw();
  });

  // ------------------------------------------------------------------ side panel

  function showTab(name) {
    document.querySelectorAll('.gi-tabs button').forEach(function (b) {
      b.classList.toggle('gi-on', b.getAttribute('data-tab') === name);
    });
    document.querySelectorAll('.gi-tab').forEach(function (p) {
      p.hidden = p.getAttribute('data-pane') !== name;
    });
  }
  document.querySelectorAll('.gi-tabs button').forEach(function (b) {
    b.addEventListener('click', function () { showTab(b.getAttribute('data-tab')); });
  });

  function queueItem(item, list) {
    var li = el('li', {'class': 'gi-item' + (item.overdue ? ' gi-overdue' : ''),
      'data-code': item.code});
    li.appendChild(el('strong', {}, item.code + ' ' + item.category));
    li.appendChild(el('span', {'class': 'gi-state'}, stateLabel(item.state)));
    var due = item.next_deadline || item.due_at;
    var when = '';
    if (item.state === 'fed_back' && item.fed_back_at) {
      when = '反馈于 Fed back ' + chinaTime(item.fed_back_at);
    } else if (item.state === 'reported') {
      when = '上报于 Reported ' + chinaTime(item.reported_at);
    } else if (due) {
      when = '期限 Due ' + chinaTime(due) + (item.overdue ? ' · 超期 Overdue' : '');
    }
    li.appendChild(el('div', {'class': 'gi-due'}, when));
    li.appendChild(el('div', {'class': 'gi-desc'}, item.description || ''));
    li.addEventListener('click', function () { show(item.code); });
    list.appendChild(li);
  }

  // The queues of the loop (GET /incidents/queue?stage=…): 待办 for whoever handles,
  // 待派遣 for the command centre, 待评价 (fed back, waiting for evaluation) for whoever
  // evaluates — each a titled list, so that no open incident waits outside a queue.
  var QUEUES = [
    {stage: 'handle', count: 'queue', testid: 'queue-list', title: '待办 To do'},
    {stage: 'dispatch', count: 'dispatch', testid: 'dispatch-list', title: '待派遣 To dispatch',
      when: 'dispatch'},
    {stage: 'evaluate', count: 'evaluate', testid: 'evaluate-list',
      title: '待评价 To evaluate', when: 'evaluate'}
  ];

  function loadQueue() {
    var pane = document.querySelector('[data-testid="queue"]');
    var shown = QUEUES.filter(function (q) { return !q.when || config.abilities[q.when]; });
    return Promise.all(shown.map(function (q) {
      return fetchJson('/incidents/queue?limit=200&stage=' + q.stage);
    })).then(function (answers) {
      pane.textContent = '';
      answers.forEach(function (answer, k) {
        var q = shown[k];
        var title = q.title + (q.stage === 'handle' ? ' · ' + (answer.department ||
          '全部部门 All departments') : '') + ' (' + answer.total + ')';
        pane.appendChild(el('h2', {'data-testid': q.testid + '-title'}, title));
        var list = el('ol', {'class': 'gi-list', 'data-testid': q.testid});
        answer.items.forEach(function (item) { queueItem(item, list); });
        pane.appendChild(list);
        api.counts[q.count] = answer.items.length;
      });
    });
  }

  function loadFigures() {
    var pane = document.querySelector('[data-testid="figures"] .gi-figures');
    var by = document.querySelector('[data-testid="figures"] select[name="by"]').value;
    return fetchJson('/incidents/figures?' + filterQuery({by: by})).then(function (doc) {
      pane.textContent = '';
      var table = el('table', {'class': 'gi-table'});
      var head = el('tr');
      ['', '总数 Total', '未办结 Open', '超期 Overdue', '按时签收 Signed on time',
        '按时办结 Done on time', '退回 Sent back', '满意 Satisfied'].forEach(function (h) {
        head.appendChild(el('th', {}, h));
      });
      table.appendChild(head);
      doc.rows.slice(0, 300).concat([Object.assign({}, doc.total, {key: '合计 Total'})])
        .forEach(function (r) {
          var tr = el('tr');
          [r.name && r.name !== r.key ? r.name : (r.key || '—'), r.total, r.open, r.overdue,
            pct(r.on_time_sign_rate), pct(r.on_time_completion_rate), pct(r.send_back_rate),
            pct(r.satisfaction)].forEach(function (v) { tr.appendChild(el('td', {}, v)); });
          table.appendChild(tr);
        });
      pane.appendChild(table);
    });
  }
  document.querySelector('[data-testid="figures"] select[name="by"]')
    .addEventListener('change', loadFigures);

  function act(code, body) {
    return request('POST', '/incidents/' + encodeURIComponent(code) + '/transitions', body);
  }

  function may(action) {
    var a = config.abilities;
    if (action === 'dispatch') return a.dispatch;
    if (action === 'sign' || action === 'reject' || action === 'handle') return a.handle;
    if (action === 'feed_back') return a.handle || a.dispatch;
    return a.evaluate;
  }

  function show(code) {
    var pane = document.querySelector('[data-testid="detail"]');
    showTab('detail');
    return fetchJson('/incidents/' + encodeURIComponent(code)).then(function (it) {
      pane.textContent = '';
      pane.appendChild(el('h2', {'data-testid': 'detail-code'}, it.code + ' ' + it.category));
      var times = [['上报 Reported', it.reported_at], ['派遣 Dispatched', it.dispatched_at],
        ['签收期限 Sign by', it.state === 'dispatched' ? it.sign_due_at : null],
        ['办结期限 Due', it.due_at], ['反馈 Fed back', it.fed_back_at],
        ['评价 Evaluated', it.evaluated_at]];
      var dl = el('dl', {'class': 'gi-facts'});
      [['状态 State', it.state_name + (it.overdue ? ' · 超期 OVERDUE' : '') +
        (it.escalated ? ' · 已升级 Escalated' : '')],
       ['部门 Department', it.department], ['网格 Grid', it.grid_name || it.grid],
       ['社区 Community', it.community_name], ['楼栋 Building', it.building_name],
       ['上报人 Reporter', [label('reporter_kinds', it.reporter_kind), it.reporter_name,
         it.reporter_phone].filter(Boolean).join(' ')],
       ['描述 Description', it.description], ['分派说明 Routing', it.routing_note]
      ].concat(times.map(function (t) { return [t[0], chinaTime(t[1])]; }))
       .forEach(function (pair) {
        if (!pair[1]) return;
        dl.appendChild(el('dt', {}, pair[0]));
        dl.appendChild(el('dd', {}, pair[1]));
      });
      pane.appendChild(dl);
      var actions = el('div', {'class': 'gi-actions', 'data-testid': 'actions'});
      var note = el('textarea', {'placeholder': '说明 / 理由 Note or reason', 'rows': '2'});
      var seen = {};
      it.allowed_next.forEach(function (move) {
        if (!may(move.action) || seen[move.action + move.state]) return;
        seen[move.action + move.state] = true;
        var caption = actionLabel(move.action);
        var body = {action: move.action};
        if (move.action === 'evaluate') {
          body.satisfied = move.state === 'evaluated';
          caption = actionLabel(body.satisfied ? 'evaluate_yes' : 'evaluate_no');
        }
        var button = el('button', {'type': 'button', 'data-action': move.action}, caption);
        button.addEventListener('click', function () {
          body.note = note.value;
          act(it.code, body).then(function () {
            return Promise.all([show(it.code), loadQueue()]);
          }).catch(function (err) { status.textContent = err.message; });
        });
        actions.appendChild(button);
      });
      var status = el('p', {'class': 'gi-status', 'role': 'status'});
      if (actions.childNodes.length) {
        pane.appendChild(note);
        pane.appendChild(actions);
      }
      pane.appendChild(status);
      pane.appendChild(el('h3', {}, '流转记录 History'));
      if (!it.history.length) {
        pane.appendChild(el('p', {'class': 'gi-hint'},
          '导入的事件没有流转记录 Loaded incidents carry no history rows'));
      }
      var hist = el('ol', {'class': 'gi-history', 'data-testid': 'history'});
      it.history.forEach(function (h) {
        hist.appendChild(el('li', {}, chinaTime(h.at) + ' ' + actionLabel(h.action) +
          '：' + (h.from_state ? stateLabel(h.from_state) : '新建 New') + ' → ' +
          stateLabel(h.to_state) + ' · ' + h.actor + (h.note ? ' · ' + h.note : '')));
      });
      pane.appendChild(hist);
      map.setView([it.lat, it.lon], Math.max(map.getZoom(), 16));
      return it;
    });
  }
  api.show = show;

  L.control.scale({imperial: false}).addTo(map);
  Promise.all([redraw(), loadQueue(), loadFigures()]).catch(function () { /* shown */ });
}

export {start};
