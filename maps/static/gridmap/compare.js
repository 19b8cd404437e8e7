/*
 * Gridmap scenarios page (方案比选): run scenarios, follow their progress, compare 2–5 of them
 * with today's layers (metrics table, workload histograms, two synchronised maps with a "what
 * changed" overlay), read the 多网合一 crosswalk and the impact on a community, adopt one.
 *
 * Started by the page (maps/compare_page.py) as GridmapCompare.start(config), where
 * config = {band: [low, high], scopeCode: '361002', selected: ['12', 'unified']}.
 * Data comes from the app's own API: /scenarios… and /layers… as JSON, the two maps' grids as
 * vector tiles (/tiles/grids.{code}, through tiles.js and Leaflet.VectorGrid).
 *
 * For tests it publishes window.gridmapCompare:
 *   maps          {left, right}: the two Leaflet maps (once a comparison is shown)
 *   ready         Promise resolving when both maps have drawn their grids
 *   counts        {left, right, changes}: grids drawn (each once, whatever tiles it spans)
 *   compare(items) run a comparison, returns the ready Promise
 *
 * Its parts: compare_state.js (shared state, DOM helpers), compare_list.js (list, new runs),
 * compare_table.js (metrics, histograms), compare_maps.js (the two maps),
 * compare_detail.js (one scenario: crosswalk, impact, adoption).
 *
 * Plain ES2017 without optional chaining: county offices run old Chromium-based browsers.
 */

import {onAdopt, onImpact, renderCrosswalk} from './compare_detail.js';
import {onComment} from './compare_comments.js';
import {loadList, loadReferenceLayers, onCreate, onImport, selectedItems} from './compare_list.js';
import {$, api, showError, state} from './compare_state.js';
import {compare} from './compare_table.js';

api.compare = compare;

function start(cfg) {
  state.config = cfg;
  state.config.selected = state.config.selected || [];
  $('#create-form').addEventListener('submit', onCreate);
  $('#import-form').addEventListener('submit', onImport);
  $('#comment-form').addEventListener('submit', onComment);
  $('#compare-btn').addEventListener('click', function () {
    var items = selectedItems();
    if (items.length < 2) { showError(new Error('选择至少两项 pick at least two')); return; }
    compare(items);
  });
  $('#xwalk-filter').addEventListener('input', renderCrosswalk);
  $('#impact-form').addEventListener('submit', onImpact);
  $('#adopt-btn').addEventListener('click', onAdopt);
  if (state.config.scopeCode && state.config.scopeCode.length === 6) {
    $('#create-form').area.value = state.config.scopeCode;
  }
  api.loaded = Promise.all([loadList(), loadReferenceLayers()]).then(function () {
    if (state.config.selected.length >= 2) { return compare(state.config.selected); }
    return null;
  });
}

export {start};
