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
 * Plain ES2017 without optional chaining: field workers' phones run old browsers.
 */

import {chinaTime, el, fmt, label, query, request} from './common.js';
import {attach} from './field_report.js';

var COVERED = '#2f7d4f';
var UNCOVERED = '#c4391d';

/** A person line: role, name, and a tap-to-call link when the number is shown in full. */
function personLine(parent, role, who, testid) {
  var line = el('div', 'gf-person', null, parent);
  el('span', 'gf-role', label('assignment_roles', role, true), line);
  if (!who) {
    el('span', 'gf-who gf-none-text', '暂无 None', line);
    return line;
  }
  var name = el('span', 'gf-who', who.name, line);
  if (who.organisation) name.title = who.organisation;
  if (who.phone && !who.masked) {
    var call = el('a', 'gf-call', '拨打 ' + who.phone, line);
    call.href = 'tel:' + who.phone.replace(/[^0-9+]/g, '');
    call.setAttribute('data-testid', testid || 'call');
    call.setAttribute('aria-label', '拨打 Call ' + who.name);
  } else if (who.phone) {
    el('span', 'gf-phone-masked', who.phone, line);
  }
  return line;
}

function start(map, config) {
  var api = {state: 'loading', data: null, ready: null, search: null};
  window.gridmapField = api;
  var status = document.querySelector('[data-testid="status"]');
  var lists = {};
  Array.prototype.forEach.call(document.querySelectorAll('[data-list]'), function (node) {
    lists[node.getAttribute('data-list')] = node;
  });
  var counts = {};
  Array.prototype.forEach.call(document.querySelectorAll('[data-count]'), function (node) {
    counts[node.getAttribute('data-count')] = node;
  });
  var tabs = document.querySelectorAll('.gf-tab');
  var searchBox = document.getElementById('gf-q');
  var buildingLayers = {}; // code → L.Path
  var buildingItems = {}; // code → <li>
  var selected = null;

  if (!config.grid) return api;
  if (!config.hasTiles) map.getContainer().classList.add('gf-no-tiles');

  function setStatus(text, isError) {
    status.textContent = text || '';
    status.className = 'gf-status' + (isError ? ' gf-error' : '');
    status.hidden = !text;
  }

  function showTab(name) {
    Array.prototype.forEach.call(tabs, function (tab) {
      tab.setAttribute('aria-selected', String(tab.getAttribute('data-tab') === name));
    });
    Object.keys(lists).forEach(function (key) { lists[key].hidden = key !== name; });
  }
  Array.prototype.forEach.call(tabs, function (tab) {
    tab.addEventListener('click', function () { showTab(tab.getAttribute('data-tab')); });
  });

  function select(code, fromMap) {
    if (selected && buildingItems[selected]) {
      buildingItems[selected].classList.remove('gf-selected');
    }
    if (selected && buildingLayers[selected]) {
      buildingLayers[selected].setStyle({weight: 1});
    }
    selected = code;
    var item = buildingItems[code];
    var shape = buildingLayers[code];
    if (item) {
      item.classList.add('gf-selected');
      if (fromMap) {
        showTab('buildings');
        item.scrollIntoView({block: 'nearest'});
      }
    }
    if (shape) {
      shape.setStyle({weight: 4});
      if (!fromMap) map.fitBounds(shape.getBounds(), {maxZoom: 18, padding: [24, 24]});
    }
  }

  function renderStats(data) {
    var box = document.querySelector('[data-testid="stats"]');
    box.textContent = '';
    var p = data.grid.properties;
    var features = data.buildings.features;
    var led = features.filter(function (f) { return f.properties.leader; }).length;
    [
      [fmt(p.households), '户数 Households'],
      [fmt(features.length), '楼栋 Buildings'],
      [fmt(led) + '/' + fmt(features.length), '有楼栋长 Led'],
      [fmt(data.open_incidents), '未结事件 Open']
    ].forEach(function (row) {
      var cell = el('div', 'gf-stat', null, box);
      el('b', null, row[0], cell);
      el('span', null, row[1], cell);
    });
    document.querySelector('[data-testid="grid-name"]').textContent = p.name;
    document.querySelector('[data-testid="grid-sub"]').textContent =
      (p.community_name || '') + ' · ' + p.code;
    document.title = p.name + ' · Gridmap';
  }

  function renderBuildings(features) {
    var list = lists.buildings;
    list.textContent = '';
    buildingItems = {};
    features.forEach(function (f) {
      var p = f.properties;
      var item = el('li', 'gf-item', null, list);
      item.setAttribute('data-code', p.code);
      item.setAttribute('data-testid', 'building');
      var head = el('div', 'gf-item-head', null, item);
      el('h3', null, p.name, head);
      var badge = el('span', 'gf-badge' + (p.leader ? '' : ' gf-none'),
        p.leader ? '有楼栋长' : '无楼栋长', head);
      badge.title = p.leader ? 'Has a building leader' : 'No building leader';
      head.addEventListener('click', function () { select(p.code, false); });
      el('p', 'gf-meta', fmt(p.households) + ' 户 · ' + fmt(p.floors) + ' 层 · ' +
        fmt(p.entrance_units) + ' 个单元', item);
      el('p', 'gf-code', p.code, item);
      personLine(item, 'building_leader', p.leader, 'call-building');
      var entrances = el('ul', 'gf-entrances', null, item);
      (p.entrances || []).forEach(function (e) {
        var li = el('li', null, null, entrances);
        var line = personLine(li, 'unit_leader', e.leader, 'call-unit');
        line.firstChild.textContent = e.number + ' 单元 · ' + fmt(e.households) + ' 户';
      });
      buildingItems[p.code] = item;
    });
    counts.buildings.textContent = fmt(features.length);
  }

  function renderPeople(leaders) {
    var list = lists.people;
    list.textContent = '';
    if (!leaders.length) el('li', 'gf-item gf-meta', '本网格暂无网格长或下沉干部 No grid leader', list);
    leaders.forEach(function (who) {
      var item = el('li', 'gf-item', null, list);
      item.setAttribute('data-testid', 'person');
      personLine(item, who.role, who, 'call-' + who.role);
      if (who.organisation) el('p', 'gf-meta', who.organisation, item);
    });
    counts.people.textContent = fmt(leaders.length);
  }

  function renderIncidents(features, total) {
    var list = lists.incidents;
    list.textContent = '';
    if (!features.length) el('li', 'gf-item gf-meta', '暂无未结事件 No open incidents', list);
    features.forEach(function (f) {
      var p = f.properties;
      var item = el('li', 'gf-item', null, list);
      item.setAttribute('data-testid', 'incident');
      var head = el('div', 'gf-item-head', null, item);
      el('h3', null, p.category, head);
      el('span', 'gf-state', label('incident_states', p.state, true), head);
      el('p', 'gf-meta', p.description, item);
      el('p', 'gf-code', p.code + ' · ' + chinaTime(p.reported_at) +
        (p.department ? ' · ' + p.department : ''), item);
      head.addEventListener('click', function () {
        var c = f.geometry.coordinates;
        map.setView([c[1], c[0]], Math.max(map.getZoom(), 17));
      });
    });
    counts.incidents.textContent = fmt(total);
  }

  var drawn = L.layerGroup().addTo(map);  // cleared when the grid is loaded again
  var fitted = false;

  function draw(data) {
    drawn.clearLayers();
    buildingLayers = {};
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
        buildingLayers[f.properties.code] = layer;
        layer.bindTooltip(f.properties.name + ' · ' + fmt(f.properties.households) + ' 户');
        layer.on('click', function () { select(f.properties.code, true); });
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
    api.bounds = bounds;
    if (bounds.isValid() && !fitted) map.fitBounds(bounds, {padding: [12, 12]});
    fitted = true;
  }

  function search(text) {
    var needle = String(text || '').trim().toLowerCase();
    var shown = 0;
    Object.keys(buildingItems).forEach(function (code) {
      var item = buildingItems[code];
      var name = item.querySelector('h3').textContent.toLowerCase();
      var hit = !needle || name.indexOf(needle) >= 0 || code.toLowerCase().indexOf(needle) >= 0;
      item.hidden = !hit;
      if (hit) shown += 1;
      var shape = buildingLayers[code];
      if (shape) shape.setStyle({fillOpacity: hit ? 0.55 : 0.08, opacity: hit ? 1 : 0.3});
    });
    counts.buildings.textContent = needle ? fmt(shown) + '/' + fmt(Object.keys(buildingItems).length)
      : fmt(Object.keys(buildingItems).length);
    if (needle) showTab('buildings');
    setStatus(needle && !shown ? '没有匹配的楼栋 No building matches' : '');
    return shown;
  }
  api.search = function (text) {
    searchBox.value = text;
    return search(text);
  };
  searchBox.addEventListener('input', function () { search(searchBox.value); });

  var url = 'party/field' + query({grid: config.grid || null, layer: config.layer || null});
  function load() {
    return request('GET', url).then(show);
  }
  function show(data) {
    api.data = data;
    renderStats(data);
    renderBuildings(data.buildings.features);
    renderPeople(data.leaders || []);
    renderIncidents(data.incidents.features, data.open_incidents);
    draw(data);
    setStatus('');
    api.state = 'ready';
    return data;
  }
  /** Load the grid again (after a report): lists and map, the view stays where it is. */
  api.reload = function () {
    api.state = 'loading';
    return load().then(function (data) { api.state = 'ready'; return data; });
  };
  api.selectedCentre = function () {
    var shape = selected && buildingLayers[selected];
    return shape ? shape.getBounds().getCenter() : null;
  };
  api.showTab = showTab;
  api.ready = load().then(null, function (error) {
    api.state = 'error';
    setStatus((error.status === 403 ? '无权查看此网格 Not your grid: ' : '加载失败 Failed: ') +
      error.message, true);
    throw error;
  });
  api.ready.catch(function () { /* shown in the status line */ });
  attach(map, config, api);
  return api;
}

export {start};
