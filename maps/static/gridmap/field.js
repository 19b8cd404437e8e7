/*
 * Gridmap field page: one grid on a phone — its buildings (with households, building and unit
 * leaders to call), its people (grid leader, cadres sent down) and its open incidents, on the
 * map and in a list; search by building name or number.
 *
 * Started by the page (maps/field_page.py) as GridmapField.start(leafletMap, config), where
 * config = {grid, layer, hasTiles}. The data comes from the app's own
 * GET party/field (same origin, relative URL), which answers only within the user's scope.
 *
 * For tests it publishes window.gridmapField: state ('loading' | 'ready' | 'error'), ready
 * (a Promise of the answer), data, and search(text).
 *
 * The lists beside the map are drawn by field_lists.js; the phone report by field_report.js;
 * the patrol bar (巡查, 打卡, 报备外出) by field_patrol.js; last month's score by field_score.js.
 *
 * Plain ES2017 without optional chaining: field workers' phones run old browsers.
 */

import {fmt, label, query, request} from './common.js';
import {renderBuildings, renderIncidents, renderPeople, renderStats} from './field_lists.js';
import {attach} from './field_report.js';
import {attachNeed} from './field_need.js';
import {attachPatrol} from './field_patrol.js';
import {attachScore} from './field_score.js';

var COVERED = '#2f7d4f';
var UNCOVERED = '#c4391d';

/** The page's state, which this module's and field_lists.js's functions take first. */
function createState(map, config) {
  var fd = {
    map: map,
    config: config,
    api: {state: 'loading', data: null, ready: null, search: null},
    status: document.querySelector('[data-testid="status"]'),
    lists: {},
    counts: {},
    tabs: document.querySelectorAll('.gf-tab'),
    searchBox: document.getElementById('gf-q'),
    buildingLayers: {},   // code → L.Path
    buildingItems: {},    // code → <li>
    selected: null,
    drawn: null,          // the layers of the grid, cleared when it is loaded again
    fitted: false
  };
  Array.prototype.forEach.call(document.querySelectorAll('[data-list]'), function (node) {
    fd.lists[node.getAttribute('data-list')] = node;
  });
  Array.prototype.forEach.call(document.querySelectorAll('[data-count]'), function (node) {
    fd.counts[node.getAttribute('data-count')] = node;
  });
  return fd;
}

function setStatus(fd, text, isError) {
  var status = fd.status;
  status.textContent = text || '';
  status.className = 'gf-status' + (isError ? ' gf-error' : '');
  status.hidden = !text;
}

function showTab(fd, name) {
  Array.prototype.forEach.call(fd.tabs, function (tab) {
    tab.setAttribute('aria-selected', String(tab.getAttribute('data-tab') === name));
  });
  Object.keys(fd.lists).forEach(function (key) { fd.lists[key].hidden = key !== name; });
}

/** Select a building in the list and on the map (fromMap: a tap on the map chose it). */
export function select(fd, code, fromMap) {
  var selected = fd.selected;
  if (selected && fd.buildingItems[selected]) {
    fd.buildingItems[selected].classList.remove('gf-selected');
  }
  if (selected && fd.buildingLayers[selected]) {
    fd.buildingLayers[selected].setStyle({weight: 1});
  }
  fd.selected = code;
  var item = fd.buildingItems[code];
  var shape = fd.buildingLayers[code];
  if (item) {
    item.classList.add('gf-selected');
    if (fromMap) {
      showTab(fd, 'buildings');
      item.scrollIntoView({block: 'nearest'});
    }
  }
  if (shape) {
    shape.setStyle({weight: 4});
    if (!fromMap) fd.map.fitBounds(shape.getBounds(), {maxZoom: 18, padding: [24, 24]});
  }
}

