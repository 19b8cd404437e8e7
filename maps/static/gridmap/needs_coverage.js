/*
 * Coverage of skills by community (技能覆盖) on the needs page: the kinds of need residents
 * asked for that nobody in their community offers come first, then the kinds with the most
 * open needs; the whole table as XLSX from the export link. Data: GET needs/coverage.
 *
 * Plain ES2017 without optional chaining.
 */

import {el, fmt, request} from './common.js';

var SHOWN = 12;

export function loadCoverage() {
  return request('GET', '../needs/coverage').then(function (found) {
    var count = document.querySelector('[data-testid="coverage-gaps"]');
    count.textContent = found.gaps ? found.gaps + ' 项缺口 gaps' : '无缺口 no gaps';
    count.className = found.gaps ? 'gn-gap-count' : '';
    var body = document.querySelector('[data-testid="coverage"] tbody');
    body.textContent = '';
    found.rows.slice(0, SHOWN).forEach(function (r) {
      var tr = el('tr', r.asked && !r.covered ? 'gn-gap' : '', null, body);
      tr.setAttribute('data-testid', 'coverage-' + r.community + '-' + r.kind);
      el('td', '', r.community_name, tr);
      el('td', '', r.kind_label.split(' ')[0], tr);
      el('td', 'gn-num', fmt(r.takers), tr);
      el('td', 'gn-num', fmt(r.asked), tr);
      el('td', 'gn-num', fmt(r.open), tr);
    });
  });
}
