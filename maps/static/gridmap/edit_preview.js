/*
 * Gridmap grid editor: the selection panel and the proposed edit. Every edit is first a dry
 * run whose answer (workloads before → after, connectedness, grid leaders) the planner sees;
 * only Apply sends it for real.
 */

import {CLASSES, classify, el, fmt} from './common.js';
import {reloadAll, showVersion} from './edit_load.js';
import {unselectAll} from './edit_layers.js';
import {emptyDraft, layerPath, request, say, showError} from './edit_state.js';
import {endLine} from './edit_tools.js';

var BAND_LABELS = {under: '低于 Under', 'in': '达标 In band', over: '超出 Over'};

/** After the selection changed: its summary, the target menu, the buttons, the move preview. */
export function selectionChanged(ed) {
  var ui = ed.ui;
  var codes = Object.keys(ed.selected);
  var households = 0;
  var byGrid = {};
  var communities = {};
  codes.forEach(function (c) {
    var p = ed.selected[c];
    households += p.households;
    byGrid[p.grid] = (byGrid[p.grid] || 0) + 1;
    communities[p.community_code] = true;
  });
  if (!codes.length) {
    ui.selSummary.textContent = '未选择单元 No units selected';
  } else {
    ui.selSummary.textContent = codes.length + ' 个单元 units · ' + fmt(households) + ' 户 households · 来自 from ' +
      Object.keys(byGrid).sort().map(function (g) { return g + ' (' + byGrid[g] + ')'; }).join(', ');
  }
  fillTargets(ed, Object.keys(communities));
  var on = codes.length > 0;
  ui.targetSelect.disabled = !on;
  ui.newGridBtn.disabled = !on;
  ui.clearBtn.disabled = !on;
  if (ed.action && ed.action.kind === 'move') {
    if (on) proposeMove(ed, ed.action.target);
    else dropAction(ed);
  }
}

/** The target menu: the editable grids in view (of the selection's community, when one). */
export function fillTargets(ed, communities) {
  var targetSelect = ed.ui.targetSelect;
  var keep = targetSelect.value;
  targetSelect.textContent = '';
  el('option', null, '选择网格… Choose a grid…', targetSelect).value = '';
  Object.keys(ed.gridProps).sort().forEach(function (code) {
    var p = ed.gridProps[code];
    if (communities.length === 1 && p.community_code !== communities[0]) return;
    if (!p.editable) return;
    var option = el('option', null, gridLabel(p), targetSelect);
    option.title = code;
    option.value = code;
    option.disabled = !!p.locked;
  });
  targetSelect.value = keep;
}

/** How a grid is named in a menu: its number first (the code's last 3 digits). */
export function gridLabel(p) {
  return p.code.slice(-3) + ' ' + p.name + ' · ' + fmt(p.workload) + (p.locked ? ' · 锁定' : '');
}

/** Preview moving the selected units to a grid ('new': a new one). */
export function proposeMove(ed, target) {
  var codes = Object.keys(ed.selected).sort();
  if (!codes.length) return;
  propose(ed, {
    kind: 'move',
    target: target,
    url: layerPath(ed, '/edits'),
    body: {units: codes, to: target},
    label: target === 'new' ? '新建网格 New grid' : '并入 ' + target + ' Assign to ' + target
  });
}

/** Preview an edit (dry run) and offer to apply it. */
export function propose(ed, next) {
  var ui = ed.ui;
  ed.action = next;
  var seq = (ed.proposeSeq += 1);
  ui.previewBox.textContent = '预览中… Previewing…';
  ui.applyBtn.disabled = true;
  var body = L.extend({}, next.body, {version: ed.api.version, dry_run: true});
  return request(ed, 'POST', next.url, body).then(function (answer) {
    if (seq !== ed.proposeSeq || ed.action !== next) return;
    ed.api.preview = answer;
    showPreview(ed, answer, next.label);
    ui.applyBtn.disabled = !!answer.refused;
    say(ed, '');
  }, function (error) {
    if (seq !== ed.proposeSeq) return;
    ed.api.preview = null;
    ui.previewBox.textContent = '';
    ed.layers.preview.clearLayers();
    ed.action = null;
    showError(ed, error);
  });
}

/** Forget the proposed edit and its preview. */
export function dropAction(ed) {
  var ui = ed.ui;
  ed.action = null;
  ed.api.preview = null;
  ui.previewBox.textContent = '';
  ed.layers.preview.clearLayers();
  ui.applyRow.style.display = 'none';
  ui.confirmBox.checked = false;
  if (ui.targetSelect.value) ui.targetSelect.value = '';
}

function bandChip(ed, parent, summary) {
  if (!summary) {
    el('span', 'ge-chip ge-gone', '—', parent);
    return;
  }
  var chip = el('span', 'ge-chip', fmt(summary.workload), parent);
  chip.style.background = CLASSES[classify(summary.workload, ed.band)].color;
  chip.title = BAND_LABELS[summary.band] || summary.band;
}

