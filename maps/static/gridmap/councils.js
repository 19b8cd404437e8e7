/*
 * Gridmap councils page (议事协商): councils on the map coloured by how far their four steps
 * have gone, venues (居民之家, 议事厅, 议事坪) as diamonds, both in lists; for a chosen council
 * its facts, the five parties, the steps with their days and minutes, who does what — and, for
 * the community's party committee, the form of the one step allowed next.
 *
 * Started by maps/councils_page.py as GridmapCouncils.start(leafletMap, config), where
 * config = {canHold, statuses, steps, parties, venueKinds}. Data: councils, councils/venues,
 * councils/{code}, councils/figures (held and settled per grid, community, street or county,
 * with its CSV/XLSX links); changes: POST councils/{code}/steps (the API refuses a step out of
 * order).
 *
 * For tests it publishes window.gridmapCouncils: state, ready (Promise), select(code) (a
 * Promise that resolves once the panel shows the council) and onMap() (markers drawn).
 *
 * Plain ES2017 without optional chaining.
 */

import {chinaDate, chinaTime, el, fmt, query as q, request} from './common.js';

var COLOURS = {
  raised: '#c4391d', understood: '#e08a1e', analysed: '#b59a1b',
  deliberated: '#2563a8', settled: '#2f7d4f'
};
var VENUE_COLOURS = {home: '#7a4fb5', hall: '#b5417a', lawn: '#3f8f8a'};
var API = '../councils';

function say(gc, text, isError) {
  gc.status.textContent = text || '';
  gc.status.className = 'gn-status' + (isError ? ' gn-error' : '');
}

function short(table, code) {
  return (table[code] || code || '').split(' ')[0];
}

function badge(gc, status, parent) {
  var b = el('span', 'gn-badge', short(gc.config.statuses, status), parent);
  b.style.background = COLOURS[status] || '#555';
  return b;
}

function drawLegend(gc) {
  var box = document.querySelector('[data-testid="legend"]');
  box.textContent = '';
  Object.keys(COLOURS).forEach(function (status) {
    var n = gc.items.filter(function (i) { return i.status === status; }).length;
    var item = el('span', '', null, box);
    el('span', 'gn-dot', null, item).style.background = COLOURS[status];
    item.appendChild(document.createTextNode(short(gc.config.statuses, status) + ' ' + fmt(n)));
  });
}

function drawCouncils(gc) {
  gc.list.textContent = '';
  gc.items.forEach(function (k) {
    L.circleMarker([k.lat, k.lon], {
      radius: 6, color: '#fff', weight: 1, fillColor: COLOURS[k.status] || '#555', fillOpacity: 0.9
    }).bindTooltip(k.title + ' · ' + short(gc.config.statuses, k.status))
      .on('click', function () { select(gc, k.code); }).addTo(gc.layer);
    var li = el('li', '', null, gc.list);
    li.setAttribute('data-testid', 'council-' + k.code);
    badge(gc, k.status, li);
    el('span', 'gn-title', k.title, li);
    el('span', '', k.community_name + (k.venue_name ? ' · ' + k.venue_name : ''), li);
    li.addEventListener('click', function () { select(gc, k.code); });
  });
  document.querySelector('[data-testid="count"]').textContent = fmt(gc.items.length);
  drawLegend(gc);
}

function drawVenues(gc) {
  var list = document.querySelector('[data-testid="venues"]');
  list.textContent = '';
  gc.venues.forEach(function (v) {
    var colour = VENUE_COLOURS[v.kind] || '#555';
    L.rectangle([[v.lat - 0.0001, v.lon - 0.0001], [v.lat + 0.0001, v.lon + 0.0001]], {
      color: colour, weight: 2, fillColor: colour, fillOpacity: 0.6
    }).bindTooltip(v.name + ' · ' + short(gc.config.venueKinds, v.kind)).addTo(gc.layer);
    var li = el('li', '', null, list);
    li.setAttribute('data-testid', 'venue-' + v.code);
    el('span', 'gc-venue', null, li).style.background = colour;
    el('span', 'gn-title', v.name, li);
    el('span', '', short(gc.config.venueKinds, v.kind) + ' · 议事 ' + fmt(v.councils) + ' 次', li);
  });
  document.querySelector('[data-testid="venue-count"]').textContent = fmt(gc.venues.length);
}

