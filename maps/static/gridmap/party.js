/*
 * Gridmap party page: coverage of grid, building and unit leaders; buildings with no leader;
 * the nearest members with free capacity for one of them, assigned with one click.
 *
 * Started by maps/party_page.py as GridmapParty.start(leafletMap, config), where
 * config = {canAssign, maxBuildings}. Data: party/coverage, party/coverage/uncovered,
 * party/coverage/map (buildings in view), party/suggestions; the grids' coverage as vector
 * tiles (tiles/party.unified, through tiles.js); changes: POST party/assignments (same origin).
 *
 * For tests it publishes window.gridmapParty: state, ready (Promise), suggest(code), and
 * assign(memberCode, buildingCode) (a Promise of the new assignment, once the list of
 * buildings with no leader, the totals and the map show it).
 *
 * Plain ES2017 without optional chaining.
 */

import {chinaDate, el, fmt, query as q, request} from './common.js';
import * as tiles from './tiles.js';

var COVERED = '#2f7d4f';
var UNCOVERED = '#c4391d';
var BUILDING_ZOOM = 15;
var PAGE = 50;

function pct(part, whole) {
  return whole ? fmt(part / whole, 'pct') : '–';
}

/** The page's state, which every function here takes first; api is window.gridmapParty. */
function createState(map, config) {
  var pt = {
    map: map,
    config: config,
    api: {state: 'loading', ready: null},
    status: document.querySelector('[data-testid="status"]'),
    uncoveredList: document.querySelector('[data-testid="uncovered"]'),
    more: document.querySelector('[data-testid="more"]'),
    suggestBox: document.querySelector('[data-testid="suggest"]'),
    suggestions: document.querySelector('[data-testid="suggestions"]'),
    panel: document.querySelector('[data-testid="panel"]'),
    nextOffset: 0,
    gridLayer: null
  };
  return pt;
}

/** The buildings in view (zoomed in): green with a leader, red without (a click suggests). */
function buildingLayer(pt) {
  return L.geoJSON(null, {
    style: function (f) {
      var c = f.properties.covered ? COVERED : UNCOVERED;
      return {color: c, weight: 1, fillColor: c, fillOpacity: 0.6};
    },
    onEachFeature: function (f, layer) {
      layer.bindTooltip(f.properties.name + ' · ' + fmt(f.properties.households) + ' 户' +
        (f.properties.covered ? ' · 有楼栋长' : ' · 无楼栋长'));
      if (!f.properties.covered) {
        layer.on('click', function () { suggest(pt, f.properties.code, f.properties.name); });
      }
    }
  });
}

function say(pt, text, isError) {
  pt.status.textContent = text || '';
  pt.status.className = 'gp-status' + (isError ? ' gp-error' : '');
}

/** The coverage totals and the table by community. */
function loadTotals() {
  return request('GET', 'party/coverage' + q({by: 'community'})).then(function (data) {
    var t = data.totals;
    var box = document.querySelector('[data-testid="totals"]');
    box.textContent = '';
    [
      ['网格长 Grid leaders', t.grids_with_leader, t.grids],
      ['楼栋长 Building leaders', t.buildings_covered, t.buildings],
      ['单元长 Unit leaders', t.entrances_covered, t.entrances],
      ['有角色党员 Members with a role', t.members_with_role, t.members]
    ].forEach(function (row) {
      var cell = el('div', 'gp-total', null, box);
      el('span', 'gp-total-label', row[0], cell);
      el('b', null, fmt(row[1]) + ' / ' + fmt(row[2]), cell);
      el('span', 'gp-total-share', pct(row[1], row[2]), cell);
    });
    el('p', 'gp-muted', '下沉干部 Cadres sent down: ' + fmt(t.cadres), box);
    var body = document.querySelector('[data-testid="by-community"] tbody');
    body.textContent = '';
    data.rows.forEach(function (r) {
      var tr = el('tr', null, null, body);
      var name = el('td', null, r.name, tr);
      name.title = r.code;
      el('td', null, r.grids_with_leader + '/' + r.grids, tr);
      el('td', null, r.buildings_covered + '/' + r.buildings, tr);
      el('td', null, r.entrances_covered + '/' + r.entrances, tr);
      el('td', null, r.members_with_role + '/' + r.members, tr);
    });
    return data;
  });
}

function loadUncovered(pt, reset) {
  if (reset) {
    pt.nextOffset = 0;
    pt.uncoveredList.textContent = '';
  }
  return request('GET', 'party/coverage/uncovered' + q({kind: 'building', limit: PAGE, offset: pt.nextOffset}))
    .then(function (page) {
      document.querySelector('[data-testid="uncovered-count"]').textContent = fmt(page.numberMatched);
      page.items.forEach(function (b) {
        var li = el('li', 'gp-item', null, pt.uncoveredList);
        li.setAttribute('data-code', b.code);
        li.setAttribute('data-testid', 'uncovered-building');
        el('span', 'gp-name', b.name, li);
        el('span', 'gp-muted', fmt(b.households) + ' 户 · ' + (b.grid_code || ''), li);
        li.addEventListener('click', function () {
          pt.map.setView([b.lat, b.lon], 18);
          suggest(pt, b.code, b.name);
        });
      });
      pt.nextOffset = page.next_offset || 0;
      pt.more.hidden = !page.next_offset;
      return page;
    });
}