/** The grid's outline, its buildings (green: led, red: not) and its open incidents. */
function draw(fd, data) {
  var drawn = fd.drawn;
  drawn.clearLayers();
  fd.buildingLayers = {};
  var outline = L.geoJSON(data.grid, {
    style: {color: '#1f5a99', weight: 3, fill: true, fillOpacity: 0.04},
    interactive: false
  }).addTo(drawn);
  L.geoJSON(data.buildings, {
    style: function (f) {
      var color = f.properties.leader ? COVERED : UNCOVERED;
      return {color: color, weight: 1, fillColor: color, fillOpacity: 0.55, className: 'gf-building'};
    },
    onEachFeature: function (f, layer) {
      fd.buildingLayers[f.properties.code] = layer;
      layer.bindTooltip(f.properties.name + ' · ' + fmt(f.properties.households) + ' 户');
      layer.on('click', function () { select(fd, f.properties.code, true); });
    }
  }).addTo(drawn);
  L.geoJSON(data.incidents, {
    pointToLayer: function (f, latlng) {
      return L.circleMarker(latlng, {radius: 6, color: '#fff', weight: 2,
        fillColor: '#e08a00', fillOpacity: 0.95});
    },
    onEachFeature: function (f, layer) {
      layer.bindTooltip(f.properties.category + ' · ' +
        label('incident_states', f.properties.state, true));
    }
  }).addTo(drawn);
  var bounds = outline.getBounds();
  fd.api.bounds = bounds;
  if (bounds.isValid() && !fd.fitted) fd.map.fitBounds(bounds, {padding: [12, 12]});
  fd.fitted = true;
}

/** Show only the buildings whose name or number has the text; the count says how many. */
function search(fd, text) {
  var needle = String(text || '').trim().toLowerCase();
  var shown = 0;
  var items = fd.buildingItems;
  Object.keys(items).forEach(function (code) {
    var item = items[code];
    var name = item.querySelector('h3').textContent.toLowerCase();
    var hit = !needle || name.indexOf(needle) >= 0 || code.toLowerCase().indexOf(needle) >= 0;
    item.hidden = !hit;
    if (hit) shown += 1;
    var shape = fd.buildingLayers[code];
    if (shape) shape.setStyle({fillOpacity: hit ? 0.55 : 0.08, opacity: hit ? 1 : 0.3});
  });
  fd.counts.buildings.textContent = needle ? fmt(shown) + '/' + fmt(Object.keys(items).length)
    : fmt(Object.keys(items).length);
  if (needle) showTab(fd, 'buildings');
  setStatus(fd, needle && !shown ? '没有匹配的楼栋 No building matches' : '');
  return shown;
}

function show(fd, data) {
  fd.api.data = data;
  renderStats(data);
  renderBuildings(fd, data.buildings.features);
  renderPeople(fd, data.leaders || []);
  renderIncidents(fd, data.incidents.features, data.open_incidents);
  draw(fd, data);
  setStatus(fd, '');
  fd.api.state = 'ready';
  return data;
}

/** window.gridmapField's methods: search, reload, selectedCentre, showTab. */
function publish(fd, load) {
  var api = fd.api;
  api.search = function (text) {
    fd.searchBox.value = text;
    return search(fd, text);
  };
  /** Load the grid again (after a report): lists and map, the view stays where it is. */
  api.reload = function () {
    api.state = 'loading';
    return load().then(function (data) { api.state = 'ready'; return data; });
  };
  api.selectedCentre = function () {
    var shape = fd.selected && fd.buildingLayers[fd.selected];
    return shape ? shape.getBounds().getCenter() : null;
  };
  api.showTab = function (name) { return showTab(fd, name); };
  api.selectedCode = function () { return fd.selected; };
}

function start(map, config) {
  var fd = createState(map, config);
  var api = fd.api;
  window.gridmapField = api;
  if (!config.grid) return api;
  if (!config.hasTiles) map.getContainer().classList.add('gf-no-tiles');
  Array.prototype.forEach.call(fd.tabs, function (tab) {
    tab.addEventListener('click', function () { showTab(fd, tab.getAttribute('data-tab')); });
  });
  fd.drawn = L.layerGroup().addTo(map);
  fd.searchBox.addEventListener('input', function () { search(fd, fd.searchBox.value); });
  var url = 'party/field' + query({grid: config.grid || null, layer: config.layer || null});
  var load = function () {
    return request('GET', url).then(function (data) { return show(fd, data); });
  };
  publish(fd, load);
  api.ready = load().then(null, function (error) {
    api.state = 'error';
    setStatus(fd, (error.status === 403 ? '无权查看此网格 Not your grid: ' : '加载失败 Failed: ') +
      error.message, true);
    throw error;
  });
  api.ready.catch(function () { /* shown in the status line */ });
  attach(map, config, api);
  attachNeed(map, config, api);
  attachPatrol(config, api);
  attachScore();
  return api;
}

export {start};
