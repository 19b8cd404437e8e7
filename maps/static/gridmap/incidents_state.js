/*
 * Gridmap incident map: what its modules share. The page's state (incidents.js makes it, the
 * incidents_*.js functions take it first; api is window.gridmapIncidents), the filters as a
 * query string, and the page's small DOM and label helpers.
 *
 * Plain ES2017 without optional chaining: county offices run old Chromium-based browsers.
 */

import {fmt, label, request} from './common.js';

/** The page's state: the map, its config, the filter form, the legend, the overlay drawn. */
export function createState(map, config) {
  return {
    map: map,
    config: config,
    api: {
      mode: 'points', state: 'loading', ready: null,
      counts: {points: 0, clusters: 0, hexagons: 0, grids: 0, queue: 0, dispatch: 0, evaluate: 0}
    },
    filterForm: document.querySelector('[data-testid="filters"]'),
    legend: document.querySelector('[data-testid="legend"]'),
    overlay: null,                              // the layer of the current mode
    allPoints: null,                            // the last points loaded (points, heat)
    fitted: false,                              // the first points fit the view once
    gridStyle: function () { return {}; }       // the grid choropleth's, set by its figures
  };
}

/** An incident action's label (from gis/labels.py). */
export function actionLabel(code) { return label('incident_actions', code); }
/** An incident state's label (from gis/labels.py). */
export function stateLabel(code) { return label('incident_states', code); }

/** An element with attributes and, when given, text. */
export function el(tag, attrs, text) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** GET an API URL as JSON. */
export function fetchJson(url) {
  return request('GET', url);
}

/** A share 0..1 as a percentage. */
export function pct(v) { return fmt(v, 'pct'); }

/** The filter form (and extra parameters) as a query string; dates are China days. */
export function filterQuery(ic, extra) {
  var data = new FormData(ic.filterForm);
  var params = new URLSearchParams();
  ['category', 'state', 'status'].forEach(function (k) {
    if (data.get(k)) params.set(k, data.get(k));
  });
  if (data.get('since')) params.set('since', data.get('since') + 'T00:00:00+08:00');
  if (data.get('until')) params.set('until', data.get('until') + 'T00:00:00+08:00');
  Object.keys(extra || {}).forEach(function (k) { params.set(k, extra[k]); });
  return params.toString();
}
