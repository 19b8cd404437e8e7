/*
 * Gridmap incident map (吹哨报到): points clustered when zoomed out, a heat map, H3 hexagons and a
 * grid choropleth of the figures; a queue, the figures table and one incident's history beside it.
 *
 * Started by maps/incidents_page.py as GridmapIncidents.start(map, config), config = {
 * abilities: {report, dispatch, handle, evaluate}, department, states: {code: label}, crs}.
 * Data from the app's API: /incidents/points, /incidents/hexagons, /incidents/figures,
 * /incidents/queue, /incidents/{code}, /incidents/{code}/transitions; the grid choropleth's grids
 * as vector tiles (tiles/grids.unified, through tiles.js and Leaflet.VectorGrid).
 *
 * For tests it publishes window.gridmapIncidents: mode, state ('loading' | 'ready' | 'error'),
 * ready (Promise of the current view), counts {points, clusters, hexagons, grids, queue,
 * dispatch, evaluate} (the three queues: 待办, 待派遣, 待评价),
 * setMode(mode) → Promise, show(code) → Promise.
 *
 * Its parts: incidents_state.js (shared state, filters, helpers), incidents_layers.js (the map's
 * four modes), incidents_panel.js (queues, figures, one incident).
 *
 * Plain ES2017 without optional chaining: county offices run old Chromium-based browsers.
 */

import {redraw} from './incidents_layers.js';
import {loadFigures, loadQueue, show, showTab} from './incidents_panel.js';
import {createState, fetchJson} from './incidents_state.js';

/** The communities as a quiet background, so that points have a place on a map without tiles. */
function background(map) {
  map.createPane('giBackground');
  map.getPane('giBackground').style.zIndex = 250;
  fetchJson('/communities').then(function (fc) {
    L.geoJSON(fc, {
      pane: 'giBackground',
      interactive: false,
      style: {color: '#8796a8', weight: 1, opacity: 0.8, fillColor: '#eef1f4', fillOpacity: 0.7}
    }).addTo(map);
  }).catch(function (err) { console.warn('community outlines: ' + err); });
}

/** The mode radios, the filter form, the map's moves, the tabs and the figures' grouping. */
function listen(ic) {
  var api = ic.api;
  document.querySelectorAll('input[name="mode"]').forEach(function (radio) {
    radio.addEventListener('change', function () { if (radio.checked) api.setMode(radio.value); });
  });
  ic.filterForm.addEventListener('submit', function (e) {
    e.preventDefault();
    redraw(ic);
    loadFigures(ic);
  });
  ic.map.on('moveend', function () {
    if (api.mode === 'hexagons' || api.mode === 'grids') redraw(ic);
  });
  document.querySelectorAll('.gi-tabs button').forEach(function (b) {
    b.addEventListener('click', function () { showTab(b.getAttribute('data-tab')); });
  });
  document.querySelector('[data-testid="figures"] select[name="by"]')
    .addEventListener('change', function () { loadFigures(ic); });
}

function start(map, config) {
  var ic = createState(map, config);
  var api = ic.api;
  window.gridmapIncidents = api;
  // Clustering needs the map's maximum zoom, which only a tile layer would otherwise set.
  if (map.getMaxZoom() === Infinity) map.setMaxZoom(19);
  background(map);
  api.setMode = function (mode) {
    api.mode = mode;
    var radio = document.querySelector('input[name="mode"][value="' + mode + '"]');
    if (radio) radio.checked = true;
    return redraw(ic);
  };
  api.show = function (code) { return show(ic, code); };
  listen(ic);
  L.control.scale({imperial: false}).addTo(map);
  Promise.all([redraw(ic), loadQueue(ic), loadFigures(ic)]).catch(function () { /* shown */ });
}

export {start};
