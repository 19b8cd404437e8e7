/*
 * Gridmap scenarios page: two synchronised maps, each showing one compared item's grids as
 * vector tiles, and the "what changed" overlay between them.
 */

import {BAND_COLORS, fmt, request} from './common.js';
import {$, api, el, itemName, state} from './compare_state.js';
import * as tiles from './tiles.js';

var mapsState = {left: null, right: null, leftLayer: null, rightLayer: null, changes: []};

function makeMap(id) {
  var map = L.map(id, {zoomControl: true, preferCanvas: false, zoomSnap: 0.25});
  map.setView([27.95, 116.36], 11);
  L.control.scale({imperial: false}).addTo(map);
  return map;
}

// Pan and zoom together: a move of one map sets the other's view; the flag stops the echo.
function sync(a, b) {
  var busy = false;
  function follow(src, dst) {
    src.on('move zoomend', function () {
      if (busy) { return; }
      busy = true;
      dst.setView(src.getCenter(), src.getZoom(), {animate: false});
      busy = false;
    });
  }
  follow(a, b);
  follow(b, a);
}

export function setUpMaps() {
  $('#maps').hidden = false;
  if (!mapsState.left) {
    mapsState.left = makeMap('map-left');
    mapsState.right = makeMap('map-right');
    sync(mapsState.left, mapsState.right);
    api.maps = {left: mapsState.left, right: mapsState.right};
    $('#left-select').addEventListener('change', drawMaps);
    $('#right-select').addEventListener('change', drawMaps);
    $('#changes-toggle').addEventListener('change', drawMaps);
  }
  ['#left-select', '#right-select'].forEach(function (sel, side) {
    var select = $(sel);
    select.textContent = '';
    state.compared.forEach(function (m, i) {
      select.appendChild(el('option', {value: String(i), text: itemName(m)}));
    });
    select.value = String(Math.min(side, state.compared.length - 1));
  });
  drawMaps();
}

function gridStyle(properties) {
  return {color: '#ffffff', weight: 1, fill: true, fillOpacity: 0.75,
    fillColor: BAND_COLORS[properties.band] || '#cccccc'};
}

/** A layer's grids as vector tiles (TileJSON first: the URLs of its current version). */
function openLayer(map, code, old) {
  if (old) { map.removeLayer(old); }
  return tiles.open('grids.' + code, {styles: {grids: gridStyle}})
    .then(function (opened) {
      var tooltip = L.tooltip({sticky: true});
      opened.layer.on('mouseover', function (e) {
        var p = e.layer.properties;
        map.openTooltip(tooltip.setLatLng(e.latlng).setContent(
          p.code + ' · ' + fmt(p.workload, 0)));
      });
      opened.layer.on('mouseout', function () { map.closeTooltip(tooltip); });
      return opened;
    });
}

/** Add a layer to its map and resolve, once its tiles in view are drawn, with the count of
 * grids drawn (each once, whatever tiles it spans). */
function draw(map, opened) {
  return new Promise(function (resolve) {
    opened.layer.once('load', function () {
      resolve({layer: opened.layer,
        count: tiles.features(opened.layer).length});
    });
    opened.layer.addTo(map);
  });
}

function drawMaps() {
  var left = state.compared[Number($('#left-select').value)];
  var right = state.compared[Number($('#right-select').value)];
  mapsState.changes.forEach(function (pair) { pair[0].removeLayer(pair[1]); });
  mapsState.changes = [];
  var first = !mapsState.leftLayer;
  api.ready = Promise.all([
    openLayer(mapsState.left, left.code, mapsState.leftLayer),
    openLayer(mapsState.right, right.code, mapsState.rightLayer)
  ]).then(function (opened) {
    var b = opened[0].tilejson.bounds;
    if (first && b[0] > -180) {
      mapsState.left.fitBounds(L.latLngBounds([b[1], b[0]], [b[3], b[2]]), {animate: false});
    }
    return Promise.all([draw(mapsState.left, opened[0]), draw(mapsState.right, opened[1])]);
  }).then(function (drawn) {
    mapsState.leftLayer = drawn[0].layer;
    mapsState.rightLayer = drawn[1].layer;
    api.counts.left = drawn[0].count;
    api.counts.right = drawn[1].count;
    if (!$('#changes-toggle').checked || left.code === right.code) {
      api.counts.changes = 0;
      $('#changes-count').textContent = '';
      return api.counts;
    }
    return request('GET', '/scenarios/compare/changes?a=' + encodeURIComponent(left.ref) +
      '&b=' + encodeURIComponent(right.ref)).then(function (fc) {
      [mapsState.left, mapsState.right].forEach(function (map) {
        var overlay = L.geoJSON(fc, {style: {color: '#b30000', weight: 2, fill: false,
          dashArray: '4 3'}, interactive: false}).addTo(map);
        mapsState.changes.push([map, overlay]);
      });
      api.counts.changes = fc.features.length;
      $('#changes-count').textContent = '变动单元 units changed: ' + fc.features.length;
      return api.counts;
    });
  });
  return api.ready;
}
