/*
 * Gridmap grid editor: the map's panes and layers (grids, their labels, units, the preview, the
 * drawing) and the unit selection the click and brush tools make on them.
 */

import {CLASSES, classify, fmt} from './common.js';
import {chooseGrid} from './edit_card.js';
import {dropAction, selectionChanged} from './edit_preview.js';
import {selectArea} from './edit_suggest.js';
import {say} from './edit_state.js';

/** Panes in drawing order, the scale, and no Shift-drag box zoom. */
export function setUpMap(ed) {
  var map = ed.map;
  if (!ed.config.hasTiles) map.getContainer().classList.add('ge-no-tiles');
  map.createPane('geGrids').style.zIndex = 410;
  map.createPane('geUnits').style.zIndex = 420;
  map.createPane('gePreview').style.zIndex = 430;
  map.getPane('gePreview').style.pointerEvents = 'none';
  map.createPane('geLabels').style.zIndex = 440;
  map.getPane('geLabels').style.pointerEvents = 'none';
  map.createPane('geDraw').style.zIndex = 450;
  map.getPane('geDraw').style.pointerEvents = 'none';
  L.control.scale({position: 'bottomright', imperial: false}).addTo(map);
  // Shift-drag is how brush and lasso remove units: Leaflet's Shift-drag box zoom must not
  // also run (it zoomed to Infinity on a lasso and jumped the view on a brush).
  map.boxZoom.disable();
}

/** A grid's style: its workload class, locked dashed, the chosen one outlined dark. */
export function gridStyle(ed, feature) {
  var p = feature.properties;
  var cls = CLASSES[classify(p.workload, ed.band)];
  var chosen = ed.selectedGrid === p.code;
  return {
    pane: 'geGrids',
    className: 'ge-grid ge-' + cls.key + (p.locked ? ' ge-locked' : ''),
    color: chosen ? '#14202e' : (p.locked ? '#3b3b3b' : '#ffffff'),
    weight: chosen ? 3 : (p.locked ? 2.5 : 1.2),
    dashArray: p.locked ? '6 4' : null,
    fillColor: cls.color,
    fillOpacity: p.editable ? 0.78 : 0.35,
    opacity: 1
  };
}

function unitStyle(ed, feature) {
  var on = !!ed.selected[feature.properties.code];
  return {
    pane: 'geUnits',
    className: 'ge-unit' + (on ? ' ge-selected' : ''),
    color: on ? '#7a5900' : '#34404c',
    weight: on ? 2 : 0.6,
    opacity: on ? 1 : 0.55,
    fillColor: on ? '#ffd400' : '#ffffff',
    fillOpacity: on ? 0.65 : 0.01
  };
}

/** The layers, into ed.layers: grids, labels, units, preview, draw (in that order). */
export function buildLayers(ed) {
  var map = ed.map;
  var layers = ed.layers;
  layers.grids = L.geoJSON(null, {
    pane: 'geGrids',
    style: function (feature) { return gridStyle(ed, feature); },
    onEachFeature: function (feature, layer) {
      var p = feature.properties;
      layer.on('add', function () {
        var node = layer.getElement();
        if (node) node.setAttribute('data-code', p.code);
      });
      layer.on('click', function () {
        if (ed.tool === 'split') return;
        chooseGrid(ed, p.code);
      });
    }
  }).addTo(map);
  layers.labels = L.layerGroup().addTo(map);
  layers.units = L.geoJSON(null, {
    pane: 'geUnits',
    style: function (feature) { return unitStyle(ed, feature); },
    onEachFeature: function (feature, layer) { onEachUnit(ed, feature, layer); }
  }).addTo(map);
  layers.preview = L.geoJSON(null, {
    pane: 'gePreview',
    interactive: false,
    style: function (feature) {
      var cls = CLASSES[classify(feature.properties.workload, ed.band)];
      return {color: '#14202e', weight: 3, dashArray: '8 5', fillColor: cls.color, fillOpacity: 0.35};
    }
  }).addTo(map);
  layers.draw = L.layerGroup().addTo(map);
  document.addEventListener('mouseup', function () {
    if (ed.painting) {
      ed.painting = null;
      selectionChanged(ed);
    }
  });
}

/** A unit: its tooltip, a click (click tool) and the brush's press and hover. */
function onEachUnit(ed, feature, layer) {
  var p = feature.properties;
  ed.unitLayers[p.code] = layer;
  layer.on('add', function () {
    var node = layer.getElement();
    if (node) node.setAttribute('data-unit', p.code);
  });
  layer.bindTooltip(function () {
    return p.code + ' · ' + fmt(p.households) + ' 户 · ' + p.grid + (p.locked ? ' · 已锁定 locked' : '');
  }, {sticky: true, className: 'ge-tooltip'});
  layer.on('click', function (event) {
    if (ed.tool === 'community') {
      L.DomEvent.stop(event);
      selectArea(ed, p.community_code, event.originalEvent.shiftKey);
      return;
    }
    if (ed.tool !== 'click') return;
    L.DomEvent.stop(event);
    toggleUnit(ed, p.code);
    selectionChanged(ed);
    // Units cover their grid at editing zoom: a click on one also opens its grid's card.
    if (p.grid !== ed.selectedGrid && ed.gridProps[p.grid]) chooseGrid(ed, p.grid);
  });
  layer.on('mousedown', function (event) {
    if (ed.tool !== 'brush') return;
    ed.painting = event.originalEvent.shiftKey ? 'remove' : 'add';
    paint(ed, p.code);
  });
  layer.on('mouseover', function () {
    if (ed.tool === 'brush' && ed.painting) paint(ed, p.code);
  });
}

function paint(ed, code) {
  var p = unitProps(ed, code);
  if (!p) return;
  if (ed.painting === 'remove') {
    if (ed.selected[code]) { delete ed.selected[code]; restyle(ed, code); }
  } else if (!ed.selected[code] && !p.locked) {
    ed.selected[code] = p;
    restyle(ed, code);
  }
}

/** The properties of a unit in view (null when it is not). */
export function unitProps(ed, code) {
  var layer = ed.unitLayers[code];
  return layer ? layer.feature.properties : null;
}

/** Redraw a unit after its selection changed. */
export function restyle(ed, code) {
  var layer = ed.unitLayers[code];
  if (layer) layer.setStyle(unitStyle(ed, layer.feature));
}

/** Select a unit, unless its grid is locked (then say so). */
export function addUnit(ed, code) {
  var p = unitProps(ed, code);
  if (p && !p.locked) ed.selected[code] = p;
  else if (p && p.locked) say(ed, '网格 ' + p.grid + ' 已锁定，其单元不能移动 Grid ' + p.grid + ' is locked', 'warn');
  restyle(ed, code);
}

/** Take a unit out of the selection. */
export function removeUnit(ed, code) {
  if (ed.selected[code]) { delete ed.selected[code]; restyle(ed, code); }
}

function toggleUnit(ed, code) {
  if (ed.selected[code]) {
    delete ed.selected[code];
    restyle(ed, code);
  } else {
    addUnit(ed, code);
  }
}

/** Empty the selection and redraw the units that were in it (nothing else). */
export function unselectAll(ed) {
  var codes = Object.keys(ed.selected);
  ed.selected = {};
  codes.forEach(function (code) { restyle(ed, code); });
}

/** The clear button: no selection, no proposed edit. */
export function clearSelection(ed) {
  unselectAll(ed);
  dropAction(ed);
  selectionChanged(ed);
}
