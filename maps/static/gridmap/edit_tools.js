/*
 * Gridmap grid editor: the tools (click, brush, lasso, split line) and the keyboard (Escape,
 * Enter, Ctrl+Z, Ctrl+Y). The lasso's shape goes to the server, which snaps it to whole units.
 */

import {undoRedo} from './edit_history.js';
import {addUnit, removeUnit} from './edit_layers.js';
import {dropAction, propose, selectionChanged} from './edit_preview.js';
import {layerPath, request, say, showError} from './edit_state.js';

/** Switch tools; brush, lasso and split line hold the map still. */
export function setTool(ed, name) {
  var map = ed.map;
  ed.tool = name;
  map.getContainer().setAttribute('data-tool', name);
  Array.prototype.forEach.call(document.querySelectorAll('.ge-toolbar [data-tool]'), function (b) {
    b.classList.toggle('ge-active', b.getAttribute('data-tool') === name);
  });
  if (name === 'brush' || name === 'lasso' || name === 'split') map.dragging.disable();
  else map.dragging.enable();
  endLine(ed, false);
  if (name === 'split' && !ed.selectedGrid) {
    say(ed, '先选一个网格（点击网格或列表） Pick a grid first (click it or its row)', 'info');
  }
}

/** The map's and the document's handlers for the lasso, the split line and the keys. */
export function listenForTools(ed) {
  listenForLasso(ed);
  listenForLine(ed);
  document.addEventListener('keydown', function (event) { onKey(ed, event); });
}

// Lasso: press, draw, release; the server snaps the shape to whole units.
function listenForLasso(ed) {
  var map = ed.map;
  map.on('mousedown', function (event) {
    if (ed.tool !== 'lasso') return;
    var lasso = ed.lasso = {points: [event.latlng], remove: event.originalEvent.shiftKey};
    lasso.line = L.polyline(lasso.points, {pane: 'geDraw', color: '#7a5900', weight: 2, dashArray: '4 4'});
    ed.layers.draw.addLayer(lasso.line);
  });
  map.on('mousemove', function (event) {
    var line = ed.line;
    if (ed.lasso) {
      ed.lasso.points.push(event.latlng);
      ed.lasso.line.setLatLngs(ed.lasso.points);
    } else if (line && ed.tool === 'split') {
      line.rubber.setLatLngs([line.points[line.points.length - 1], event.latlng]);
    }
  });
  map.on('mouseup', function () {
    if (!ed.lasso) return;
    var done = ed.lasso;
    ed.lasso = null;
    ed.layers.draw.removeLayer(done.line);
    if (done.points.length < 3) return;
    var ring = done.points.map(function (p) { return [p.lng, p.lat]; });
    ring.push(ring[0]);
    request(ed, 'POST', layerPath(ed, '/select'), {polygon: {type: 'Polygon', coordinates: [ring]}})
      .then(function (answer) {
        answer.units.forEach(function (u) {
          if (done.remove) removeUnit(ed, u.code);
          else addUnit(ed, u.code);
        });
        selectionChanged(ed);
      }, function (error) { showError(ed, error); });
  });
}

// Split line: click points, double-click (or Enter) to end, Escape to drop.
function listenForLine(ed) {
  var map = ed.map;
  map.on('click', function (event) {
    if (ed.tool !== 'split') return;
    if (!ed.selectedGrid) {
      say(ed, '先选一个网格 Pick a grid first', 'warn');
      return;
    }
    if (!ed.line) {
      var line = ed.line = {points: []};
      line.path = L.polyline([], {pane: 'geDraw', color: '#c4391d', weight: 3});
      line.rubber = L.polyline([], {pane: 'geDraw', color: '#c4391d', weight: 1.5, dashArray: '4 4'});
      ed.layers.draw.addLayer(line.path);
      ed.layers.draw.addLayer(line.rubber);
    }
    ed.line.points.push(event.latlng);
    ed.line.path.setLatLngs(ed.line.points);
  });
  map.on('dblclick', function () {
    if (ed.tool === 'split') endLine(ed, true);
  });
}

function onKey(ed, event) {
  var typing = event.target && /^(INPUT|SELECT|TEXTAREA)$/.test(event.target.tagName);
  if (event.key === 'Escape') { endLine(ed, false); dropAction(ed); }
  if (event.key === 'Enter' && ed.line) endLine(ed, true);
  if (typing) return;
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'z') {
    event.preventDefault();
    undoRedo(ed, event.shiftKey ? 'redo' : 'undo');
  } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'y') {
    event.preventDefault();
    undoRedo(ed, 'redo');
  }
}

/** Stop drawing the split line; with use, preview the split along it. */
export function endLine(ed, use) {
  if (!ed.line) return;
  var done = ed.line;
  ed.line = null;
  ed.layers.draw.clearLayers();
  if (!use) return;
  // A double click adds its point twice; drop repeats.
  var coords = [];
  done.points.forEach(function (p) {
    var last = coords[coords.length - 1];
    if (!last || last[0] !== p.lng || last[1] !== p.lat) coords.push([p.lng, p.lat]);
  });
  if (coords.length < 2) {
    say(ed, '切分线至少两个点 A split line needs two points', 'warn');
    return;
  }
  propose(ed, {
    url: layerPath(ed, '/grids/' + ed.selectedGrid + '/split'),
    body: {line: {type: 'LineString', coordinates: coords}},
    label: '沿线切分 ' + ed.selectedGrid + ' Split along the line'
  });
}