// The suggestions open at the top of the panel, scrolled into view: the user has just
// chosen a building (on the map or in the list) and looks for whom to ask.
function suggest(pt, code, name) {
  var suggestions = pt.suggestions;
  pt.suggestBox.hidden = false;
  document.querySelector('[data-testid="suggest-target"]').textContent = name + ' · ' + code;
  suggestions.textContent = '';
  pt.panel.scrollTop = 0;
  return request('GET', 'party/suggestions' + q({building: code, limit: 8})).then(function (data) {
    if (!data.items.length) el('li', 'gp-muted', '范围内没有可用的党员 No member with free capacity', suggestions);
    data.items.forEach(function (m) { suggestion(pt, m, data, code); });
    pt.suggestBox.scrollIntoView({block: 'nearest'});
    return data;
  }, function (error) { say(pt, error.message, true); });
}

/** One member who could lead the building, with the button that assigns them. */
function suggestion(pt, m, data, code) {
  var li = el('li', 'gp-item', null, pt.suggestions);
  li.setAttribute('data-testid', 'suggestion');
  li.setAttribute('data-member', m.code);
  el('span', 'gp-name', m.name, li);
  el('span', 'gp-muted', fmt(Math.round(m.distance_m)) + ' 米 · 已任 ' + m.buildings_led +
    '/' + data.max_buildings + ' 栋' + (m.organisation ? ' · ' + m.organisation.name : '') +
    (m.phone ? ' · ' + m.phone : ''), li);
  if (pt.config.canAssign) {
    var button = el('button', 'gp-assign', '指派为楼栋长 Assign', li);
    button.type = 'button';
    button.setAttribute('data-testid', 'assign');
    button.addEventListener('click', function () {
      button.disabled = true;
      assign(pt, m.code, code).catch(function () { button.disabled = false; });
    });
  }
}

function assign(pt, member, building) {
  return request('POST', 'party/assignments', {member: member, role: 'building_leader',
    target: 'building:' + building, starts_on: chinaDate()}).then(function (created) {
    say(pt, '已指派 Assigned: ' + created.member.name + ' → ' + created.target.name);
    pt.suggestBox.hidden = true;
    // The building now has a leader: the list and its count, the totals and the map follow.
    pt.api.refreshed = Promise.all([loadUncovered(pt, true), loadTotals(), refreshMap(pt)]);
    return pt.api.refreshed.then(function () { return created; });
  }, function (error) {
    say(pt, error.message, true);
    throw error;
  });
}

/** Grid-leader coverage of the unified grids, as vector tiles (party.unified: yes/no and
 * counts, never who): the map's large layer. Buildings stay GeoJSON, by the view's bbox. */
function loadGrids(pt) {
  var map = pt.map;
  return tiles.open('party.unified', {
    styles: {
      grids: function (p) {
        var c = p.has_grid_leader ? COVERED : UNCOVERED;
        return {color: '#ffffff', weight: 1, fill: true, fillColor: c, fillOpacity: 0.45};
      },
      buildings: []  // drawn from party/coverage/map, with names, when zoomed in
    }
  }).then(function (opened) {
    var gridLayer = pt.gridLayer = opened.layer;
    var tooltip = L.tooltip({sticky: true});
    gridLayer.on('mouseover', function (e) {
      var p = e.layer.properties;
      map.openTooltip(tooltip.setLatLng(e.latlng).setContent(
        p.name + (p.has_grid_leader ? ' · 有网格长' : ' · 无网格长')));
    });
    gridLayer.on('mouseout', function () { map.closeTooltip(tooltip); });
    var b = opened.tilejson.bounds;
    if (b[0] > -180) map.fitBounds(L.latLngBounds([b[1], b[0]], [b[3], b[2]]));
    var drawn = new Promise(function (resolve) { gridLayer.once('load', resolve); });
    gridLayer.addTo(map);
    return drawn;
  });
}

function refreshMap(pt) {
  var map = pt.map;
  var buildings = pt.buildingLayer;
  if (map.getZoom() < BUILDING_ZOOM) {
    map.removeLayer(buildings);
    return Promise.resolve(null);
  }
  var b = map.getBounds();
  var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
    return v.toFixed(6);
  }).join(',');
  return request('GET', 'party/coverage/map' + q({what: 'buildings', bbox: bbox, limit: 3000}))
    .then(function (fc) {
      buildings.clearLayers();
      buildings.addData(fc);
      if (!map.hasLayer(buildings)) buildings.addTo(map);
      return fc;
    });
}

function start(map, config) {
  var pt = createState(map, config);
  var api = pt.api;
  window.gridmapParty = api;
  document.querySelector('[data-testid="suggest-close"]').addEventListener('click', function () {
    pt.suggestBox.hidden = true;
  });
  pt.buildingLayer = buildingLayer(pt);
  map.on('moveend', function () { refreshMap(pt).catch(function (e) { say(pt, e.message, true); }); });
  pt.more.addEventListener('click', function () { loadUncovered(pt, false); });
  api.suggest = function (code, name) { return suggest(pt, code, name); };
  api.assign = function (member, building) { return assign(pt, member, building); };
  api.ready = Promise.all([loadTotals(), loadUncovered(pt, true), loadGrids(pt)]).then(function () {
    api.state = 'ready';
  }, function (error) {
    api.state = 'error';
    say(pt, error.message, true);
  });
  return api;
}

export {start};
