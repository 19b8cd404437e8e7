/*
 * The field worker reports an incident (吹哨) from the phone page: tap the map where it is (or
 * pick a building in the list), choose a category, say what is wrong, send. The server finds
 * the grid, unit and department (POST /incidents); the grid's lists then load again.
 *
 * Started by field.js as attach(map, config, field) with the field page's
 * api; publishes window.gridmapFieldReport = {state: 'idle'|'open'|'sending'|'sent'|'error',
 * last (the incident answered), where (the chosen point)}.
 */

import {el, request} from './common.js';

function attach(map, config, field) {
  var api = {state: 'idle', last: null, where: null};
  window.gridmapFieldReport = api;
  var box = document.querySelector('[data-testid="report"]');
  if (!box) return api;
  var form = box.querySelector('form');
  var openBtn = box.querySelector('[data-testid="report-open"]');
  var whereLine = box.querySelector('[data-testid="report-where"]');
  var category = form.elements.category;
  var message = box.querySelector('[data-testid="report-message"]');
  var pin = null;
  var categoriesLoaded = null;

  function say(text, isError) {
    message.textContent = text || '';
    message.className = 'gf-report-msg' + (isError ? ' gf-error' : '');
  }

  function loadCategories() {
    if (categoriesLoaded) return categoriesLoaded;
    categoriesLoaded = request('GET', 'incidents/categories')
      .then(function (list) {
        category.textContent = '';
        el('option', null, '选择类别… Choose…', category).value = '';
        list.forEach(function (c) {
          var option = el('option', null, c.code + (c.name_en ? ' ' + c.name_en : ''), category);
          option.value = c.code;
        });
      });
    return categoriesLoaded;
  }

  function place(latlng, label) {
    api.where = latlng;
    if (pin) pin.setLatLng(latlng);
    else pin = L.circleMarker(latlng, {radius: 9, color: '#fff', weight: 3, fillColor: '#c4391d', fillOpacity: 1}).addTo(map);
    whereLine.textContent = '位置 Location: ' + (label || latlng.lat.toFixed(5) + ', ' + latlng.lng.toFixed(5));
  }

  map.on('click', function (event) {
    if (api.state === 'open') place(event.latlng, null);
  });

  openBtn.addEventListener('click', function () {
    form.hidden = false;
    openBtn.hidden = true;
    api.state = 'open';
    say('');
    var centre = field.selectedCentre();
    if (centre) place(centre, '所选楼栋 the chosen building');
    else whereLine.textContent = '在地图上点选位置 Tap the map where it is';
    loadCategories().then(null, function () { say('类别加载失败 Could not load categories', true); });
    form.scrollIntoView({block: 'nearest'});
  });

  function close() {
    form.hidden = true;
    openBtn.hidden = false;
    if (pin) { map.removeLayer(pin); pin = null; }
    api.where = null;
  }

  form.querySelector('[data-testid="report-cancel"]').addEventListener('click', function () {
    close();
    api.state = 'idle';
  });

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (!api.where) {
      say('请先在地图上点选位置 Tap the map where it is first', true);
      return;
    }
    api.state = 'sending';
    say('上报中… Sending…');
    request('POST', 'incidents', {
      lon: api.where.lng, lat: api.where.lat, category: category.value,
      description: form.elements.description.value.trim(), reporter_kind: 'grid_worker'
    }).then(function (incident) {
      api.last = incident;
      close();
      form.reset();
      say('已上报 Reported: ' + incident.code + (incident.department ? ' → ' + incident.department : ''));
      return field.reload().then(function () {
        field.showTab('incidents');
        api.state = 'sent';
      });
    }).then(null, function (error) {
      api.state = 'error';
      say('上报失败 Not sent: ' + error.message, true);
    });
  });
  return api;
}

export {attach};
