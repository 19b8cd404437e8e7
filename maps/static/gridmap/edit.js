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
 * Plain ES2017 without optional chaining: county offices run old Chromium-based browsers.
 */

import {ApiError, CLASSES, chinaTime, classify, el, fmt, query, request as apiRequest} from './common.js';

var BAND_LABELS = {under: '低于 Under', 'in': '达标 In band', over: '超出 Over'};
var KIND_LABELS = {
  move: '移动 Move', 'new': '新建 New grid', split: '切分 Split', merge: '合并 Merge',
  lock: '锁定 Lock', unlock: '解锁 Unlock', rename: '改名 Rename', undo: '撤销 Undo',
  redo: '重做 Redo', revert: '回退 Revert'
};
var TOOLS = [
  ['click', '点选', 'Click', '点击基础单元选中或取消 Click units to (de)select'],
  ['brush', '刷选', 'Brush', '按住鼠标划过单元 Drag across units (Shift: remove)'],
  ['lasso', '套索', 'Lasso', '圈出一片单元 Draw around units (Shift: remove)'],
  ['split', '切分线', 'Split line', '选中网格后画线切分，双击结束 Pick a grid, click points, double-click to end']
];

function button(parent, zh, en, testid, onClick, className) {
  var b = el('button', 'ge-btn' + (className ? ' ' + className : ''), null, parent);
  b.type = 'button';
  el('span', null, zh, b);
  if (en) el('span', 'ge-en', en, b);
  if (testid) b.setAttribute('data-testid', testid);
  b.addEventListener('click', function (event) { event.preventDefault(); onClick(event); });
  return b;
}