/** The figures table by the chosen level, and the export links that follow it. */
function loadFigures() {
  var by = document.querySelector('[data-testid="figures-by"]').value;
  ['csv', 'xlsx'].forEach(function (format) {
    var href = API + '/figures/export' + q({format: format, by: by});
    document.querySelector('[data-testid="export-' + format + '"]').href = href;
    if (format === 'xlsx') document.querySelector('[data-testid="export"]').href = href;
  });
  return request('GET', API + '/figures' + q({by: by})).then(function (doc) {
    document.querySelector('[data-testid="figures-period"]').textContent =
      doc.start + ' — ' + doc.end;
    var body = document.querySelector('[data-testid="figures"] tbody');
    body.textContent = '';
    doc.areas.forEach(function (a) {
      var tr = el('tr', '', null, body);
      tr.setAttribute('data-testid', 'figure-' + (a.key || 'none'));
      el('td', '', a.name || a.key || '（未落网格）', tr);
      [a.raised, a.held, a.settled, a.open, a.from_needs, a.from_incidents].forEach(function (n) {
        el('td', '', fmt(n), tr);
      });
      el('td', '', fmt(a.rating, 2), tr);
    });
    if (!doc.areas.length) {
      el('td', '', '本期暂无议题 No council in the period', el('tr', '', null, body)).colSpan = 8;
    }
  });
}

function load(gc) {
  return Promise.all([
    request('GET', API + q({limit: 1000})),
    request('GET', API + '/venues')
  ]).then(function (answers) {
    gc.items = answers[0].items;
    gc.venues = answers[1].items;
    gc.layer.clearLayers();
    drawCouncils(gc);
    drawVenues(gc);
    loadFigures().catch(function (e) { say(gc, e.message, true); });
    if (gc.layer.getLayers().length && !gc.fitted) {
      gc.fitted = true;
      gc.map.fitBounds(gc.layer.getBounds(), {maxZoom: 16, padding: [20, 20]});
    }
  });
}

function fact(box, name, value) {
  el('dt', '', name, box);
  el('dd', '', value === null || value === undefined || value === '' ? '–' : value, box);
}

function showFacts(gc, k) {
  document.querySelector('[data-testid="detail-title"]').textContent = k.title;
  var facts = document.querySelector('[data-testid="facts"]');
  facts.textContent = '';
  fact(facts, '状态', short(gc.config.statuses, k.status));
  fact(facts, '来源', k.origin_label.split(' ')[0] + (k.need_code ? ' ' + k.need_code : '') +
    (k.incident_code ? ' ' + k.incident_code : ''));
  fact(facts, '社区', k.community_name);
  fact(facts, '网格', k.grid_code);
  fact(facts, '议事场所', k.venue_name);
  fact(facts, '立题时间', chinaTime(k.raised_at));
  fact(facts, '决定', k.decision);
  fact(facts, '居民评分', k.rating);
}

function showParties(gc, k) {
  var box = document.querySelector('[data-testid="parties"]');
  box.textContent = '';
  k.parties.forEach(function (p) {
    var absent = p.attended === false;
    el('li', absent ? 'gc-absent' : '', short(gc.config.parties, p.role) + '：' + p.name +
      (p.attended === true ? '（到会）' : absent ? '（缺席）' : ''), box);
  });
  var steps = document.querySelector('[data-testid="steps"]');
  steps.textContent = '';
  k.steps.forEach(function (s) {
    var li = el('li', '', short(gc.config.steps, s.step) + ' · ' + s.held_on, steps);
    el('span', 'gc-minutes', s.minutes, li);
  });
  var tasks = document.querySelector('[data-testid="tasks"]');
  tasks.textContent = '';
  document.querySelector('[data-testid="tasks-title"]').hidden = !k.assignments.length;
  k.assignments.forEach(function (a) {
    el('li', '', short(gc.config.parties, a.role) + '：' + a.task + '（' + a.due_on +
      (a.done ? '，已落实' : '') + '）', tasks);
  });
}

