/*
 * Gridmap grid editor: the chosen grid's card (lock, split, suggest, merge a neighbour in, rename), the
 * list of grids in view and the grids' labels on the map. Every map move redraws the card; what
 * the planner typed or chose in it (ed.draft) survives that for as long as the grid stays chosen.
 */

import {CLASSES, classify, el, fmt} from './common.js';
import {gridStyle} from './edit_layers.js';
import {button} from './edit_panels.js';
import {afterEdit, gridLabel, propose} from './edit_preview.js';
import {emptyDraft, layerPath, request, say, showError} from './edit_state.js';
import {cardSuggest} from './edit_suggest.js';
import {setTool} from './edit_tools.js';

/** Choose a grid: outline it, show its card, mark its row. */
export function chooseGrid(ed, code) {
  ed.selectedGrid = code;
  ed.layers.grids.setStyle(function (feature) { return gridStyle(ed, feature); });
  renderCard(ed);
  Array.prototype.forEach.call(ed.ui.listBox.querySelectorAll('.ge-item'), function (row) {
    row.classList.toggle('ge-active', row.getAttribute('data-code') === code);
  });
}

function keepDraft(ed, input, key) {
  input.addEventListener('input', function () { ed.draft[key] = input.value; });
  input.addEventListener('change', function () { ed.draft[key] = input.value; });
}

/** What the card shows of a grid: when a view reload brings the same, the card is left alone. */
function cardKey(p) {
  return JSON.stringify([p.code, p.name, p.locked, p.editable, p.community_name, p.workload,
    p.unit_count, p.households, p.pieces]);
}

/**
 * The chosen grid's card (hidden when none is chosen or it is not in view). A map move reloads the
 * view and calls this again: an unchanged card is kept as it is, so that a planner typing in it
 * loses neither keystrokes nor focus; a changed one is drawn afresh, focus kept on the same field.
 */
export function renderCard(ed) {
  var gridBox = ed.ui.gridBox;
  var p = ed.selectedGrid && ed.gridProps[ed.selectedGrid];
  var fresh = ed.draft.grid !== ed.selectedGrid;  // another grid chosen, or an edit applied
  if (fresh) ed.draft = emptyDraft(ed.selectedGrid);
  var key = p ? cardKey(p) : '';
  if (!fresh && key && gridBox.getAttribute('data-card') === key && gridBox.style.display !== 'none') return;
  var focused = focusedField(gridBox);
  gridBox.textContent = '';
  gridBox.setAttribute('data-card', key);
  if (!p) {
    gridBox.style.display = 'none';
    return;
  }
  gridBox.style.display = '';
  var title = el('h2', 'ge-h2', null, gridBox);
  el('span', null, p.name + ' ', title);
  el('span', 'ge-muted', p.code, title);
  if (p.locked) el('span', 'ge-tag ge-lock', '已锁定 locked', title);
  var facts = el('p', 'ge-facts', null, gridBox);
  facts.textContent = (p.community_name || '') + ' · 工作量 ' + fmt(p.workload) + ' · ' +
    p.unit_count + ' 单元 units · ' + fmt(p.households) + ' 户' + (p.pieces > 1 ? ' · ✗ ' + p.pieces + ' 块 pieces' : '');
  if (!p.editable) {
    el('p', 'ge-muted', '不在你的范围内，只读 Outside your scope: read only', gridBox);
    return;
  }
  cardActions(ed, p);
  cardSuggest(ed, p);
  cardMerge(ed, p);
  cardRename(ed, p);
  restoreFocus(gridBox, focused);
}

/** The card's field that has the keyboard, with its caret, to give it back after a redraw. */
function focusedField(box) {
  var active = document.activeElement;
  if (!active || !box.contains(active) || !active.getAttribute('data-testid')) return null;
  var caret = typeof active.selectionStart === 'number' ? [active.selectionStart, active.selectionEnd] : null;
  return {testid: active.getAttribute('data-testid'), caret: caret};
}

function restoreFocus(box, focused) {
  if (!focused) return;
  var field = box.querySelector('[data-testid="' + focused.testid + '"]');
  if (!field) return;
  field.focus();
  if (focused.caret && typeof field.setSelectionRange === 'function') field.setSelectionRange(focused.caret[0], focused.caret[1]);
}

function cardActions(ed, p) {
  var row = el('div', 'ge-row', null, ed.ui.gridBox);
  button(row, p.locked ? '解锁' : '锁定', p.locked ? 'Unlock' : 'Lock', 'lock-toggle', function () {
    request(ed, 'POST', layerPath(ed, '/grids/' + p.code + (p.locked ? '/unlock' : '/lock')), {version: ed.api.version})
      .then(function (answer) { return afterEdit(ed, answer); }, function (error) { showError(ed, error); });
  });
  button(row, '切分', 'Split', 'split-start', function () {
    setTool(ed, 'split');
    say(ed, '在地图上点击画线穿过网格，双击结束 Click points across the grid, double-click to end', 'info');
  });
}

function cardMerge(ed, p) {
  var merge = el('div', 'ge-row', null, ed.ui.gridBox);
  var mergeLabel = el('label', 'ge-grow', null, merge);
  el('span', 'ge-label', '合并相邻网格 Merge a neighbour in', mergeLabel);
  var mergeSelect = el('select', null, null, mergeLabel);
  mergeSelect.setAttribute('data-testid', 'merge-target');
  el('option', null, '相邻网格加载中… Loading neighbours…', mergeSelect).value = '';
  mergeSelect.disabled = true;
  keepDraft(ed, mergeSelect, 'merge');
  loadNeighbours(ed, p.code, mergeSelect);
  button(merge, '预览合并', 'Preview merge', 'merge', function () {
    if (!mergeSelect.value) return;
    propose(ed, {
      url: layerPath(ed, '/grids/' + p.code + '/merge'),
      body: {other: mergeSelect.value},
      label: '合并 ' + mergeSelect.value + ' → ' + p.code + ' Merge'
    });
  });
}

