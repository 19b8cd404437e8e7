/*
 * Gridmap grid editor: the layer's history (who changed what, when), undo and redo, and the
 * revert to an earlier version (previewed like any other edit).
 */

import {chinaTime, el, query} from './common.js';
import {button} from './edit_panels.js';
import {afterEdit, propose} from './edit_preview.js';
import {layerPath, request, showError} from './edit_state.js';

var KIND_LABELS = {
  move: '移动 Move', 'new': '新建 New grid', split: '切分 Split', merge: '合并 Merge',
  lock: '锁定 Lock', unlock: '解锁 Unlock', rename: '改名 Rename', undo: '撤销 Undo',
  redo: '重做 Redo', revert: '回退 Revert'
};

/** The last 30 edits; undo and redo say what they would do (or are off). */
export function loadHistory(ed) {
  var api = ed.api;
  if (!api.layer) return Promise.resolve(null);
  return request(ed, 'GET', layerPath(ed, '/history') + query({limit: 30})).then(function (page) {
    api.history = page;
    api._undo.disabled = !page.can_undo;
    api._redo.disabled = !page.can_redo;
    api._undo.title = page.can_undo ? '撤销 Undo: v' + page.can_undo.version + ' ' + page.can_undo.summary : '没有可撤销的 Nothing to undo';
    api._redo.title = page.can_redo ? '重做 Redo: v' + page.can_redo.version + ' ' + page.can_redo.summary : '没有可重做的 Nothing to redo';
    renderHistory(ed, page);
    return page;
  }, function (error) { showError(ed, error); });
}

function renderHistory(ed, page) {
  var historyBox = ed.ui.historyBox;
  historyBox.textContent = '';
  if (!page.items.length) {
    el('p', 'ge-muted', '还没有编辑 No edits yet', historyBox);
    return;
  }
  var list = el('ol', 'ge-history-list', null, historyBox);
  page.items.forEach(function (item, i) {
    var li = el('li', 'ge-history-item' + (item.undone ? ' ge-undone' : ''), null, list);
    li.setAttribute('data-version', item.version);
    var top = el('div', 'ge-history-top', null, li);
    el('strong', null, 'v' + item.version, top);
    el('span', 'ge-kind', KIND_LABELS[item.kind] || item.kind, top);
    el('span', 'ge-muted', item.actor + ' · ' + chinaTime(item.at), top);
    el('div', 'ge-history-summary', item.summary, li);
    var buttons = el('div', 'ge-row', null, li);
    if (item.version !== page.version) {
      button(buttons, '回到此版本', 'Revert to v' + item.version, 'revert-' + item.version, function () {
        proposeRevert(ed, item.version);
      }, 'ge-quiet');
    }
    if (i === page.items.length - 1 && !page.next_offset && item.base_version >= 1) {
      button(buttons, '回到编辑前', 'Revert to v' + item.base_version, 'revert-' + item.base_version, function () {
        proposeRevert(ed, item.base_version);
      }, 'ge-quiet');
    }
  });
}

function proposeRevert(ed, version) {
  propose(ed, {
    url: layerPath(ed, '/revert'),
    body: {to_version: version},
    label: '回退到 v' + version + ' Revert to v' + version
  });
}

/** Undo ('undo') or redo ('redo') the layer's last edit. */
export function undoRedo(ed, which) {
  if (!ed.api.layer) return Promise.resolve(null);
  return request(ed, 'POST', layerPath(ed, '/' + which), {version: ed.api.version}).then(function (answer) {
    return afterEdit(ed, answer);
  }, function (error) { showError(ed, error); });
}
