/*
 * Gridmap needs page (三张清单): needs on the map coloured by status and in a list; for a chosen
 * need its facts, and — for community staff — the ranked takers, each dispatched with one click;
 * for a taker, the order's answer (accept, decline, done).
 *
 * Started by maps/needs_page.py as GridmapNeeds.start(leafletMap, config), where
 * config = {canDispatch, canTake, statuses, kinds}. Data: needs (or needs/orders/mine for a
 * taker), needs/{code}/takers; changes: POST needs/{code}/dispatch|accept|decline|complete.
 * The projects list (项目清单) and a need's project: needs_projects.js.
 *
 * For tests it publishes window.gridmapNeeds: state, ready (Promise), select(code) and
 * dispatch(code, taker) (Promises that resolve once the panel shows the result), and onMap()
 * (the needs drawn on the map's canvas).
 *
 * Plain ES2017 without optional chaining.
 */

import {chinaTime, el, fmt, query as q, request} from './common.js';
import {loadProjects, projectActions} from './needs_projects.js';
import {loadCoverage} from './needs_coverage.js';

var COLOURS = {
  open: '#c4391d', dispatched: '#e08a1e', accepted: '#2563a8',
  done: '#2f7d4f', evaluated: '#6b8f3a', cancelled: '#8a94a0'
};
var API = '../needs';

function say(nd, text, isError) {
  nd.status.textContent = text || '';
  nd.status.className = 'gn-status' + (isError ? ' gn-error' : '');
}

function statusLabel(nd, status) {
  return (nd.config.statuses[status] || status).split(' ')[0];
}

function badge(nd, status, parent) {
  var b = el('span', 'gn-badge', statusLabel(nd, status), parent);
  b.style.background = COLOURS[status] || '#555';
  return b;
}

/** The legend: one dot per status with the number of needs in it. */
function drawLegend(nd) {
  var box = document.querySelector('[data-testid="legend"]');
  box.textContent = '';
  Object.keys(COLOURS).forEach(function (status) {
    var n = nd.items.filter(function (i) { return i.status === status; }).length;
    var item = el('span', '', null, box);
    el('span', 'gn-dot', null, item).style.background = COLOURS[status];
    item.appendChild(document.createTextNode(statusLabel(nd, status) + ' ' + fmt(n)));
  });
}

/** Every need as a circle on the map and a line in the list (both open its detail). */
function draw(nd) {
  nd.layer.clearLayers();
  nd.list.textContent = '';
  nd.items.forEach(function (need) {
    var colour = COLOURS[need.status] || '#555';
    L.circleMarker([need.lat, need.lon], {
      radius: 6, color: '#fff', weight: 1, fillColor: colour, fillOpacity: 0.9
    }).bindTooltip(need.title + ' · ' + statusLabel(nd, need.status))
      .on('click', function () { select(nd, need.code); }).addTo(nd.layer);
    var li = el('li', '', null, nd.list);
    li.setAttribute('data-testid', 'need-' + need.code);
    badge(nd, need.status, li);
    el('span', 'gn-title', need.kind_label.split(' ')[0] + ' · ' + need.title, li);
    el('span', need.overdue ? 'gn-late' : '', (need.overdue ? '逾期 ' : '') + need.due_on, li);
    li.addEventListener('click', function () { select(nd, need.code); });
  });
  document.querySelector('[data-testid="count"]').textContent = fmt(nd.items.length);
  drawLegend(nd);
}

function load(nd) {
  var url = nd.config.canTake && !nd.config.canDispatch ? API + '/orders/mine' : API + q({limit: 1000});
  return request('GET', url).then(function (data) {
    nd.items = data.items;
    draw(nd);
    if (nd.items.length && !nd.fitted) {
      nd.fitted = true;
      nd.map.fitBounds(nd.layer.getBounds(), {maxZoom: 16, padding: [20, 20]});
    }
  });
}

function fact(box, name, value) {
  el('dt', '', name, box);
  el('dd', '', value === null || value === undefined || value === '' ? '–' : value, box);
}

function button(parent, text, testid, quiet, onClick) {
  var b = el('button', quiet ? 'gn-quiet' : '', text, parent);
  b.type = 'button';
  b.setAttribute('data-testid', testid);
  b.addEventListener('click', onClick);
  return b;
}

