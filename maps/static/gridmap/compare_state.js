/*
 * Gridmap scenarios page: what its modules share. The state (the page's config, the scenarios
 * listed, the items compared, the crosswalk shown), window.gridmapCompare for tests, and the
 * page's small DOM helpers. compare.js starts the page; compare_list.js, compare_table.js,
 * compare_maps.js and compare_detail.js draw its parts.
 *
 * Plain ES2017 without optional chaining: county offices run old Chromium-based browsers.
 */

/** The page's one state (a module's bindings cannot be reassigned from outside it). */
export var state = {config: null, scenarios: [], compared: [], pollTimer: null, crosswalkRows: []};
export var api = window.gridmapCompare = {maps: {}, counts: {}, ready: Promise.resolve()};

/** The first element that matches a CSS selector. */
export function $(sel) { return document.querySelector(sel); }

/** An element with attributes (text: its textContent) and children (strings become text). */
export function el(tag, attrs, children) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) {
    if (k === 'text') { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
  });
  (children || []).forEach(function (c) {
    node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  });
  return node;
}

/** An error, shown under the new-run form (the page's one message line). */
export function showError(err) {
  var msg = $('#create-msg');
  msg.textContent = '错误 Error: ' + err.message;
  msg.className = 'cmp-msg cmp-error';
}

// A column's name as people read it: the scenario's name and number, or the layer's name.
export function itemName(m) {
  return m.scenario_id ? m.label + ' #' + m.scenario_id : m.label;
}
