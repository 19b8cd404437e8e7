/*
 * Gridmap incident map: the side panel: the queues of the loop (待办, 待派遣, 待评价), the
 * figures table, and one incident's facts, the moves the user may make on it, and its history.
 */

import {chinaTime, label, request} from './common.js';
import {escalatePanel} from './incidents_escalate.js';
import {deadlineBadge, mergeFacts, mergePanel} from './incidents_merge.js';
import {actionLabel, el, fetchJson, filterQuery, pct, stateLabel} from './incidents_state.js';

/** Show one tab of the side panel ('queue' | 'figures' | 'detail'). */
export function showTab(name) {
  document.querySelectorAll('.gi-tabs button').forEach(function (b) {
    b.classList.toggle('gi-on', b.getAttribute('data-tab') === name);
  });
  document.querySelectorAll('.gi-tab').forEach(function (p) {
    p.hidden = p.getAttribute('data-pane') !== name;
  });
}

function queueItem(ic, item, list) {
  var li = el('li', {'class': 'gi-item' + (item.overdue ? ' gi-overdue' : ''),
    'data-code': item.code});
  li.appendChild(el('strong', {}, item.code + ' ' + item.category));
  li.appendChild(el('span', {'class': 'gi-state'}, stateLabel(item.state)));
  var badge = deadlineBadge(item);
  if (badge) li.appendChild(badge);
  if (item.reports > 1) li.appendChild(el('span', {'class': 'gi-reports'}, item.reports + ' 件上报'));
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
  li.addEventListener('click', function () { show(ic, item.code); });
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

/** The queues this user works (by their abilities), each a titled list. */
export function loadQueue(ic) {
  var pane = document.querySelector('[data-testid="queue"]');
  var shown = QUEUES.filter(function (q) { return !q.when || ic.config.abilities[q.when]; });
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
      answer.items.forEach(function (item) { queueItem(ic, item, list); });
      pane.appendChild(list);
      ic.api.counts[q.count] = answer.items.length;
    });
  });
}

/** The figures table under the current filters, by the chosen grouping (and a total). */
export function loadFigures(ic) {
  var pane = document.querySelector('[data-testid="figures"] .gi-figures');
  var by = document.querySelector('[data-testid="figures"] select[name="by"]').value;
  return fetchJson('/incidents/figures?' + filterQuery(ic, {by: by})).then(function (doc) {
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

function act(code, body) {
  return request('POST', '/incidents/' + encodeURIComponent(code) + '/transitions', body);
}

function may(ic, action) {
  var a = ic.config.abilities;
  if (action === 'dispatch') return a.dispatch;
  if (action === 'sign' || action === 'reject' || action === 'handle') return a.handle;
  if (action === 'feed_back') return a.handle || a.dispatch;
  return a.evaluate;
}

/** One incident in the detail tab, the map centred on it. */
export function show(ic, code) {
  var pane = document.querySelector('[data-testid="detail"]');
  showTab('detail');
  return fetchJson('/incidents/' + encodeURIComponent(code)).then(function (it) {
    pane.textContent = '';
    pane.appendChild(el('h2', {'data-testid': 'detail-code'}, it.code + ' ' + it.category));
    pane.appendChild(facts(it));
    pane.appendChild(mergeFacts(it, function (other) { return show(ic, other); }));
    detailActions(ic, it, pane);
    mergePanel(ic, it, pane, function () {
      return Promise.all([show(ic, it.code), loadQueue(ic)]);
    });
    escalatePanel(ic, it, pane, function () { return show(ic, it.code); });
    detailHistory(it, pane);
    ic.map.setView([it.lat, it.lon], Math.max(ic.map.getZoom(), 16));
    return it;
  });
}

function facts(it) {
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
   ['描述 Description', it.description], ['分派说明 Routing', it.routing_note],
   ['转为 Became', (it.escalated_to || []).map(function (link) {
     return (link.kind === 'need' ? '需求 ' : '议题 ') + link.code;
   }).join('、')]
  ].concat(times.map(function (t) { return [t[0], chinaTime(t[1])]; }))
   .forEach(function (pair) {
    if (!pair[1]) return;
    dl.appendChild(el('dt', {}, pair[0]));
    dl.appendChild(el('dd', {}, pair[1]));
  });
  return dl;
}

/** A button for each move the user may make now, a note for it, and a status line. */
function detailActions(ic, it, pane) {
  var actions = el('div', {'class': 'gi-actions', 'data-testid': 'actions'});
  var note = el('textarea', {'placeholder': '说明 / 理由 Note or reason', 'rows': '2'});
  var status = el('p', {'class': 'gi-status', 'role': 'status'});
  var seen = {};
  it.allowed_next.forEach(function (move) {
    if (!may(ic, move.action) || seen[move.action + move.state]) return;
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
        return Promise.all([show(ic, it.code), loadQueue(ic)]);
      }).catch(function (err) { status.textContent = err.message; });
    });
    actions.appendChild(button);
  });
  if (actions.childNodes.length) {
    pane.appendChild(note);
    pane.appendChild(actions);
  }
  pane.appendChild(status);
}

function detailHistory(it, pane) {
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
}
