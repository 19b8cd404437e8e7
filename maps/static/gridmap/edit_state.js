/*
 * Gridmap grid editor: the one state the editor's modules share (edit.js makes it, every
 * edit_*.js function takes it first), the request wrapper that counts what is running, and the
 * message line. Keeping the state in one object, not in fifteen closure variables, is what lets
 * the editor live in modules of a size one can read.
 *
 * Plain ES2017 without optional chaining: county offices run old Chromium-based browsers.
 */

import {ApiError, request as apiRequest} from './common.js';
import {reloadAll} from './edit_load.js';

/** A card draft that keeps nothing (no grid chosen, nothing typed). */
export function emptyDraft(grid) {
  return {grid: grid === undefined ? null : grid, merge: '', name: null, code: null};
}

/**
 * The editor's state. api is what the page publishes as window.gridedit (edit.js fills in its
 * methods); ui holds the panels' elements (edit_panels.js), layers the map's layers
 * (edit_layers.js).
 */
export function createEditor(map, config) {
  return {
    map: map,
    config: config,
    band: config.band,
    pending: 0,            // requests running (busy())
    viewSeq: 0,            // the latest view load; older answers are dropped
    proposeSeq: 0,         // the latest dry run
    neighboursSeq: 0,      // the latest neighbour list
    gridProps: {},         // code → properties of the grids in view
    unitLayers: {},        // code → Leaflet layer of the units in view
    selected: {},          // unit code → properties
    tool: 'click',
    selectedGrid: null,
    action: null,          // the proposed edit: {url, body, label}
    layersByCode: {},
    painting: null,        // brush: 'add' | 'remove' while the button is down
    lasso: null,           // the lasso being drawn
    line: null,            // the split line being drawn
    // What the planner has typed or chosen in the card survives a re-render (every map move
    // redraws it): the merge target, the name and the code, for as long as the grid stays chosen.
    draft: emptyDraft(),
    moveTimer: null,
    ui: {},
    layers: {},
    api: {
      state: 'loading',
      layer: null,
      version: null,
      map: map,
      preview: null,
      message: '',
      history: null
    }
  };
}

/** common.js request, counted while it runs (busy()). */
export function request(ed, method, path, body) {
  ed.pending += 1;
  return apiRequest(method, path, body).then(function (data) {
    ed.pending -= 1;
    return data;
  }, function (error) {
    ed.pending -= 1;
    throw error;
  });
}

/** An API path under the layer being edited. */
export function layerPath(ed, rest) {
  return 'layers/' + encodeURIComponent(ed.api.layer) + rest;
}

/** Show the planner a message ('' hides it); kind: 'ok' | 'info' | 'warn' | 'error'. */
export function say(ed, text, kind) {
  var box = ed.ui.messageBox;
  ed.api.message = text || '';
  box.textContent = text || '';
  box.className = 'ge-message' + (kind ? ' ge-' + kind : '') + (text ? ' ge-shown' : '');
}

/** Say what went wrong; a 409 with current_version (somebody else edited) reloads the view. */
export function showError(ed, error) {
  if (!(error instanceof ApiError)) {
    say(ed, '出错了 Something went wrong: ' + error.message, 'error');
    window.console.error(error);
    return;
  }
  var p = error.problem;
  var text = (p.title ? p.title + ': ' : '') + error.message;
  if (error.status === 409 && p.current_version) {
    // Somebody else edited the layer: show what changed, take their version, keep my work.
    text += ' — 已重新加载 Reloaded: preview again.';
    ed.api.version = p.current_version;
    reloadAll(ed);
  }
  say(ed, text, error.status >= 500 ? 'error' : 'warn');
}