function start(map, config) {
  var band = config.band;
  var pending = 0;
  var viewSeq = 0;
  var gridProps = {};   // code → properties of the grids in view
  var unitLayers = {};  // code → Leaflet layer of the units in view
  var selected = {};    // unit code → properties
  var tool = 'click';
  var selectedGrid = null;
  var action = null;    // the proposed edit: {url, body, label}
  var layersByCode = {};
  var api = {
    state: 'loading',
    layer: null,
    version: null,
    map: map,
    preview: null,
    message: '',
    history: null,
    busy: function () { return pending > 0; },
    selection: function () { return Object.keys(selected).sort(); },
    select: function (codes) { codes.forEach(function (c) { addUnit(c); }); selectionChanged(); },
    clear: function () { clearSelection(); },
    unitCount: function () { return Object.keys(unitLayers).length; },
    grid: function (code) { return gridProps[code] || null; },
    setTool: setTool,
    reload: function () { return reloadAll(); },
    classify: function (w) { return CLASSES[classify(w, band)].key; }
  };
  window.gridedit = api;

  if (!config.hasTiles) map.getContainer().classList.add('ge-no-tiles');
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

  /* -------------------------------------------------------------- network */

  /** common.js request, counted while it runs (busy()). */
  function request(method, path, body) {
    pending += 1;
    return apiRequest(method, path, body).then(function (data) {
      pending -= 1;
      return data;
    }, function (error) {
      pending -= 1;
      throw error;
    });
  }

  function layerPath(rest) {
    return 'layers/' + encodeURIComponent(api.layer) + rest;
  }

  /* -------------------------------------------------------------- panels */

  var header = document.querySelector('.ge-bar');
  var layerSelect = header.querySelector('select[data-testid="layer-select"]');
  var versionBadge = header.querySelector('[data-testid="version"]');
  var areaLabel = el('label', 'ge-layer', '范围 ', null);
  el('span', 'gm-en', 'Area', areaLabel);
  var areaSelect = el('select', null, null, areaLabel);
  areaSelect.setAttribute('data-testid', 'area-select');
  versionBadge.parentNode.insertBefore(areaLabel, versionBadge);

  var toolbar = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function () {
      var box = el('div', 'ge-toolbar leaflet-bar');
      TOOLS.forEach(function (t) {
        var b = button(box, t[1], t[2], 'tool-' + t[0], function () { setTool(t[0]); });
        b.title = t[3];
        b.setAttribute('data-tool', t[0]);
      });
      el('div', 'ge-sep', null, box);
      api._undo = button(box, '撤销', 'Undo', 'undo', function () { undoRedo('undo'); });
      api._undo.title = 'Ctrl+Z';
      api._redo = button(box, '重做', 'Redo', 'redo', function () { undoRedo('redo'); });
      api._redo.title = 'Ctrl+Y';
      L.DomEvent.disableClickPropagation(box);
      return box;
    }
  });
  new toolbar().addTo(map);

  var legendControl = L.Control.extend({
    options: {position: 'bottomleft'},
    onAdd: function () {
      var box = el('div', 'ge-legend');
      CLASSES.forEach(function (cls) {
        var item = el('span', 'ge-legend-item', null, box);
        el('span', 'ge-swatch', null, item).style.background = cls.color;
        el('span', null, cls.zh, item);
      });
      var lock = el('span', 'ge-legend-item', null, box);
      el('span', 'ge-swatch ge-swatch-locked', null, lock);
      el('span', null, '锁定 Locked', lock);
      return box;
    }
  });
  new legendControl().addTo(map);

  // Below config.unitZoom only grids are drawn: say so, and offer the zoom that edits.
  var hintControl = L.Control.extend({
    options: {position: 'topright'},
    onAdd: function () {
      var box = el('div', 'ge-zoom-hint');
      box.setAttribute('data-testid', 'zoom-hint');
      box.setAttribute('role', 'status');
      el('span', null, '放大到第 ' + config.unitZoom + ' 级后可选择基础单元', box);
      el('span', 'ge-en', 'Units are selectable from zoom ' + config.unitZoom, box);
      var go = button(box, '放大', 'Zoom in', 'zoom-to-edit', function () {
        map.setZoom(config.unitZoom);
      });
      go.classList.add('ge-primary');
      L.DomEvent.disableClickPropagation(box);
      return box;
    }
  });
  var hint = new hintControl().addTo(map);
  function showHint() {
    var off = map.getZoom() < config.unitZoom;
    hint.getContainer().style.display = off ? '' : 'none';
    api.hintShown = off;
  }
  map.on('zoomend', showHint);

  var side = el('aside', 'ge-side', null, document.body);
  side.setAttribute('data-testid', 'side-panel');
  var messageBox = el('div', 'ge-message', null, side);
  messageBox.setAttribute('data-testid', 'message');
  messageBox.setAttribute('role', 'status');

  // Selection and the proposed edit
  var selBox = el('section', 'ge-section ge-selection', null, side);
  var selTitle = el('h2', 'ge-h2', '选择 Selection', selBox);
  selTitle.setAttribute('data-testid', 'selection-title');
  var selSummary = el('p', 'ge-muted', '未选择单元 No units selected', selBox);
  selSummary.setAttribute('data-testid', 'selection-summary');
  var assignRow = el('div', 'ge-row', null, selBox);
  var targetLabel = el('label', 'ge-grow', null, assignRow);
  el('span', 'ge-label', '并入网格 Assign to grid', targetLabel);
  var targetSelect = el('select', null, null, targetLabel);
  targetSelect.setAttribute('data-testid', 'target');
  targetSelect.addEventListener('change', function () {
    if (targetSelect.value) proposeMove(targetSelect.value);
  });
  var newGridBtn = button(assignRow, '新建网格', 'New grid', 'new-grid', function () {
    proposeMove('new');
  });
  var clearBtn = button(assignRow, '清空', 'Clear', 'clear-selection', function () {
    clearSelection();
  }, 'ge-quiet');

  var previewBox = el('div', 'ge-preview', null, selBox);
  previewBox.setAttribute('data-testid', 'preview');
  var applyRow = el('div', 'ge-row', null, selBox);
  var confirmLabel = el('label', 'ge-confirm', null, applyRow);
  var confirmBox = el('input', null, null, confirmLabel);
  confirmBox.type = 'checkbox';
  confirmBox.setAttribute('data-testid', 'confirm');
  el('span', null, '确认拆成多块 I accept a grid in pieces', confirmLabel);
  var applyBtn = button(applyRow, '应用', 'Apply', 'apply', function () { applyAction(); }, 'ge-primary');
  button(applyRow, '取消', 'Cancel', 'cancel', function () { dropAction(); }, 'ge-quiet');

  // The grid card
  var gridBox = el('section', 'ge-section ge-gridcard', null, side);
  gridBox.setAttribute('data-testid', 'grid-card');

  // Tabs: grids in view, history
  var tabs = el('div', 'ge-tabs', null, side);
  var listTab = button(tabs, '视图内网格', 'Grids in view', 'tab-grids', function () { showTab('grids'); });
  var historyTab = button(tabs, '历史', 'History', 'tab-history', function () { showTab('history'); });
  var listBox = el('div', 'ge-list', null, side);
  listBox.setAttribute('data-testid', 'grid-list');
  var historyBox = el('div', 'ge-history', null, side);
  historyBox.setAttribute('data-testid', 'history');

  function showTab(name) {
    listBox.style.display = name === 'grids' ? '' : 'none';
    historyBox.style.display = name === 'history' ? '' : 'none';
    listTab.classList.toggle('ge-active', name === 'grids');
    historyTab.classList.toggle('ge-active', name === 'history');
    if (name === 'history') loadHistory();
  }

  function say(text, kind) {
    api.message = text || '';
    messageBox.textContent = text || '';
    messageBox.className = 'ge-message' + (kind ? ' ge-' + kind : '') + (text ? ' ge-shown' : '');
  }

  /* -------------------------------------------------------------- map layers */

  function gridStyle(feature) {
    var p = feature.properties;
    var cls = CLASSES[classify(p.workload, band)];
    var chosen = selectedGrid === p.code;
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

  var grids = L.geoJSON(null, {
    pane: 'geGrids',
    style: gridStyle,
    onEachFeature: function (feature, layer) {
      var p = feature.properties;
      layer.on('add', function () {
        var node = layer.getElement();
        if (node) node.setAttribute('data-code', p.code);
      });
      layer.on('click', function () {
        if (tool === 'split') return;
        chooseGrid(p.code);
      });
    }
  }).addTo(map);
  var labels = L.layerGroup().addTo(map);

  function unitStyle(feature) {
    var on = !!selected[feature.properties.code];
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

  var painting = null; // brush: 'add' | 'remove' while the button is down
  var units = L.geoJSON(null, {
    pane: 'geUnits',
    style: unitStyle,
    onEachFeature: function (feature, layer) {
      var p = feature.properties;
      unitLayers[p.code] = layer;
      layer.on('add', function () {
        var node = layer.getElement();
        if (node) node.setAttribute('data-unit', p.code);
      });
      layer.bindTooltip(function () {
        return p.code + ' · ' + fmt(p.households) + ' 户 · ' + p.grid + (p.locked ? ' · 已锁定 locked' : '');
      }, {sticky: true, className: 'ge-tooltip'});
      layer.on('click', function (event) {
        if (tool !== 'click') return;
        L.DomEvent.stop(event);
        toggleUnit(p.code);
        selectionChanged();
        // Units cover their grid at editing zoom: a click on one also opens its grid's card.
        if (p.grid !== selectedGrid && gridProps[p.grid]) chooseGrid(p.grid);
      });
      layer.on('mousedown', function (event) {
        if (tool !== 'brush') return;
        painting = event.originalEvent.shiftKey ? 'remove' : 'add';
        paint(p.code);
      });
      layer.on('mouseover', function () {
        if (tool === 'brush' && painting) paint(p.code);
      });
    }
  }).addTo(map);
  var previewLayer = L.geoJSON(null, {
    pane: 'gePreview',
    interactive: false,
    style: function (feature) {
      var cls = CLASSES[classify(feature.properties.workload, band)];
      return {color: '#14202e', weight: 3, dashArray: '8 5', fillColor: cls.color, fillOpacity: 0.35};
    }
  }).addTo(map);
  var drawLayer = L.layerGroup().addTo(map);

  document.addEventListener('mouseup', function () {
    if (painting) {
      painting = null;
      selectionChanged();
    }
  });

  function paint(code) {
    var p = unitProps(code);
    if (!p) return;
    if (painting === 'remove') {
      if (selected[code]) { delete selected[code]; restyle(code); }
    } else if (!selected[code] && !p.locked) {
      selected[code] = p;
      restyle(code);
    }
  }

  function unitProps(code) {
    var layer = unitLayers[code];
    return layer ? layer.feature.properties : null;
  }

  function restyle(code) {
    var layer = unitLayers[code];
    if (layer) layer.setStyle(unitStyle(layer.feature));
  }

  function addUnit(code) {
    var p = unitProps(code);
    if (p && !p.locked) selected[code] = p;
    else if (p && p.locked) say('网格 ' + p.grid + ' 已锁定，其单元不能移动 Grid ' + p.grid + ' is locked', 'warn');
    restyle(code);
  }

  function toggleUnit(code) {
    if (selected[code]) {
      delete selected[code];
      restyle(code);
    } else {
      addUnit(code);
    }
  }

  function clearSelection() {
    var codes = Object.keys(selected);
    selected = {};
    codes.forEach(restyle);
    dropAction();
    selectionChanged();
  }

  /* -------------------------------------------------------------- tools */

  function setTool(name) {
    tool = name;
    map.getContainer().setAttribute('data-tool', name);
    Array.prototype.forEach.call(document.querySelectorAll('.ge-toolbar [data-tool]'), function (b) {
      b.classList.toggle('ge-active', b.getAttribute('data-tool') === name);
    });
    if (name === 'brush' || name === 'lasso' || name === 'split') map.dragging.disable();
    else map.dragging.enable();
    endLine(false);
    if (name === 'split' && !selectedGrid) {
      say('先选一个网格（点击网格或列表） Pick a grid first (click it or its row)', 'info');
    }
  }

  // Lasso: press, draw, release; the server snaps the shape to whole units.
  var lasso = null;
  map.on('mousedown', function (event) {
    if (tool !== 'lasso') return;
    lasso = {points: [event.latlng], remove: event.originalEvent.shiftKey};
    lasso.line = L.polyline(lasso.points, {pane: 'geDraw', color: '#7a5900', weight: 2, dashArray: '4 4'});
    drawLayer.addLayer(lasso.line);
  });
  map.on('mousemove', function (event) {
    if (lasso) {
      lasso.points.push(event.latlng);
      lasso.line.setLatLngs(lasso.points);
    } else if (line && tool === 'split') {
      line.rubber.setLatLngs([line.points[line.points.length - 1], event.latlng]);
    }
  });
  map.on('mouseup', function () {
    if (!lasso) return;
    var done = lasso;
    lasso = null;
    drawLayer.removeLayer(done.line);
    if (done.points.length < 3) return;
    var ring = done.points.map(function (p) { return [p.lng, p.lat]; });
    ring.push(ring[0]);
    request('POST', layerPath('/select'), {polygon: {type: 'Polygon', coordinates: [ring]}})
      .then(function (answer) {
        answer.units.forEach(function (u) {
          if (done.remove) {
            if (selected[u.code]) { delete selected[u.code]; restyle(u.code); }
          } else {
            addUnit(u.code);
          }
        });
        selectionChanged();
      }, showError);
  });

  // Split line: click points, double-click (or Enter) to end, Escape to drop.
  var line = null;
  map.on('click', function (event) {
    if (tool !== 'split') return;
    if (!selectedGrid) {
      say('先选一个网格 Pick a grid first', 'warn');
      return;
    }
    if (!line) {
      line = {points: []};
      line.path = L.polyline([], {pane: 'geDraw', color: '#c4391d', weight: 3});
      line.rubber = L.polyline([], {pane: 'geDraw', color: '#c4391d', weight: 1.5, dashArray: '4 4'});
      drawLayer.addLayer(line.path);
      drawLayer.addLayer(line.rubber);
    }
    line.points.push(event.latlng);
    line.path.setLatLngs(line.points);
  });
  map.on('dblclick', function () {
    if (tool === 'split') endLine(true);
  });
  document.addEventListener('keydown', function (event) {
    var typing = event.target && /^(INPUT|SELECT|TEXTAREA)$/.test(event.target.tagName);
    if (event.key === 'Escape') { endLine(false); dropAction(); }
    if (event.key === 'Enter' && line) endLine(true);
    if (typing) return;
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'z') {
      event.preventDefault();
      undoRedo(event.shiftKey ? 'redo' : 'undo');
    } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'y') {
      event.preventDefault();
      undoRedo('redo');
    }
  });

  function endLine(use) {
    if (!line) return;
    var done = line;
    line = null;
    drawLayer.clearLayers();
    if (!use) return;
    // A double click adds its point twice; drop repeats.
    var coords = [];
    done.points.forEach(function (p) {
      var last = coords[coords.length - 1];
      if (!last || last[0] !== p.lng || last[1] !== p.lat) coords.push([p.lng, p.lat]);
    });
    if (coords.length < 2) {
      say('切分线至少两个点 A split line needs two points', 'warn');
      return;
    }
    propose({
      url: layerPath('/grids/' + selectedGrid + '/split'),
      body: {line: {type: 'LineString', coordinates: coords}},
      label: '沿线切分 ' + selectedGrid + ' Split along the line'
    });
  }

  /* -------------------------------------------------------------- selection panel */

  function selectionChanged() {
    var codes = Object.keys(selected);
    var households = 0;
    var byGrid = {};
    var communities = {};
    codes.forEach(function (c) {
      var p = selected[c];
      households += p.households;
      byGrid[p.grid] = (byGrid[p.grid] || 0) + 1;
      communities[p.community_code] = true;
    });
    if (!codes.length) {
      selSummary.textContent = '未选择单元 No units selected';
    } else {
      selSummary.textContent = codes.length + ' 个单元 units · ' + fmt(households) + ' 户 households · 来自 from ' +
        Object.keys(byGrid).sort().map(function (g) { return g + ' (' + byGrid[g] + ')'; }).join(', ');
    }
    fillTargets(Object.keys(communities));
    var on = codes.length > 0;
    targetSelect.disabled = !on;
    newGridBtn.disabled = !on;
    clearBtn.disabled = !on;
    if (action && action.kind === 'move') {
      if (on) proposeMove(action.target);
      else dropAction();
    }
  }

  function fillTargets(communities) {
    var keep = targetSelect.value;
    targetSelect.textContent = '';
    el('option', null, '选择网格… Choose a grid…', targetSelect).value = '';
    Object.keys(gridProps).sort().forEach(function (code) {
      var p = gridProps[code];
      if (communities.length === 1 && p.community_code !== communities[0]) return;
      if (!p.editable) return;
      var option = el('option', null, gridLabel(p), targetSelect);
      option.title = code;
      option.value = code;
      option.disabled = !!p.locked;
    });
    targetSelect.value = keep;
  }

  /** How a grid is named in a menu: its number first (the code's last 3 digits). */
  function gridLabel(p) {
    return p.code.slice(-3) + ' ' + p.name + ' · ' + fmt(p.workload) + (p.locked ? ' · 锁定' : '');
  }

  function proposeMove(target) {
    var codes = Object.keys(selected).sort();
    if (!codes.length) return;
    propose({
      kind: 'move',
      target: target,
      url: layerPath('/edits'),
      body: {units: codes, to: target},
      label: target === 'new' ? '新建网格 New grid' : '并入 ' + target + ' Assign to ' + target
    });
  }

  /** Preview an edit (dry run) and offer to apply it. */
  function propose(next) {
    action = next;
    var seq = (propose.seq = (propose.seq || 0) + 1);
    previewBox.textContent = '预览中… Previewing…';
    applyBtn.disabled = true;
    var body = L.extend({}, next.body, {version: api.version, dry_run: true});
    return request('POST', next.url, body).then(function (answer) {
      if (seq !== propose.seq || action !== next) return;
      api.preview = answer;
      showPreview(answer, next.label);
      applyBtn.disabled = !!answer.refused;
      say('');
    }, function (error) {
      if (seq !== propose.seq) return;
      api.preview = null;
      previewBox.textContent = '';
      previewLayer.clearLayers();
      action = null;
      showError(error);
    });
  }

  function dropAction() {
    action = null;
    api.preview = null;
    previewBox.textContent = '';
    previewLayer.clearLayers();
    applyRow.style.display = 'none';
    confirmBox.checked = false;
    if (targetSelect.value) targetSelect.value = '';
  }

  function bandChip(parent, summary) {
    if (!summary) {
      el('span', 'ge-chip ge-gone', '—', parent);
      return;
    }
    var chip = el('span', 'ge-chip', fmt(summary.workload), parent);
    chip.style.background = CLASSES[classify(summary.workload, band)].color;
    chip.title = BAND_LABELS[summary.band] || summary.band;
  }

  function showPreview(answer, label) {
    previewBox.textContent = '';
    previewLayer.clearLayers();
    el('p', 'ge-preview-title', '预览 Preview: ' + label, previewBox);
    var table = el('table', 'ge-table', null, previewBox);
    var head = el('tr', null, null, el('thead', null, null, table));
    ['网格 Grid', '工作量 Workload', '单元 Units', '形状 Shape'].forEach(function (h) { el('th', null, h, head); });
    var tbody = el('tbody', null, null, table);
    answer.grids.forEach(function (g) {
      var tr = el('tr', 'ge-' + g.status, null, tbody);
      tr.setAttribute('data-grid', g.code);
      var name = el('td', null, null, tr);
      el('strong', null, g.code.slice(-3), name);
      el('span', 'ge-muted', ' ' + g.code.slice(0, 12), name);
      if (g.status !== 'changed') el('span', 'ge-tag', g.status === 'created' ? '新 new' : '删 removed', name);
      var work = el('td', 'ge-work', null, tr);
      work.setAttribute('data-testid', 'preview-workload');
      bandChip(work, g.before);
      el('span', 'ge-arrow', '→', work);
      bandChip(work, g.after);
      el('td', null, (g.before ? g.before.unit_count : 0) + ' → ' + (g.after ? g.after.unit_count : 0), tr);
      var shape = el('td', null, null, tr);
      if (g.after) {
        var split = g.after.pieces > 1;
        var tag = el('span', split ? 'ge-bad' : 'ge-good', split ? '✗ 分成 ' + g.after.pieces + ' 块 in pieces' : '✓ 连通 connected', shape);
        tag.setAttribute('data-testid', 'connected-' + g.code);
        if (g.after.compactness !== null) el('span', 'ge-muted', ' PP ' + fmt(g.after.compactness, 2), shape);
      }
    });
    showLeaders(answer.leaders);
    if (answer.preview) previewLayer.addData(answer.preview);
    if (answer.refused) {
      el('p', 'ge-bad', '不允许：' + answer.refused, previewBox);
    }
    confirmLabel.style.display = answer.needs_confirm ? '' : 'none';
    confirmBox.checked = false;
    applyRow.style.display = '';
  }

  /** Grid leaders (网格长) the edit keeps, ends (网格合并) or brings back (undo, revert). */
  function showLeaders(leaders) {
    if (!leaders) return;
    var lines = [];
    (leaders.decisions || []).forEach(function (d) { lines.push(['ge-warn', d.text]); });
    (leaders.restored || []).forEach(function (r) {
      lines.push(['ge-good', '恢复任职 Restored: ' + (r.name || r.member) + ' → 网格 ' + r.grid]);
    });
    (leaders.not_restored || []).forEach(function (r) {
      lines.push(['ge-bad', '未能恢复 Not restored: ' + (r.name || r.member) + ' · ' + r.why]);
    });
    if (!lines.length) return;
    var box = el('div', 'ge-leaders', null, previewBox);
    box.setAttribute('data-testid', 'preview-leaders');
    el('p', 'ge-preview-title', '网格长 Grid leaders', box);
    lines.forEach(function (row) { el('p', row[0], row[1], box); });
  }

  function applyAction() {
    if (!action) return;
    var current = action;
    var body = L.extend({}, current.body, {version: api.version, dry_run: false, confirm: confirmBox.checked});
    if (api.preview && api.preview.needs_confirm && !confirmBox.checked) {
      say('此操作会把网格拆成多块，请勾选确认 This leaves a grid in pieces: tick the box to confirm', 'warn');
      return Promise.resolve(null);
    }
    applyBtn.disabled = true;
    return request('POST', current.url, body).then(function (answer) {
      afterEdit(answer);
      return answer;
    }, showError);
  }

  function afterEdit(answer) {
    draft = {grid: null, merge: '', name: null, code: null};  // done: nothing left to keep
    api.version = answer.version;
    showVersion();
    say('已应用 Applied v' + answer.version + ': ' + answer.summary, 'ok');
    var codes = Object.keys(selected);
    selected = {};
    codes.forEach(restyle);
    dropAction();
    endLine(false);
    selectionChanged();
    return reloadAll();
  }

  function showError(error) {
    if (!(error instanceof ApiError)) {
      say('出错了 Something went wrong: ' + error.message, 'error');
      window.console.error(error);
      return;
    }
    var p = error.problem;
    var text = (p.title ? p.title + ': ' : '') + error.message;
    if (error.status === 409 && p.current_version) {
      // Somebody else edited the layer: show what changed, take their version, keep my work.
      text += ' — 已重新加载 Reloaded: preview again.';
      api.version = p.current_version;
      reloadAll();
    }
    say(text, error.status >= 500 ? 'error' : 'warn');
  }

  /* -------------------------------------------------------------- grids: list and card */

  function chooseGrid(code) {
    selectedGrid = code;
    grids.setStyle(gridStyle);
    renderCard();
    Array.prototype.forEach.call(listBox.querySelectorAll('.ge-item'), function (row) {
      row.classList.toggle('ge-active', row.getAttribute('data-code') === code);
    });
  }

  /* What the planner has typed or chosen in the card survives a re-render (every map move
     redraws it): the merge target, the name and the code, for as long as the grid stays chosen. */
  var draft = {grid: null, merge: '', name: null, code: null};

  function keepDraft(input, key) {
    input.addEventListener('input', function () { draft[key] = input.value; });
    input.addEventListener('change', function () { draft[key] = input.value; });
  }

  function renderCard() {
    gridBox.textContent = '';
    var p = selectedGrid && gridProps[selectedGrid];
    if (draft.grid !== selectedGrid) draft = {grid: selectedGrid, merge: '', name: null, code: null};
    if (!p) {
      gridBox.style.display = 'none';
      return;
    }
    gridBox.style.display = '';
    var title = el('h2', 'ge-h2', null, gridBox);
    el('span', null, p.name + ' ', title);
    el('span', 'ge-muted', p.code, title);
    if (p.locked) el('span', 'ge-tag ge-lock', '已锁定 locked', title);
    var facts = el('p', 'ge-facts', null, gridBox);
    facts.textContent = (p.community_name || '') + ' · 工作量 ' + fmt(p.workload) + ' · ' +
      p.unit_count + ' 单元 units · ' + fmt(p.households) + ' 户' + (p.pieces > 1 ? ' · ✗ ' + p.pieces + ' 块 pieces' : '');
    if (!p.editable) {
      el('p', 'ge-muted', '不在你的范围内，只读 Outside your scope: read only', gridBox);
      return;
    }
    var row = el('div', 'ge-row', null, gridBox);
    button(row, p.locked ? '解锁' : '锁定', p.locked ? 'Unlock' : 'Lock', 'lock-toggle', function () {
      request('POST', layerPath('/grids/' + p.code + (p.locked ? '/unlock' : '/lock')), {version: api.version})
        .then(afterEdit, showError);
    });
    button(row, '切分', 'Split', 'split-start', function () {
      setTool('split');
      say('在地图上点击画线穿过网格，双击结束 Click points across the grid, double-click to end', 'info');
    });
    var merge = el('div', 'ge-row', null, gridBox);
    var mergeLabel = el('label', 'ge-grow', null, merge);
    el('span', 'ge-label', '合并相邻网格 Merge a neighbour in', mergeLabel);
    var mergeSelect = el('select', null, null, mergeLabel);
    mergeSelect.setAttribute('data-testid', 'merge-target');
    el('option', null, '相邻网格加载中… Loading neighbours…', mergeSelect).value = '';
    mergeSelect.disabled = true;
    keepDraft(mergeSelect, 'merge');
    loadNeighbours(p.code, mergeSelect);
    button(merge, '预览合并', 'Preview merge', 'merge', function () {
      if (!mergeSelect.value) return;
      propose({
        url: layerPath('/grids/' + p.code + '/merge'),
        body: {other: mergeSelect.value},
        label: '合并 ' + mergeSelect.value + ' → ' + p.code + ' Merge'
      });
    });
    var rename = el('div', 'ge-row', null, gridBox);
    var nameLabel = el('label', 'ge-grow', null, rename);
    el('span', 'ge-label', '名称 Name', nameLabel);
    var nameInput = el('input', null, null, nameLabel);
    nameInput.value = draft.name !== null ? draft.name : p.name;
    keepDraft(nameInput, 'name');
    nameInput.setAttribute('data-testid', 'rename-name');
    nameInput.setAttribute('aria-label', '名称 Name');
    var codeLabel = el('label', null, null, rename);
    el('span', 'ge-label', '编码 Code', codeLabel);
    var codeInput = el('input', 'ge-code', null, codeLabel);
    codeInput.value = draft.code !== null ? draft.code : p.code;
    keepDraft(codeInput, 'code');
    codeInput.setAttribute('data-testid', 'rename-code');
    codeInput.setAttribute('aria-label', '编码 Code');
    codeInput.maxLength = 15;
    button(rename, '改名/编码', 'Rename', 'rename', function () {
      var body = {version: api.version};
      if (nameInput.value.trim() !== p.name) body.name = nameInput.value.trim();
      if (codeInput.value.trim() !== p.code) body.code = codeInput.value.trim();
      if (!body.name && !body.code) return;
      request('POST', layerPath('/grids/' + p.code + '/rename'), body).then(function (answer) {
        if (body.code) selectedGrid = body.code;
        return afterEdit(answer);
      }, showError);
    });
  }

  /** Only grids that share a boundary in the same community may be merged: ask the server. */
  function loadNeighbours(code, select) {
    var seq = (loadNeighbours.seq = (loadNeighbours.seq || 0) + 1);
    return request('GET', layerPath('/grids/' + encodeURIComponent(code) + '/neighbours')).then(function (list) {
      if (seq !== loadNeighbours.seq) return;
      select.textContent = '';
      var usable = list.filter(function (q) { return q.editable && !q.locked; });
      el('option', null, usable.length ? '选择相邻网格… Choose a neighbour…' : '没有可合并的相邻网格 No neighbour to merge', select).value = '';
      usable.forEach(function (q) {
        el('option', null, gridLabel(q), select).value = q.code;
      });
      select.disabled = !usable.length;
      api.neighbours = usable.map(function (q) { return q.code; });
      if (draft.grid === code && api.neighbours.indexOf(draft.merge) >= 0) select.value = draft.merge;
    }, showError);
  }

  function renderList() {
    listBox.textContent = '';
    var codes = Object.keys(gridProps).sort();
    var head = el('p', 'ge-muted', codes.length + ' 个网格 grids in view', listBox);
    head.setAttribute('data-testid', 'grid-count');
    var table = el('table', 'ge-table ge-grid-table', null, listBox);
    var hr = el('tr', null, null, el('thead', null, null, table));
    ['网格 Grid', '工作量', '单元', '户数'].forEach(function (h) { el('th', null, h, hr); });
    var tbody = el('tbody', null, null, table);
    codes.slice(0, 400).forEach(function (code) {
      var p = gridProps[code];
      var tr = el('tr', 'ge-item' + (code === selectedGrid ? ' ge-active' : ''), null, tbody);
      tr.setAttribute('data-code', code);
      tr.setAttribute('data-testid', 'grid-row-' + code);
      var name = el('td', null, null, tr);
      el('strong', null, code.slice(-3), name);
      el('span', 'ge-muted', ' ' + p.name, name);
      if (p.locked) el('span', 'ge-lock', '锁', name);
      var work = el('td', 'ge-num', null, tr);
      var chip = el('span', 'ge-chip', fmt(p.workload), work);
      chip.setAttribute('data-testid', 'workload-' + code);
      chip.style.background = CLASSES[classify(p.workload, band)].color;
      el('td', 'ge-num', p.unit_count, tr);
      el('td', 'ge-num', fmt(p.households), tr);
      tr.addEventListener('click', function () { chooseGrid(code); });
    });
    if (codes.length > 400) el('p', 'ge-muted', '… 放大查看更多 zoom in for the rest', listBox);
  }

  function renderLabels() {
    labels.clearLayers();
    var codes = Object.keys(gridProps);
    if (map.getZoom() < 14 || codes.length > 250) return;
    grids.eachLayer(function (layer) {
      var p = layer.feature.properties;
      var center = layer.getBounds().getCenter();
      labels.addLayer(L.marker(center, {
        pane: 'geLabels',
        interactive: false,
        keyboard: false,
        icon: L.divIcon({
          className: 'ge-grid-label',
          html: '',
          iconSize: null
        })
      }).on('add', function () {
        var node = this.getElement();
        if (!node) return;
        node.textContent = '';
        el('b', null, p.code.slice(-3), node);
        if (p.locked) el('span', 'ge-lock', '锁', node);
        el('span', null, fmt(p.workload), node);
      }));
    });
  }

  /* -------------------------------------------------------------- loading */

  function bboxText() {
    var b = map.getBounds().pad(0.1);
    var w = Math.max(-180, b.getWest());
    var e = Math.min(180, b.getEast());
    var s = Math.max(-90, b.getSouth());
    var n = Math.min(90, b.getNorth());
    return [w, s, e, n].map(function (v) { return v.toFixed(6); }).join(',');
  }

  function loadView() {
    if (!api.layer) return Promise.resolve(null);
    var seq = ++viewSeq;
    var zoom = map.getZoom();
    var tolerance = zoom >= 15 ? 0 : Math.min(0.01, 0.00001 * Math.pow(2, 15 - zoom));
    var bbox = bboxText();
    var wantUnits = zoom >= config.unitZoom;
    var gridsDone = request('GET', layerPath('/editor/grids') + query({bbox: bbox, tolerance: tolerance.toFixed(6)}));
    var unitsDone = wantUnits ? request('GET', layerPath('/units') + query({bbox: bbox})) : Promise.resolve(null);
    api.state = 'loading';
    return Promise.all([gridsDone, unitsDone]).then(function (answers) {
      if (seq !== viewSeq) return null;
      var fc = answers[0];
      gridProps = {};
      fc.features.forEach(function (f) { gridProps[f.properties.code] = f.properties; });
      grids.clearLayers();
      grids.addData(fc);
      if (api.version === null || fc.version > api.version) api.version = fc.version;
      showVersion();
      unitLayers = {};
      units.clearLayers();
      var unitFc = answers[1];
      if (unitFc && !unitFc.truncated) {
        units.addData(unitFc);
        // Selected units keep their properties fresh (their grid may have changed).
        Object.keys(selected).forEach(function (c) { if (unitLayers[c]) selected[c] = unitProps(c); });
      } else if (unitFc && unitFc.truncated) {
        say('视图内单元过多，请放大 Too many units in view: zoom in to select', 'info');
      }
      map.getContainer().classList.toggle('ge-units-off', !wantUnits);
      renderList();
      renderLabels();
      renderCard();
      fillTargets(communitiesOfSelection());
      api.state = 'ready';
      return fc;
    }, function (error) {
      if (seq !== viewSeq) return null;
      api.state = 'error';
      showError(error);
      return null;
    });
  }

  function communitiesOfSelection() {
    var out = {};
    Object.keys(selected).forEach(function (c) { out[selected[c].community_code] = true; });
    return Object.keys(out);
  }

  function showVersion() {
    versionBadge.textContent = api.version ? '版本 v' + api.version : '';
  }

  function loadHistory() {
    if (!api.layer) return Promise.resolve(null);
    return request('GET', layerPath('/history') + query({limit: 30})).then(function (page) {
      api.history = page;
      api._undo.disabled = !page.can_undo;
      api._redo.disabled = !page.can_redo;
      api._undo.title = page.can_undo ? '撤销 Undo: v' + page.can_undo.version + ' ' + page.can_undo.summary : '没有可撤销的 Nothing to undo';
      api._redo.title = page.can_redo ? '重做 Redo: v' + page.can_redo.version + ' ' + page.can_redo.summary : '没有可重做的 Nothing to redo';
      renderHistory(page);
      return page;
    }, showError);
  }

  function renderHistory(page) {
    historyBox.textContent = '';
    if (!page.items.length) {
      el('p', 'ge-muted', '还没有编辑 No edits yet', historyBox);
      return;
    }
    var list = el('ol', 'ge-history-list', null, historyBox);
    page.items.forEach(function (item, i) {
      var li = el('li', 'ge-history-item' + (item.undone ? ' ge-undone' : ''), null, list);
      li.setAttribute('data-version', item.version);
      var top = el('div', 'ge-history-top', null, li);
      el('strong', null, 'v' + item.version, top);
      el('span', 'ge-kind', KIND_LABELS[item.kind] || item.kind, top);
      el('span', 'ge-muted', item.actor + ' · ' + chinaTime(item.at), top);
      el('div', 'ge-history-summary', item.summary, li);
      var buttons = el('div', 'ge-row', null, li);
      if (item.version !== page.version) {
        button(buttons, '回到此版本', 'Revert to v' + item.version, 'revert-' + item.version, function () {
          proposeRevert(item.version);
        }, 'ge-quiet');
      }
      if (i === page.items.length - 1 && !page.next_offset && item.base_version >= 1) {
        button(buttons, '回到编辑前', 'Revert to v' + item.base_version, 'revert-' + item.base_version, function () {
          proposeRevert(item.base_version);
        }, 'ge-quiet');
      }
    });
  }

  function proposeRevert(version) {
    propose({
      url: layerPath('/revert'),
      body: {to_version: version},
      label: '回退到 v' + version + ' Revert to v' + version
    });
  }

  function undoRedo(which) {
    if (!api.layer) return Promise.resolve(null);
    return request('POST', layerPath('/' + which), {version: api.version}).then(afterEdit, showError);
  }

  function reloadAll() {
    return Promise.all([loadView(), loadHistory()]);
  }

  var moveTimer = null;
  map.on('moveend', function () {
    window.clearTimeout(moveTimer);
    moveTimer = window.setTimeout(loadView, 150);
  });

  /* -------------------------------------------------------------- start */

  function chooseLayer(code) {
    api.layer = code;
    api.version = null;
    selectedGrid = null;
    var codes = Object.keys(selected);
    selected = {};
    codes.forEach(restyle);
    dropAction();
    selectionChanged();
    var url = new URL(window.location.href);
    url.searchParams.set('layer', code);
    window.history.replaceState(null, '', url.pathname + url.search);
    return reloadAll();
  }

  layerSelect.addEventListener('change', function () { chooseLayer(layerSelect.value); });
  areaSelect.addEventListener('change', function () {
    var option = areaSelect.options[areaSelect.selectedIndex];
    if (option && option.bounds) map.fitBounds(option.bounds, {padding: [20, 20]});
  });

  applyRow.style.display = 'none';
  gridBox.style.display = 'none';
  showTab('grids');
  setTool('click');
  selectionChanged();

  var wanted = new URL(window.location.href).searchParams.get('layer');
  var areasLoaded = Promise.all([request('GET', 'districts'), request('GET', 'communities')]).then(function (answers) {
    var districts = answers[0].features;
    var communities = answers[1].features;
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
    if (area.isValid()) map.fitBounds(area, {padding: [20, 20], animate: false});
    showHint();
  });
  var layersLoaded = request('GET', 'layers').then(function (layers) {
    var editable = layers.filter(function (l) { return l.kind === 'unified' || l.kind === 'scenario'; });
    editable.forEach(function (l) {
      layersByCode[l.code] = l;
      var o = el('option', null, l.name + ' (' + l.code + ')', layerSelect);
      o.value = l.code;
    });
    var first = layersByCode[wanted] ? wanted : (layersByCode[config.defaultLayer] ? config.defaultLayer : (editable.length ? editable[0].code : null));
    if (first) layerSelect.value = first;
    return first;
  });
  api.ready = Promise.all([layersLoaded, areasLoaded]).then(function (answers) {
    if (!answers[0]) {
      api.state = 'ready';
      say('没有可编辑的图层 No editable layer', 'warn');
      return null;
    }
    return chooseLayer(answers[0]);
  }, function (error) {
    api.state = 'error';
    showError(error);
  });
  return api;
}

export {start};
