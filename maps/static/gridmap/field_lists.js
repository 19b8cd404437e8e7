/*
 * Gridmap field page: the lists beside the map: the grid's figures, its buildings (with the
 * building and unit leaders to call), its people and its open incidents. Each function but
 * renderStats takes the page's state (field.js) first.
 */

import {chinaTime, el, fmt, label} from './common.js';
import {select} from './field.js';

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

/** The grid's name and its four figures. */
export function renderStats(data) {
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

/** The buildings, each with its leader and its entrances' leaders. */
export function renderBuildings(fd, features) {
  var list = fd.lists.buildings;
  list.textContent = '';
  fd.buildingItems = {};
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
    head.addEventListener('click', function () { select(fd, p.code, false); });
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
    fd.buildingItems[p.code] = item;
  });
  fd.counts.buildings.textContent = fmt(features.length);
}

/** The grid leader and the cadres sent down to the grid. */
export function renderPeople(fd, leaders) {
  var list = fd.lists.people;
  list.textContent = '';
  if (!leaders.length) el('li', 'gf-item gf-meta', '本网格暂无网格长或下沉干部 No grid leader', list);
  leaders.forEach(function (who) {
    var item = el('li', 'gf-item', null, list);
    item.setAttribute('data-testid', 'person');
    personLine(item, who.role, who, 'call-' + who.role);
    if (who.organisation) el('p', 'gf-meta', who.organisation, item);
  });
  fd.counts.people.textContent = fmt(leaders.length);
}

/** The open incidents; a tap centres the map on one. */
export function renderIncidents(fd, features, total) {
  var map = fd.map;
  var list = fd.lists.incidents;
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
  fd.counts.incidents.textContent = fmt(total);
}
