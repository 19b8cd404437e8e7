/*
 * Gridmap grid editor: planners move whole base units between grids, split, merge, lock,
 * rename, undo/redo and revert, with a dry-run preview before anything is applied.
 *
 * Started by the page (maps/edit_page.py) as GridmapEditor.start(leafletMap, config), where
 * config = {band, unitZoom, csrfToken, splitPolicy, defaultLayer, hasTiles}. All data comes from
 * the app's editing API (same origin, relative URLs); the view loads grids and units by bbox,
 * units only from config.unitZoom on, so the whole city never has to be in the browser at once.
 *
 * For tests and for debugging it publishes window.gridedit:
 *   state            'loading' | 'ready' | 'error'; busy() true while a request is running
 *   layer, version   the layer being edited and the version the page shows
 *   map              the Leaflet map
 *   selection()      codes of the selected units; select(codes) / clear()
 *   unitCount()      units drawn; grid(code) the properties of a grid in view
 *   setTool(name)    'click' | 'brush' | 'lasso' | 'split'
 *   preview          the last dry run's answer (null when none)
 *   message          the last message shown to the planner
 *   reload()         reload the view; returns a Promise
 *
 * The editor is split into modules along its seams, all sharing one state (edit_state.js):
 *   edit_panels.js   controls and side panel     edit_layers.js   map layers, unit selection
 *   edit_tools.js    brush, lasso, split line    edit_preview.js  dry run, preview, apply
 *   edit_card.js     grid card, list, labels     edit_history.js  history, undo, redo, revert
 *   edit_load.js     view, layer and area loading
 *   edit_suggest.js  Suggest, community brush
 *
 * Plain ES2017 without optional chaining: county offices run old Chromium-based browsers.
 */

import {CLASSES, classify} from './common.js';
import {loadStart, listenForView, reloadAll} from './edit_load.js';
import {addUnit, buildLayers, clearSelection, setUpMap} from './edit_layers.js';
import {buildControls, buildHeader, buildSide, showTab} from './edit_panels.js';
import {selectionChanged} from './edit_preview.js';
import {createEditor} from './edit_state.js';
import {listenForTools, setTool} from './edit_tools.js';

/** window.gridedit: the editor as tests and a debugging planner see it. */
function publish(ed) {
  var api = ed.api;
  api.busy = function () { return ed.pending > 0; };
  api.selection = function () { return Object.keys(ed.selected).sort(); };
  api.select = function (codes) {
    codes.forEach(function (c) { addUnit(ed, c); });
    selectionChanged(ed);
  };
  api.clear = function () { clearSelection(ed); };
  api.unitCount = function () { return Object.keys(ed.unitLayers).length; };
  api.grid = function (code) { return ed.gridProps[code] || null; };
  api.setTool = function (name) { setTool(ed, name); };
  api.reload = function () { return reloadAll(ed); };
  api.classify = function (w) { return CLASSES[classify(w, ed.band)].key; };
  window.gridedit = api;
}

function start(map, config) {
  var ed = createEditor(map, config);
  publish(ed);
  setUpMap(ed);
  buildHeader(ed);
  buildControls(ed);
  buildSide(ed);
  buildLayers(ed);
  listenForTools(ed);
  listenForView(ed);
  ed.ui.applyRow.style.display = 'none';
  ed.ui.gridBox.style.display = 'none';
  showTab(ed, 'grids');
  setTool(ed, 'click');
  selectionChanged(ed);
  ed.api.ready = loadStart(ed);
  return ed.api;
}

export {start};
