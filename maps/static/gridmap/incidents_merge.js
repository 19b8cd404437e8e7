/*
 * Gridmap incident map: merging duplicate reports (重复工单合并) and how many reports an
 * incident drew. A dispatcher sees, on an open incident's card, the open reports of its
 * category nearby (GET /incidents/duplicates) and any codes typed in, ticks the duplicates
 * and merges them into this incident (POST /incidents/{code}/merge): they follow its state
 * from then on. A merged report's card links to its primary.
 */

import {request} from './common.js';
import {el, fetchJson} from './incidents_state.js';

/** 「n 件上报」 and the links between a primary and its merged reports. */
export function mergeFacts(it, open) {
  var box = el('div', {'class': 'gi-merge-facts', 'data-testid': 'merge-facts'});
  if (it.merged_into) {
    box.appendChild(el('span', {}, '已并入 Merged into '));
    box.appendChild(codeLink(it.merged_into, open));
  }
  if (it.reports > 1) {
    box.appendChild(el('strong', {'data-testid': 'reports'},
      it.reports + ' 件上报 reports'));
    box.appendChild(el('span', {}, '：'));
    it.duplicates.forEach(function (code) {
      box.appendChild(codeLink(code, open));
      box.appendChild(document.createTextNode(' '));
    });
  }
  return box;
}

function codeLink(code, open) {
  var a = el('a', {'href': '#', 'data-code': code}, code);
  a.addEventListener('click', function (e) { e.preventDefault(); open(code); });
  return a;
}

function candidateRow(c, list) {
  var li = el('li', {});
  var box = el('input', {'type': 'checkbox', 'value': c.code, 'data-testid': 'merge-candidate'});
  li.appendChild(el('label', {}, ''));
  li.firstChild.appendChild(box);
  li.firstChild.appendChild(document.createTextNode(' ' + c.code + ' · ' +
    Math.round(c.distance_m) + ' 米 m · ' + (c.description || '')));
  list.appendChild(li);
}

/** The merge form on the card of an open, unmerged incident (dispatchers only). */
export function mergePanel(ic, it, pane, reload) {
  if (!ic.config.abilities.dispatch || it.merged_into || it.state === 'evaluated') return;
  var section = el('section', {'class': 'gi-merge', 'data-testid': 'merge'});
  section.appendChild(el('h3', {}, '合并重复上报 Merge duplicates'));
  var list = el('ul', {'class': 'gi-merge-list', 'data-testid': 'merge-candidates'});
  var typed = el('input', {'type': 'text', 'data-testid': 'merge-codes',
    'placeholder': '或输入编号，逗号分隔 or type codes, comma-separated'});
  var button = el('button', {'type': 'button', 'data-testid': 'merge-button'},
    '并入本事件 Merge into this one');
  var status = el('p', {'class': 'gi-status', 'role': 'status', 'data-testid': 'merge-status'});
  [list, typed, button, status].forEach(function (n) { section.appendChild(n); });
  pane.appendChild(section);
  var url = '/incidents/duplicates?limit=20&lon=' + it.lon + '&lat=' + it.lat +
    '&category=' + encodeURIComponent(it.category);
  fetchJson(url).then(function (found) {
    found.filter(function (c) { return c.code !== it.code; })
      .forEach(function (c) { candidateRow(c, list); });
    if (!list.childNodes.length) {
      list.appendChild(el('li', {'class': 'gi-hint'}, '附近没有同类未办结上报 None nearby'));
    }
  }).catch(function (err) { status.textContent = err.message; });
  button.addEventListener('click', function () {
    var codes = Array.prototype.map.call(
      list.querySelectorAll('input:checked'), function (b) { return b.value; });
    typed.value.split(/[,，\s]+/).forEach(function (c) { if (c) codes.push(c.trim()); });
    if (!codes.length) {
      status.textContent = '请勾选或输入要合并的事件 Tick or type the duplicates';
      return;
    }
    request('POST', '/incidents/' + encodeURIComponent(it.code) + '/merge', {duplicates: codes})
      .then(function () { return reload(); })
      .catch(function (err) { status.textContent = err.message; });
  });
}

/** The queue's deadline badge: 即将超时 / 已超时 / 已升级. */
var BADGES = {due_soon: '即将超时', overdue: '已超时', escalated: '已升级'};

export function deadlineBadge(item) {
  var status = item.deadline_status || (item.escalated ? 'escalated' : null);
  if (!status) return null;
  return el('span', {'class': 'gi-badge gi-' + status, 'data-testid': 'deadline-badge'},
    BADGES[status]);
}