function cardRename(ed, p) {
  var draft = ed.draft;
  var rename = el('div', 'ge-row', null, ed.ui.gridBox);
  var nameLabel = el('label', 'ge-grow', null, rename);
  el('span', 'ge-label', '名称 Name', nameLabel);
  var nameInput = el('input', null, null, nameLabel);
  nameInput.value = draft.name !== null ? draft.name : p.name;
  keepDraft(ed, nameInput, 'name');
  nameInput.setAttribute('data-testid', 'rename-name');
  nameInput.setAttribute('aria-label', '名称 Name');
  var codeLabel = el('label', null, null, rename);
  el('span', 'ge-label', '编码 Code', codeLabel);
  var codeInput = el('input', 'ge-code', null, codeLabel);
  codeInput.value = draft.code !== null ? draft.code : p.code;
  keepDraft(ed, codeInput, 'code');
  codeInput.setAttribute('data-testid', 'rename-code');
  codeInput.setAttribute('aria-label', '编码 Code');
  codeInput.maxLength = 15;
  button(rename, '改名/编码', 'Rename', 'rename', function () {
    var body = {version: ed.api.version};
    if (nameInput.value.trim() !== p.name) body.name = nameInput.value.trim();
    if (codeInput.value.trim() !== p.code) body.code = codeInput.value.trim();
    if (!body.name && !body.code) return;
    request(ed, 'POST', layerPath(ed, '/grids/' + p.code + '/rename'), body).then(function (answer) {
      if (body.code) ed.selectedGrid = body.code;
      return afterEdit(ed, answer);
    }, function (error) { showError(ed, error); });
  });
}

/** Only grids that share a boundary in the same community may be merged: ask the server. */
function loadNeighbours(ed, code, select) {
  var seq = (ed.neighboursSeq += 1);
  return request(ed, 'GET', layerPath(ed, '/grids/' + encodeURIComponent(code) + '/neighbours')).then(function (list) {
    if (seq !== ed.neighboursSeq) return;
    select.textContent = '';
    var usable = list.filter(function (q) { return q.editable && !q.locked; });
    el('option', null, usable.length ? '选择相邻网格… Choose a neighbour…' : '没有可合并的相邻网格 No neighbour to merge', select).value = '';
    usable.forEach(function (q) {
      el('option', null, gridLabel(q), select).value = q.code;
    });
    select.disabled = !usable.length;
    ed.api.neighbours = usable.map(function (q) { return q.code; });
    if (ed.draft.grid === code && ed.api.neighbours.indexOf(ed.draft.merge) >= 0) select.value = ed.draft.merge;
  }, function (error) { showError(ed, error); });
}

/** The grids in view, as a table (the first 400). */
export function renderList(ed) {
  var listBox = ed.ui.listBox;
  listBox.textContent = '';
  var codes = Object.keys(ed.gridProps).sort();
  var head = el('p', 'ge-muted', codes.length + ' 个网格 grids in view', listBox);
  head.setAttribute('data-testid', 'grid-count');
  var table = el('table', 'ge-table ge-grid-table', null, listBox);
  var hr = el('tr', null, null, el('thead', null, null, table));
  ['网格 Grid', '工作量', '单元', '户数'].forEach(function (h) { el('th', null, h, hr); });
  var tbody = el('tbody', null, null, table);
  codes.slice(0, 400).forEach(function (code) { listRow(ed, tbody, code); });
  if (codes.length > 400) el('p', 'ge-muted', '… 放大查看更多 zoom in for the rest', listBox);
}

function listRow(ed, tbody, code) {
  var p = ed.gridProps[code];
  var tr = el('tr', 'ge-item' + (code === ed.selectedGrid ? ' ge-active' : ''), null, tbody);
  tr.setAttribute('data-code', code);
  tr.setAttribute('data-testid', 'grid-row-' + code);
  var name = el('td', null, null, tr);
  el('strong', null, code.slice(-3), name);
  el('span', 'ge-muted', ' ' + p.name, name);
  if (p.locked) el('span', 'ge-lock', '锁', name);
  var work = el('td', 'ge-num', null, tr);
  var chip = el('span', 'ge-chip', fmt(p.workload), work);
  chip.setAttribute('data-testid', 'workload-' + code);
  chip.style.background = CLASSES[classify(p.workload, ed.band)].color;
  el('td', 'ge-num', p.unit_count, tr);
  el('td', 'ge-num', fmt(p.households), tr);
  tr.addEventListener('click', function () { chooseGrid(ed, code); });
}

/** Each grid's number, lock and workload on the map, from zoom 14 and up to 250 grids. */
export function renderLabels(ed) {
  var labels = ed.layers.labels;
  labels.clearLayers();
  var codes = Object.keys(ed.gridProps);
  if (ed.map.getZoom() < 14 || codes.length > 250) return;
  ed.layers.grids.eachLayer(function (layer) {
    var p = layer.feature.properties;
    var center = layer.getBounds().getCenter();
    labels.addLayer(L.marker(center, {
      pane: 'geLabels',
      interactive: false,
      keyboard: false,
      icon: L.divIcon({
        className: 'ge-grid-label',
        html: '',
        iconSize: null
      })
    }).on('add', function () {
      var node = this.getElement();
      if (!node) return;
      node.textContent = '';
      el('b', null, p.code.slice(-3), node);
      if (p.locked) el('span', 'ge-lock', '锁', node);
      el('span', null, fmt(p.workload), node);
    }));
  });
}
