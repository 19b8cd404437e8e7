/*
 * The worker's monthly score (考核) on the field page: last month's score and, folded, "why is
 * my score N?" — one line per measure with what was counted, its weight and its points (the
 * points add up to the score). Data: GET field/score?month=YYYY-MM (the worker's own; the rules
 * live in gis/assessment).
 *
 * For tests it publishes window.gridmapScore: state ('loading' | 'ready' | 'error'), data.
 * Plain ES2017 without optional chaining: field workers' phones run old browsers.
 */

import {el, fmt, lastMonth, request} from './common.js';

function drawLine(list, line) {
  var item = el('li', 'gf-score-line', null, list);
  item.setAttribute('data-testid', 'score-line');
  item.setAttribute('data-measure', line.measure);
  var head = el('div', 'gf-score-head', null, item);
  el('b', null, line.name, head);
  var points = el('span', 'gf-score-points', fmt(line.points, 1) + ' 分', head);
  points.setAttribute('data-testid', 'score-points');
  el('p', 'gf-score-detail', line.detail, item);
  var weight = line.fraction === null ? '无数据，权重分给其他项' :
    '实际 ' + fmt(line.value, 'pct') + ' → 得分率 ' + fmt(line.fraction, 'pct') +
    ' × 权重 ' + fmt(line.effective_weight, 1);
  el('p', 'gf-score-weight', weight + '（区县权重 ' + fmt(line.weight, 0) + '）', item);
}

function draw(box, data) {
  var total = box.querySelector('[data-testid="score-total"]');
  total.textContent = data.score === null ? '–' : fmt(data.score, 1);
  box.querySelector('[data-testid="score-month"]').textContent = data.month;
  var list = box.querySelector('[data-testid="score-lines"]');
  list.textContent = '';
  data.lines.forEach(function (line) { drawLine(list, line); });
}

export function attachScore() {
  var box = document.querySelector('[data-testid="score"]');
  if (!box) return null;
  var api = {state: 'loading', data: null};
  window.gridmapScore = api;
  api.ready = request('GET', 'field/score?month=' + lastMonth()).then(function (data) {
    api.data = data;
    draw(box, data);
    api.state = 'ready';
    return data;
  }, function (error) {
    box.querySelector('[data-testid="score-total"]').textContent = '–';
    el('p', 'gf-error', '考核加载失败 Score failed: ' + error.message, box);
    api.state = 'error';
  });
  return api;
}
