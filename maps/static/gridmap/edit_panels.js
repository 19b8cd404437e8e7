/*
 * Gridmap grid editor: the controls and panels (the header's area menu, the toolbar, the
 * legend, the zoom hint, the side panel with the selection, the preview, the grid card and the
 * tabs). Built once at start; their elements go into ed.ui for the other modules.
 */

import {CLASSES, el} from './common.js';
import {loadHistory, undoRedo} from './edit_history.js';
import {clearSelection} from './edit_layers.js';
import {applyAction, dropAction, proposeMove} from './edit_preview.js';
import {setTool} from './edit_tools.js';

var TOOLS = [
  ['click', '点选', 'Click', '点击基础单元选中或取消 Click units to (de)select'],
  ['brush', '刷选', 'Brush', '按住鼠标划过单元 Drag across units (Shift: remove)'],
  ['lasso', '套索', 'Lasso', '圈出一片单元 Draw around units (Shift: remove)'],
  ['community', '社区刷', 'Community', '点击单元选中其整个社区 Click a unit to select its whole community (Shift: remove)'],
  ['split', '切分线', 'Split line', '选中网格后画线切分，双击结束 Pick a grid, click points, double-click to end']
];

/** A button with a Chinese label, an English one after it and a data-testid. */
export function button(parent, zh, en, testid, onClick, className) {
  var b = el('button', 'ge-btn' + (className ? ' ' + className : ''), null, parent);
  b.type = 'button';
  el('span', null, zh, b);
  if (en) el('span', 'ge-en', en, b);
  if (testid) b.setAttribute('data-testid', testid);
  b.addEventListener('click', function (event) { event.preventDefault(); onClick(event); });
  return b;
}

/** The header's layer menu and version badge (the page has them) and the area menu (added). */
export function buildHeader(ed) {
  var header = document.querySelector('.ge-bar');
  var ui = ed.ui;
  ui.layerSelect = header.querySelector('select[data-testid="layer-select"]');
  ui.versionBadge = header.querySelector('[data-testid="version"]');
  var areaLabel = el('label', 'ge-layer', '范围 ', null);
  el('span', 'gm-en', 'Area', areaLabel);
  ui.areaSelect = el('select', null, null, areaLabel);
  ui.areaSelect.setAttribute('data-testid', 'area-select');
  ui.versionBadge.parentNode.insertBefore(areaLabel, ui.versionBadge);
}

/** The map's controls: the tools with undo and redo, the legend, the zoom hint. */
export function buildControls(ed) {
  var map = ed.map;
  var api = ed.api;
  var toolbar = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function () {
      var box = el('div', 'ge-toolbar leaflet-bar');
      TOOLS.forEach(function (t) {
        var b = button(box, t[1], t[2], 'tool-' + t[0], function () { setTool(ed, t[0]); });
        b.title = t[3];
        b.setAttribute('data-tool', t[0]);
      });
      el('div', 'ge-sep', null, box);
      api._undo = button(box, '撤销', 'Undo', 'undo', function () { undoRedo(ed, 'undo'); });
      api._undo.title = 'Ctrl+Z';
      api._redo = button(box, '重做', 'Redo', 'redo', function () { undoRedo(ed, 'redo'); });
      api._redo.title = 'Ctrl+Y';
      L.DomEvent.disableClickPropagation(box);
      return box;
    }
  });
  new toolbar().addTo(map);
  new (L.Control.extend({options: {position: 'bottomleft'}, onAdd: legend}))().addTo(map);
  buildHint(ed);
}

function legend() {
  var box = el('div', 'ge-legend');
  CLASSES.forEach(function (cls) {
    var item = el('span', 'ge-legend-item', null, box);
    el('span', 'ge-swatch', null, item).style.background = cls.color;
    el('span', null, cls.zh, item);
  });
  var lock = el('span', 'ge-legend-item', null, box);
  el('span', 'ge-swatch ge-swatch-locked', null, lock);
  el('span', null, '锁定 Locked', lock);
  return box;
}

/** Below config.unitZoom only grids are drawn: say so, and offer the zoom that edits. */
function buildHint(ed) {
  var map = ed.map;
  var unitZoom = ed.config.unitZoom;
  var hintControl = L.Control.extend({
    options: {position: 'topright'},
    onAdd: function () {
      var box = el('div', 'ge-zoom-hint');
      box.setAttribute('data-testid', 'zoom-hint');
      box.setAttribute('role', 'status');
      el('span', null, '放大到第 ' + unitZoom + ' 级后可选择基础单元', box);
      el('span', 'ge-en', 'Units are selectable from zoom ' + unitZoom, box);
      var go = button(box, '放大', 'Zoom in', 'zoom-to-edit', function () {
        map.setZoom(unitZoom);
      });
      go.classList.add('ge-primary');
      L.DomEvent.disableClickPropagation(box);
      return box;
    }
  });
  ed.ui.hint = new hintControl().addTo(map);
  map.on('zoomend', function () { showHint(ed); });
}

