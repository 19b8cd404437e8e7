/*
 * The field worker reports an incident (吹哨) from the phone page: tap the map where it is (or
 * pick a building in the list), choose a category, say what is wrong, send. The server finds
 * the grid, unit and department (POST /incidents); the grid's lists then load again.
 *
 * Started by field.js as attach(map, config, field) with the field page's
 * api; publishes window.gridmapFieldReport = {state: 'idle'|'open'|'sending'|'sent'|'error',
 * last (the incident answered), where (the chosen point)}.
 */

import {el, label, query, request} from './common.js';

function say(rp, text, isError) {
  rp.message.textContent = text || '';
  rp.message.className = 'gf-report-msg' + (isError ? ' gf-error' : '');
}

/** The categories into the form's menu, once. */
function loadCategories(rp) {
  if (rp.categoriesLoaded) return rp.categoriesLoaded;
  var category = rp.category;
  rp.categoriesLoaded = request('GET', 'incidents/categories')
    .then(function (list) {
      category.textContent = '';
      el('option', null, '选择类别… Choose…', category).value = '';
      list.forEach(function (c) {
        var option = el('option', null, c.code + (c.name_en ? ' ' + c.name_en : ''), category);
        option.value = c.code;
      });
    });
  return rp.categoriesLoaded;
}

/** Put the pin where the incident is. */
function place(rp, latlng, where) {
  rp.api.where = latlng;
  if (rp.pin) rp.pin.setLatLng(latlng);
  else rp.pin = L.circleMarker(latlng, {radius: 9, color: '#fff', weight: 3, fillColor: '#c4391d', fillOpacity: 1}).addTo(rp.map);
  rp.whereLine.textContent = '位置 Location: ' + (where || latlng.lat.toFixed(5) + ', ' + latlng.lng.toFixed(5));
  checkDuplicates(rp);
}

/** Open incidents of the chosen category near the pin: the problem may be reported already. */
function checkDuplicates(rp) {
  var box = rp.duplicates;
  var where = rp.api.where;
  var category = rp.category.value;
  box.hidden = true;
  if (!where || !category) return;
  var asked = rp.asked = (rp.asked || 0) + 1;
  request('GET', 'incidents/duplicates' + query({lon: where.lng, lat: where.lat, category: category}))
    .then(function (found) {
      if (asked !== rp.asked) return;  // the pin or the category moved on meanwhile
      rp.api.duplicates = found;
      box.textContent = '';
      if (!found.length) return;
      el('strong', null, '附近已有同类事件，可能是同一问题 Possibly reported already:', box);
      found.forEach(function (d) {
        var hours = d.hours_before < 1 ? '不到 1 小时前 <1 h ago' : Math.round(d.hours_before) + ' 小时前 h ago';
        el('p', 'gf-dupe', d.code + ' · ' + Math.round(d.distance_m) + ' m · ' + hours + ' · ' + label('incident_states', d.state, true), box);
      });
      box.hidden = false;
    }, function () { box.hidden = true; });
}

/** Open the form, at the chosen building when there is one. */
function open(rp) {
  var api = rp.api;
  rp.form.hidden = false;
  rp.openBtn.hidden = true;
  api.state = 'open';
  say(rp, '');
  var centre = rp.field.selectedCentre();
  if (centre) place(rp, centre, '所选楼栋 the chosen building');
  else rp.whereLine.textContent = '在地图上点选位置 Tap the map where it is';
  loadCategories(rp).then(null, function () { say(rp, '类别加载失败 Could not load categories', true); });
  rp.form.scrollIntoView({block: 'nearest'});
}

function close(rp) {
  rp.form.hidden = true;
  rp.duplicates.hidden = true;
  rp.openBtn.hidden = false;
  if (rp.pin) { rp.map.removeLayer(rp.pin); rp.pin = null; }
  rp.api.where = null;
}

/** Send the report; the grid's lists load again and show the incidents. */
function send(rp) {
  var api = rp.api;
  var form = rp.form;
  if (!api.where) {
    say(rp, '请先在地图上点选位置 Tap the map where it is first', true);
    return;
  }
  api.state = 'sending';
  say(rp, '上报中… Sending…');
  request('POST', 'incidents', {
    lon: api.where.lng, lat: api.where.lat, category: rp.category.value,
    description: form.elements.description.value.trim(), reporter_kind: 'grid_worker'
  }).then(function (incident) {
    api.last = incident;
    close(rp);
    form.reset();
    say(rp, '已上报 Reported: ' + incident.code + (incident.department ? ' → ' + incident.department : ''));
    return rp.field.reload().then(function () {
      rp.field.showTab('incidents');
      api.state = 'sent';
    });
  }).then(null, function (error) {
    api.state = 'error';
    say(rp, '上报失败 Not sent: ' + error.message, true);
  });
}

function attach(map, config, field) {
  var api = {state: 'idle', last: null, where: null};
  window.gridmapFieldReport = api;
  var box = document.querySelector('[data-testid="report"]');
  if (!box) return api;
  var form = box.querySelector('form');
  var rp = {
    map: map, field: field, api: api, form: form,
    openBtn: box.querySelector('[data-testid="report-open"]'),
    whereLine: box.querySelector('[data-testid="report-where"]'),
    category: form.elements.category,
    message: box.querySelector('[data-testid="report-message"]'),
    duplicates: box.querySelector('[data-testid="report-duplicates"]'),
    pin: null,
    categoriesLoaded: null
  };
  map.on('click', function (event) {
    if (api.state === 'open') place(rp, event.latlng, null);
  });
  rp.openBtn.addEventListener('click', function () { open(rp); });
  rp.category.addEventListener('change', function () { checkDuplicates(rp); });
  form.querySelector('[data-testid="report-cancel"]').addEventListener('click', function () {
    close(rp);
    api.state = 'idle';
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    send(rp);
  });
  return api;
}

export {attach};