function showPreview(ed, answer, label) {
  var ui = ed.ui;
  ui.previewBox.textContent = '';
  ed.layers.preview.clearLayers();
  el('p', 'ge-preview-title', '预览 Preview: ' + label, ui.previewBox);
  var table = el('table', 'ge-table', null, ui.previewBox);
  var head = el('tr', null, null, el('thead', null, null, table));
  ['网格 Grid', '工作量 Workload', '单元 Units', '形状 Shape'].forEach(function (h) { el('th', null, h, head); });
  var tbody = el('tbody', null, null, table);
  answer.grids.forEach(function (g) { previewRow(ed, tbody, g); });
  showLeaders(ed, answer.leaders);
  if (answer.preview) ed.layers.preview.addData(answer.preview);
  if (answer.refused) {
    el('p', 'ge-bad', '不允许：' + answer.refused, ui.previewBox);
  }
  ui.confirmLabel.style.display = answer.needs_confirm ? '' : 'none';
  ui.confirmBox.checked = false;
  ui.applyRow.style.display = '';
}

/** One grid the edit touches: before → after workload, unit count, connectedness. */
function previewRow(ed, tbody, g) {
  var tr = el('tr', 'ge-' + g.status, null, tbody);
  tr.setAttribute('data-grid', g.code);
  var name = el('td', null, null, tr);
  el('strong', null, g.code.slice(-3), name);
  el('span', 'ge-muted', ' ' + g.code.slice(0, 12), name);
  if (g.status !== 'changed') el('span', 'ge-tag', g.status === 'created' ? '新 new' : '删 removed', name);
  var work = el('td', 'ge-work', null, tr);
  work.setAttribute('data-testid', 'preview-workload');
  bandChip(ed, work, g.before);
  el('span', 'ge-arrow', '→', work);
  bandChip(ed, work, g.after);
  el('td', null, (g.before ? g.before.unit_count : 0) + ' → ' + (g.after ? g.after.unit_count : 0), tr);
  var shape = el('td', null, null, tr);
  if (g.after) {
    var split = g.after.pieces > 1;
    var tag = el('span', split ? 'ge-bad' : 'ge-good', split ? '✗ 分成 ' + g.after.pieces + ' 块 in pieces' : '✓ 连通 connected', shape);
    tag.setAttribute('data-testid', 'connected-' + g.code);
    if (g.after.compactness !== null) el('span', 'ge-muted', ' PP ' + fmt(g.after.compactness, 2), shape);
  }
}

/** Grid leaders (网格长) the edit keeps, ends (网格合并) or brings back (undo, revert). */
function showLeaders(ed, leaders) {
  if (!leaders) return;
  var lines = [];
  (leaders.decisions || []).forEach(function (d) { lines.push(['ge-warn', d.text]); });
  (leaders.restored || []).forEach(function (r) {
    lines.push(['ge-good', '恢复任职 Restored: ' + (r.name || r.member) + ' → 网格 ' + r.grid]);
  });
  (leaders.not_restored || []).forEach(function (r) {
    lines.push(['ge-bad', '未能恢复 Not restored: ' + (r.name || r.member) + ' · ' + r.why]);
  });
  if (!lines.length) return;
  var box = el('div', 'ge-leaders', null, ed.ui.previewBox);
  box.setAttribute('data-testid', 'preview-leaders');
  el('p', 'ge-preview-title', '网格长 Grid leaders', box);
  lines.forEach(function (row) { el('p', row[0], row[1], box); });
}

/** Send the proposed edit for real (a split into pieces needs the box ticked). */
export function applyAction(ed) {
  if (!ed.action) return;
  var current = ed.action;
  var confirmBox = ed.ui.confirmBox;
  var body = L.extend({}, current.body, {version: ed.api.version, dry_run: false, confirm: confirmBox.checked});
  if (ed.api.preview && ed.api.preview.needs_confirm && !confirmBox.checked) {
    say(ed, '此操作会把网格拆成多块，请勾选确认 This leaves a grid in pieces: tick the box to confirm', 'warn');
    return Promise.resolve(null);
  }
  ed.ui.applyBtn.disabled = true;
  return request(ed, 'POST', current.url, body).then(function (answer) {
    afterEdit(ed, answer);
    return answer;
  }, function (error) { showError(ed, error); });
}

/** An edit went through: the new version, nothing selected or proposed, the view reloaded. */
export function afterEdit(ed, answer) {
  ed.draft = emptyDraft();  // done: nothing left to keep
  ed.api.version = answer.version;
  showVersion(ed);
  say(ed, '已应用 Applied v' + answer.version + ': ' + answer.summary, 'ok');
  unselectAll(ed);
  dropAction(ed);
  endLine(ed, false);
  selectionChanged(ed);
  return reloadAll(ed);
}
