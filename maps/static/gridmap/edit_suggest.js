/*
 * Gridmap grid editor: Suggest (moves, merges or splits that bring a grid's surroundings or a
 * community into the band, each previewed like a manual move before Apply) and the community
 * brush (one click selects every unit of a community).
 */

import {el, fmt} from './common.js';
import {addUnit, removeUnit} from './edit_layers.js';
import {button} from './edit_panels.js';
import {propose, selectionChanged} from './edit_preview.js';
import {layerPath, request, say, showError} from './edit_state.js';

/** The card's Suggest row: for this grid (and its neighbours) or its whole community. */
export function cardSuggest(ed, p) {
  var box = el('div', 'ge-suggest', null, ed.ui.gridBox);
  var row = el('div', 'ge-row', null, box);
  button(row, '建议调整', 'Suggest', 'suggest-grid', function () {
    askSuggestions(ed, {grid: p.code}, box);
  });
  button(row, '整个社区建议', 'Suggest for community', 'suggest-community', function () {
    askSuggestions(ed, {community: p.community_code}, box);
  });
  if (ed.draft.suggestions && ed.draft.suggestions.area) showSuggestions(ed, ed.draft.suggestions, box);
}

function askSuggestions(ed, body, box) {
  say(ed, '正在计算建议… Working out suggestions…', 'info');
  request(ed, 'POST', layerPath(ed, '/suggest'), body).then(function (found) {
    ed.draft.suggestions = found;
    showSuggestions(ed, found, box);
    say(ed, '');
  }, function (error) { showError(ed, error); });
}

function showSuggestions(ed, found, box) {
  var old = box.querySelector('.ge-suggestions');
  if (old) old.remove();
  var list = el('div', 'ge-suggestions', null, box);
  list.setAttribute('data-testid', 'suggestions');
  el('p', 'ge-muted', found.area + ' · ' + found.in_band + '/' + found.grids + ' 个网格达标 grids in band (' +
    fmt(found.band[0]) + '–' + fmt(found.band[1]) + ')', list);
  if (!found.suggestions.length) {
    el('p', null, found.in_band === found.grids ? '已全部达标，无需调整 All in band already' :
      '找不到更好的调整 No better arrangement found', list);
    return;
  }
  found.suggestions.forEach(function (s, i) {
    var text = (i + 1) + '. ' + s.label + ' · 移动 ' + s.units_moved + ' 个单元 units · 达标 ' +
      s.in_band_before + '/' + found.grids + ' → ' + s.in_band_after + '/' + s.grids_after;
    var b = button(list, text, null, 'suggestion-' + i, function () {
      propose(ed, {kind: 'suggest', url: layerPath(ed, '/edits'), body: {moves: s.moves}, label: '建议 Suggestion ' + (i + 1)});
    }, 'ge-suggestion');
    b.title = s.grids.map(function (g) {
      return g.code + ' ' + fmt(g.before) + ' → ' + fmt(g.after);
    }).join('\n');
  });
}

/** The community brush: every unit of the community (Shift: take them out of the selection). */
export function selectArea(ed, area, remove) {
  return request(ed, 'POST', layerPath(ed, '/select'), {area: area}).then(function (answer) {
    answer.units.forEach(function (u) {
      if (remove) removeUnit(ed, u.code);
      else if (ed.unitLayers[u.code]) addUnit(ed, u.code);
      else ed.selected[u.code] = u;  // outside the view: selected all the same
    });
    selectionChanged(ed);
  }, function (error) { showError(ed, error); });
}
