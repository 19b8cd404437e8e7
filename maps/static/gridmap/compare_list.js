/*
 * Gridmap scenarios page: the scenario list (polled while a run is queued or running), the
 * reference layers to compare with, the form that queues a new run and the import of a plan.
 */

import {fmt, label as codeLabel, request} from './common.js';
import {showDetail} from './compare_detail.js';
import {$, el, showError, state} from './compare_state.js';

export function loadList() {
  return request('GET', '/scenarios').then(function (list) {
    state.scenarios = list;
    renderList();
    var busy = list.some(function (s) { return s.state === 'queued' || s.state === 'running'; });
    clearTimeout(state.pollTimer);
    if (busy) { state.pollTimer = setTimeout(loadList, 1000); }
  });
}

function renderList() {
  var body = $('#list tbody');
  // The list is drawn again every second while a run is busy: what the user ticked stays ticked
  // (the page's initial selection applies to the first drawing only).
  var ticked = Array.prototype.map.call(body.querySelectorAll('input:checked'), function (b) { return b.value; });
  var keep = state.listDrawn ? ticked : state.config.selected;
  state.listDrawn = true;
  body.textContent = '';
  state.scenarios.forEach(function (s) {
    var job = s.job || {progress: {done: 0, total: 0}};
    var box = el('input', {type: 'checkbox', value: String(s.id), 'data-testid': 'pick-' + s.id});
    if (!s.layer) { box.disabled = true; }
    if (keep.indexOf(String(s.id)) >= 0) { box.checked = true; }
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
    var stateCell = el('td', {text: codeLabel('scenario_states', s.state)});
    if (s.job && s.job.error) { stateCell.title = s.job.error; stateCell.className = 'cmp-error'; }
    body.appendChild(el('tr', {}, [
      el('td', {}, [box]), el('td', {}, [name]), el('td', {text: s.area.join(', ')}),
      stateCell, el('td', {}, [bar, ' ', label]),
      el('td', {text: fmt(summary.count, 0)}), el('td', {text: fmt(summary.workload_cv, 3)}),
      actions
    ]));
  });
}

export function loadReferenceLayers() {
  return request('GET', '/layers').then(function (layers) {
    var holder = $('#ref-layers');
    layers.filter(function (l) { return l.kind === 'unified' || l.kind === 'department'; })
      .forEach(function (l) {
        var box = el('input', {type: 'checkbox', value: l.code, 'data-testid': 'ref-' + l.code});
        if (state.config.selected.indexOf(l.code) >= 0) { box.checked = true; }
        holder.appendChild(el('label', {class: 'cmp-ref'}, [box, ' ' + l.name]));
      });
  });
}

export function selectedItems() {
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

export function onCreate(event) {
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

// ------------------------------------------------------------------ importing a plan

/** Upload a unit → grid table as a new scenario; a refused table lists its problems by row. */
export function onImport(event) {
  event.preventDefault();
  var f = event.target;
  var msg = $('#import-msg');
  var list = $('#import-problems');
  list.textContent = '';
  msg.className = 'cmp-msg';
  msg.textContent = '…';
  var data = new FormData();
  data.append('name', f.name.value);
  data.append('area', f.area.value.split(/[\s,，]+/).filter(Boolean).join(','));
  data.append('file', f.file.files[0]);
  data.append('accept_pieces', f.accept_pieces.checked ? 'true' : 'false');
  request('POST', '/scenarios/import', data).then(function (s) {
    var pieces = (s.report.grids_in_pieces || []).length;
    msg.textContent = '已导入 imported: #' + s.id + ' · ' + s.report.count + ' 个网格 grids' +
      (pieces ? ' · ' + pieces + ' 个分块网格 in pieces' : '');
    return loadList();
  }, function (err) {
    msg.className = 'cmp-msg cmp-error';
    msg.textContent = '错误 Error: ' + err.message;
    (err.problem.problems || []).slice(0, 50).forEach(function (p) {
      list.appendChild(el('li', {text: (p.row ? '第 ' + p.row + ' 行 row ' + p.row + ': ' : '') + p.reason}));
    });
  });
}