/** The form of the one step allowed next (the party committee only). */
function showForm(gc, k) {
  var form = gc.form;
  form.hidden = !(gc.config.canHold && k.next_step);
  if (form.hidden) return;
  gc.current = k;
  var step = k.next_step;
  form.querySelector('[data-testid="step-form-title"]').textContent =
    '下一步：' + short(gc.config.steps, step);
  form.elements.held_on.value = chinaDate();
  form.elements.minutes.value = '';
  form.querySelector('[data-testid="deliberate-fields"]').hidden = step !== 'deliberate';
  form.querySelector('[data-testid="rating-field"]').hidden = step !== 'follow_up';
  var attended = form.querySelector('[data-testid="step-attended"]');
  var roles = form.elements.task_role;
  attended.textContent = '';
  roles.textContent = '';
  Object.keys(gc.config.parties).forEach(function (role) {
    var label = el('label', '', null, attended);
    var box = el('input', '', null, label);
    box.type = 'checkbox';
    box.value = role;
    box.checked = true;
    box.setAttribute('data-testid', 'attended-' + role);
    label.appendChild(document.createTextNode(short(gc.config.parties, role)));
    el('option', '', short(gc.config.parties, role), roles).value = role;
  });
  form.elements.task_due.value = chinaDate();
}

function stepBody(gc) {
  var f = gc.form.elements;
  var body = {step: gc.current.next_step, held_on: f.held_on.value, minutes: f.minutes.value};
  if (body.step === 'deliberate') {
    body.decision = f.decision.value;
    body.attended = Array.prototype.slice.call(
      gc.form.querySelectorAll('[data-testid="step-attended"] input:checked')
    ).map(function (box) { return box.value; });
    body.tasks = [{role: f.task_role.value, task: f.task.value, due_on: f.task_due.value}];
  }
  if (body.step === 'follow_up') body.rating = Number(f.rating.value);
  return body;
}

function submitStep(gc, event) {
  event.preventDefault();
  var code = gc.current.code;
  return request('POST', API + '/' + encodeURIComponent(code) + '/steps', stepBody(gc))
    .then(function (k) {
      return load(gc).then(function () { return select(gc, code); }).then(function () {
        say(gc, k.title + '：' + short(gc.config.statuses, k.status));  // last: all redrawn
      });
    }).catch(function (e) { say(gc, e.message, true); });
}

function select(gc, code) {
  return request('GET', API + '/' + encodeURIComponent(code)).then(function (k) {
    gc.detail.hidden = false;
    showFacts(gc, k);
    showParties(gc, k);
    showForm(gc, k);
    return k;
  }).catch(function (e) { say(gc, e.message, true); throw e; });
}

function start(map, config) {
  var gc = {
    map: map,
    config: config,
    items: [],
    venues: [],
    fitted: false,
    current: null,
    layer: L.featureGroup().addTo(map),
    list: document.querySelector('[data-testid="councils"]'),
    detail: document.querySelector('[data-testid="detail"]'),
    form: document.querySelector('[data-testid="step-form"]'),
    status: document.querySelector('[data-testid="status"]')
  };
  gc.form.addEventListener('submit', function (event) { submitStep(gc, event); });
  document.querySelector('[data-testid="figures-by"]').addEventListener('change', function () {
    loadFigures().catch(function (e) { say(gc, e.message, true); });
  });
  var api = {state: 'loading'};
  window.gridmapCouncils = api;
  api.select = function (code) { return select(gc, code); };
  api.onMap = function () { return gc.layer.getLayers().length; };
  api.ready = load(gc).then(function () { api.state = 'ready'; }, function (error) {
    api.state = 'error';
    say(gc, error.message, true);
  });
  return api;
}

export {start};