/** The facts of one need, and the moves the viewer may make on it. */
function showNeed(nd, need) {
  nd.detail.hidden = false;
  document.querySelector('[data-testid="detail-title"]').textContent = need.title;
  var facts = document.querySelector('[data-testid="facts"]');
  facts.textContent = '';
  fact(facts, '状态', statusLabel(nd, need.status));
  fact(facts, '类别', need.kind_label.split(' ')[0]);
  fact(facts, '求助人', need.requester_name + ' ' + need.requester_phone);
  fact(facts, '位置', (need.building_code || '') + (need.entrance ? ' ' + need.entrance + '单元' : ''));
  fact(facts, '网格', need.grid_code);
  fact(facts, '期限', need.due_on + (need.overdue ? '（已逾期）' : ''));
  fact(facts, '接单方', need.taker_name);
  fact(facts, '登记时间', chinaTime(need.created_at));
  if (need.incident_code) fact(facts, '来自事件', need.incident_code);
  if (need.council_code) fact(facts, '议事议题', need.council_code);
  var actions = document.querySelector('[data-testid="actions"]');
  actions.textContent = '';
  if (nd.config.canTake && need.order_state === 'dispatched') {
    button(actions, '接单 Accept', 'accept', false, function () { act(nd, need.code, 'accept'); });
    button(actions, '拒单 Decline', 'decline', true, function () {
      var why = window.prompt('拒单原因 Why decline?');
      if (why) act(nd, need.code, 'decline', {reason: why});
    });
  }
  if (nd.config.canTake && need.order_state === 'accepted') {
    button(actions, '办结 Done', 'complete', false, function () {
      act(nd, need.code, 'complete', {hours: need.hours});
    });
  }
}

/** The ranked takers of an open need, each with its one-click dispatch. */
function showTakers(nd, code, ranking) {
  document.querySelector('[data-testid="takers-title"]').hidden = false;
  nd.takers.textContent = '';
  ranking.takers.forEach(function (t) {
    var li = el('li', '', null, nd.takers);
    li.setAttribute('data-testid', 'taker-' + t.taker);
    el('b', '', t.rank + '. ' + t.name, li);
    el('span', '', t.kind_label.split(' ')[0] + ' · ' + fmt(t.distance_m) + ' 米', li);
    button(li, '派单', 'dispatch-' + t.taker, false, function () { dispatch(nd, code, t.taker); })
      .className = 'gn-dispatch';
    el('span', 'gn-score', (t.skill_match ? '技能匹配' : '技能不符') + ' · 本月余 ' +
      fmt(t.free_hours, 1) + ' 小时 · 完成 ' + t.done + ' / 拒 ' + t.declined +
      ' · 评分 ' + fmt(t.score, 2), li);
  });
  if (!ranking.takers.length) el('li', '', '本社区暂无可接单方 No taker in this community', nd.takers);
}

function select(nd, code) {
  nd.takers.textContent = '';
  document.querySelector('[data-testid="takers-title"]').hidden = true;
  return request('GET', API + '/' + encodeURIComponent(code)).then(function (need) {
    showNeed(nd, need);
    projectActions(nd, need);
    if (nd.config.canDispatch && need.status === 'open') {
      return request('GET', API + '/' + encodeURIComponent(code) + '/takers').then(function (r) {
        showTakers(nd, code, r);
        return need;
      });
    }
    return need;
  }).catch(function (e) { say(nd, e.message, true); throw e; });
}

function act(nd, code, what, body) {
  return request('POST', API + '/' + encodeURIComponent(code) + '/' + what, body || {})
    .then(function (need) {
      return load(nd).then(function () { return select(nd, code); }).then(function (shown) {
        say(nd, need.title + '：' + statusLabel(nd, need.status));  // last: all is redrawn
        return shown;
      });
    }).catch(function (e) { say(nd, e.message, true); throw e; });
}

function dispatch(nd, code, taker) {
  return act(nd, code, 'dispatch', {taker: taker});
}

function start(map, config) {
  var nd = {
    map: map,
    config: config,
    items: [],
    fitted: false,
    projects: [],
    layer: L.featureGroup().addTo(map),
    list: document.querySelector('[data-testid="needs"]'),
    detail: document.querySelector('[data-testid="detail"]'),
    takers: document.querySelector('[data-testid="takers"]'),
    status: document.querySelector('[data-testid="status"]')
  };
  nd.say = function (text, isError) { say(nd, text, isError); };
  nd.selectNeed = function (code) { return select(nd, code); };
  var api = {state: 'loading'};
  window.gridmapNeeds = api;
  api.select = function (code) { return select(nd, code); };
  api.dispatch = function (code, taker) { return dispatch(nd, code, taker); };
  api.onMap = function () { return nd.layer.getLayers().length; };
  api.ready = Promise.all([load(nd), loadProjects(nd), loadCoverage()]).then(function () {
    api.state = 'ready';
  }, function (error) {
    api.state = 'error';
    say(nd, error.message, true);
  });
  return api;
}

export {start};
