/*
 * Gridmap grid editor: what comes from the server and when. The view loads grids and units by
 * bbox (units only from config.unitZoom on, so the whole city never has to be in the browser
 * at once) after every map move; the layer and area menus load once at start.
 */

import {el, query} from './common.js';
import {renderCard, renderLabels, renderList} from './edit_card.js';
import {loadHistory} from './edit_history.js';
import {unitProps, unselectAll} from './edit_layers.js';
import {showHint} from './edit_panels.js';
import {dropAction, fillTargets, selectionChanged} from './edit_preview.js';
import {layerPath, request, say, showError} from './edit_state.js';

function bboxText(map) {
  var b = map.getBounds().pad(0.1);
  var w = Math.max(-180, b.getWest());
  var e = Math.min(180, b.getEast());
  var s = Math.max(-90, b.getSouth());
  var n = Math.min(90, b.getNorth());
  return [w, s, e, n].map(function (v) { return v.toFixed(6); }).join(',');
}

/** The grids (and, zoomed in, the units) in view; a newer load makes an older one's answer moot. */
export function loadView(ed) {
  var api = ed.api;
  if (!api.layer) return Promise.resolve(null);
  var seq = ++ed.viewSeq;
  var zoom = ed.map.getZoom();
  var tolerance = zoom >= 15 ? 0 : Math.min(0.01, 0.00001 * Math.pow(2, 15 - zoom));
  var bbox = bboxText(ed.map);
  var wantUnits = zoom >= ed.config.unitZoom;
  var gridsDone = request(ed, 'GET', layerPath(ed, '/editor/grids') + query({bbox: bbox, tolerance: tolerance.toFixed(6)}));
  var unitsDone = wantUnits ? request(ed, 'GET', layerPath(ed, '/units') + query({bbox: bbox})) : Promise.resolve(null);
  api.state = 'loading';
  return Promise.all([gridsDone, unitsDone]).then(function (answers) {
    if (seq !== ed.viewSeq) return null;
    showView(ed, answers[0], answers[1], wantUnits);
    api.state = 'ready';
    return answers[0];
  }, function (error) {
    if (seq !== ed.viewSeq) return null;
    api.state = 'error';
    showError(ed, error);
    return null;
  });
}

function showView(ed, fc, unitFc, wantUnits) {
  var api = ed.api;
  ed.gridProps = {};
  fc.features.forEach(function (f) { ed.gridProps[f.properties.code] = f.properties; });
  ed.layers.grids.clearLayers();
  ed.layers.grids.addData(fc);
  if (api.version === null || fc.version > api.version) api.version = fc.version;
  showVersion(ed);
  ed.unitLayers = {};
  ed.layers.units.clearLayers();
  if (unitFc && !unitFc.truncated) {
    ed.layers.units.addData(unitFc);
    // Selected units keep their properties fresh (their grid may have changed).
    Object.keys(ed.selected).forEach(function (c) { if (ed.unitLayers[c]) ed.selected[c] = unitProps(ed, c); });
  } else if (unitFc && unitFc.truncated) {
    say(ed, '视图内单元过多，请放大 Too many units in view: zoom in to select', 'info');
  }
  ed.map.getContainer().classList.toggle('ge-units-off', !wantUnits);
  renderList(ed);
  renderLabels(ed);
  renderCard(ed);
  fillTargets(ed, communitiesOfSelection(ed));
}

function communitiesOfSelection(ed) {
  var out = {};
  Object.keys(ed.selected).forEach(function (c) { out[ed.selected[c].community_code] = true; });
  return Object.keys(out);
}

/** The header's version badge. */
export function showVersion(ed) {
  ed.ui.versionBadge.textContent = ed.api.version ? '版本 v' + ed.api.version : '';
}

/** The view and the history, again. */
export function reloadAll(ed) {
  return Promise.all([loadView(ed), loadHistory(ed)]);
}