/** The zoom hint shows while the map is zoomed out below config.unitZoom. */
export function showHint(ed) {
  var off = ed.map.getZoom() < ed.config.unitZoom;
  ed.ui.hint.getContainer().style.display = off ? '' : 'none';
  ed.api.hintShown = off;
}

/** The side panel: the message line, the selection with its proposed edit, the card, tabs. */
export function buildSide(ed) {
  var ui = ed.ui;
  var side = el('aside', 'ge-side', null, document.body);
  side.setAttribute('data-testid', 'side-panel');
  ui.messageBox = el('div', 'ge-message', null, side);
  ui.messageBox.setAttribute('data-testid', 'message');
  ui.messageBox.setAttribute('role', 'status');
  buildSelection(ed, side);
  // The grid card
  ui.gridBox = el('section', 'ge-section ge-gridcard', null, side);
  ui.gridBox.setAttribute('data-testid', 'grid-card');
  // Tabs: grids in view, history
  var tabs = el('div', 'ge-tabs', null, side);
  ui.listTab = button(tabs, '视图内网格', 'Grids in view', 'tab-grids', function () { showTab(ed, 'grids'); });
  ui.historyTab = button(tabs, '历史', 'History', 'tab-history', function () { showTab(ed, 'history'); });
  ui.listBox = el('div', 'ge-list', null, side);
  ui.listBox.setAttribute('data-testid', 'grid-list');
  ui.historyBox = el('div', 'ge-history', null, side);
  ui.historyBox.setAttribute('data-testid', 'history');
}

/** The selection section: its summary, the target menu, the preview and apply/cancel. */
function buildSelection(ed, side) {
  var ui = ed.ui;
  var selBox = el('section', 'ge-section ge-selection', null, side);
  var selTitle = el('h2', 'ge-h2', '选择 Selection', selBox);
  selTitle.setAttribute('data-testid', 'selection-title');
  ui.selSummary = el('p', 'ge-muted', '未选择单元 No units selected', selBox);
  ui.selSummary.setAttribute('data-testid', 'selection-summary');
  var assignRow = el('div', 'ge-row', null, selBox);
  var targetLabel = el('label', 'ge-grow', null, assignRow);
  el('span', 'ge-label', '并入网格 Assign to grid', targetLabel);
  var targetSelect = ui.targetSelect = el('select', null, null, targetLabel);
  targetSelect.setAttribute('data-testid', 'target');
  targetSelect.addEventListener('change', function () {
    if (targetSelect.value) proposeMove(ed, targetSelect.value);
  });
  ui.newGridBtn = button(assignRow, '新建网格', 'New grid', 'new-grid', function () {
    proposeMove(ed, 'new');
  });
  ui.clearBtn = button(assignRow, '清空', 'Clear', 'clear-selection', function () {
    clearSelection(ed);
  }, 'ge-quiet');
  ui.previewBox = el('div', 'ge-preview', null, selBox);
  ui.previewBox.setAttribute('data-testid', 'preview');
  ui.applyRow = el('div', 'ge-row', null, selBox);
  ui.confirmLabel = el('label', 'ge-confirm', null, ui.applyRow);
  ui.confirmBox = el('input', null, null, ui.confirmLabel);
  ui.confirmBox.type = 'checkbox';
  ui.confirmBox.setAttribute('data-testid', 'confirm');
  el('span', null, '确认拆成多块 I accept a grid in pieces', ui.confirmLabel);
  ui.applyBtn = button(ui.applyRow, '应用', 'Apply', 'apply', function () { applyAction(ed); }, 'ge-primary');
  button(ui.applyRow, '取消', 'Cancel', 'cancel', function () { dropAction(ed); }, 'ge-quiet');
}

/** Show one tab ('grids' | 'history'); the history loads when shown. */
export function showTab(ed, name) {
  var ui = ed.ui;
  ui.listBox.style.display = name === 'grids' ? '' : 'none';
  ui.historyBox.style.display = name === 'history' ? '' : 'none';
  ui.listTab.classList.toggle('ge-active', name === 'grids');
  ui.historyTab.classList.toggle('ge-active', name === 'history');
  if (name === 'history') loadHistory(ed);
}