/** Edit another layer: nothing selected, the URL says which, everything reloaded. */
function chooseLayer(ed, code) {
  ed.api.layer = code;
  ed.api.version = null;
  ed.selectedGrid = null;
  unselectAll(ed);
  dropAction(ed);
  selectionChanged(ed);
  var url = new URL(window.location.href);
  url.searchParams.set('layer', code);
  window.history.replaceState(null, '', url.pathname + url.search);
  return reloadAll(ed);
}

/** The view follows the map (150 ms after it stops); the menus choose a layer and an area. */
export function listenForView(ed) {
  var ui = ed.ui;
  ed.map.on('moveend', function () {
    window.clearTimeout(ed.moveTimer);
    ed.moveTimer = window.setTimeout(function () { loadView(ed); }, 150);
  });
  ui.layerSelect.addEventListener('change', function () { chooseLayer(ed, ui.layerSelect.value); });
  ui.areaSelect.addEventListener('change', function () {
    var option = ui.areaSelect.options[ui.areaSelect.selectedIndex];
    if (option && option.bounds) ed.map.fitBounds(option.bounds, {padding: [20, 20]});
  });
}

/** Load the area and layer menus, open on the communities, then on the wanted layer. */
export function loadStart(ed) {
  var api = ed.api;
  var wanted = new URL(window.location.href).searchParams.get('layer');
  var areasLoaded = Promise.all([request(ed, 'GET', 'districts'), request(ed, 'GET', 'communities')]).then(function (answers) {
    fillAreas(ed, answers[0].features, answers[1].features);
    showHint(ed);
  });
  var layersLoaded = request(ed, 'GET', 'layers').then(function (layers) { return fillLayers(ed, layers, wanted); });
  return Promise.all([layersLoaded, areasLoaded]).then(function (answers) {
    if (!answers[0]) {
      api.state = 'ready';
      say(ed, '没有可编辑的图层 No editable layer', 'warn');
      return null;
    }
    return chooseLayer(ed, answers[0]);
  }, function (error) {
    api.state = 'error';
    showError(ed, error);
  });
}

function fillAreas(ed, districts, communities) {
  var areaSelect = ed.ui.areaSelect;
  var all = L.latLngBounds([]);
  var group = el('optgroup', null, null, areaSelect);
  group.label = '区县 Districts';
  districts.forEach(function (f) {
    var bounds = L.geoJSON(f).getBounds();
    all.extend(bounds);
    var o = el('option', null, f.properties.name + ' ' + f.properties.code, group);
    o.value = f.properties.code;
    o.bounds = bounds;
  });
  var cgroup = el('optgroup', null, null, areaSelect);
  cgroup.label = '社区 Communities';
  communities.sort(function (a, b) { return a.properties.code < b.properties.code ? -1 : 1; });
  var settled = L.latLngBounds([]);
  communities.forEach(function (f) {
    var o = el('option', null, f.properties.name + ' ' + f.properties.code, cgroup);
    o.value = f.properties.code;
    o.bounds = L.geoJSON(f).getBounds();
    settled.extend(o.bounds);
  });
  // Open on where the grids are (the communities), not the districts' empty countryside.
  var area = settled.isValid() ? settled : all;
  if (area.isValid()) ed.map.fitBounds(area, {padding: [20, 20], animate: false});
}

/** The editable layers into the menu; which one to open (the URL's, the default, the first). */
function fillLayers(ed, layers, wanted) {
  var layersByCode = ed.layersByCode;
  var defaultLayer = ed.config.defaultLayer;
  var editable = layers.filter(function (l) { return l.kind === 'unified' || l.kind === 'scenario'; });
  editable.forEach(function (l) {
    layersByCode[l.code] = l;
    var o = el('option', null, l.name + ' (' + l.code + ')', ed.ui.layerSelect);
    o.value = l.code;
  });
  var first = layersByCode[wanted] ? wanted : (layersByCode[defaultLayer] ? defaultLayer : (editable.length ? editable[0].code : null));
  if (first) ed.ui.layerSelect.value = first;
  return first;
}
