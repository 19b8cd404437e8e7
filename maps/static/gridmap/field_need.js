/*
 * The grid worker records a resident's need (群众点单) from the phone page: pick the building in
 * the list (or tap the map where it is), the kind, what is needed, who asks and their phone, by
 * when; the server finds the community and grid (POST /needs, source field) and the party office
 * then dispatches it. A worker records needs in their own grid only (the API says so if not).
 *
 * Started by field.js as attachNeed(map, config, field); config.needKinds holds the kinds'
 * labels. Publishes window.gridmapFieldNeed = {state: 'idle'|'open'|'sending'|'sent'|'error',
 * last (the need answered), where (the chosen point)}.
 */

import {chinaDate, el, request} from './common.js';

function say(nd, text, isError) {
  nd.message.textContent = text || '';
  nd.message.className = 'gf-report-msg' + (isError ? ' gf-error' : '');
}

function place(nd, latlng, where) {
  nd.api.where = latlng;
  if (nd.pin) nd.pin.setLatLng(latlng);
  else nd.pin = L.circleMarker(latlng, {radius: 9, color: '#fff', weight: 3, fillColor: '#2563a8', fillOpacity: 1}).addTo(nd.map);
  nd.whereLine.textContent = '位置 Location: ' + (where || latlng.lat.toFixed(5) + ', ' + latlng.lng.toFixed(5));
}

/** A week from today (China time), the day a need is wanted by unless the worker says. */
function inAWeek() {
  var day = new Date(chinaDate() + 'T00:00:00Z');
  day.setUTCDate(day.getUTCDate() + 7);
  return day.toISOString().slice(0, 10);
}

function open(nd) {
  nd.form.hidden = false;
  nd.openBtn.hidden = true;
  nd.api.state = 'open';
  say(nd, '');
  if (!nd.form.elements.kind.options.length) {
    Object.keys(nd.kinds).forEach(function (code) {
      el('option', null, nd.kinds[code].split(' ')[0], nd.form.elements.kind).value = code;
    });
  }
  nd.form.elements.due_on.value = inAWeek();
  var centre = nd.field.selectedCentre();
  if (centre) place(nd, centre, '所选楼栋 the chosen building');
  else nd.whereLine.textContent = '在地图上点选位置 Tap the map where it is';
  nd.form.scrollIntoView({block: 'nearest'});
}

function close(nd) {
  nd.form.hidden = true;
  nd.openBtn.hidden = false;
  if (nd.pin) { nd.map.removeLayer(nd.pin); nd.pin = null; }
  nd.api.where = null;
}

function send(nd) {
  var api = nd.api;
  var f = nd.form.elements;
  if (!api.where) {
    say(nd, '请先在地图上点选位置 Tap the map where it is first', true);
    return;
  }
  api.state = 'sending';
  say(nd, '提交中… Sending…');
  request('POST', 'needs', {
    lon: api.where.lng, lat: api.where.lat, kind: f.kind.value, title: f.title.value.trim(),
    requester_name: f.requester_name.value.trim(), requester_phone: f.requester_phone.value.trim(),
    due_on: f.due_on.value, source: 'field'
  }).then(function (need) {
    api.last = need;
    close(nd);
    nd.form.reset();
    say(nd, '已记录需求 Recorded: ' + need.code + ' · ' + need.status_label.split(' ')[0]);
    api.state = 'sent';
  }, function (error) {
    api.state = 'error';
    say(nd, '记录失败 Not recorded: ' + error.message, true);
  });
}

function attachNeed(map, config, field) {
  var api = {state: 'idle', last: null, where: null};
  window.gridmapFieldNeed = api;
  var box = document.querySelector('[data-testid="need"]');
  if (!box) return api;
  var form = box.querySelector('form');
  var nd = {
    map: map, field: field, api: api, form: form, kinds: config.needKinds || {},
    openBtn: box.querySelector('[data-testid="need-open"]'),
    whereLine: box.querySelector('[data-testid="need-where"]'),
    message: box.querySelector('[data-testid="need-message"]'),
    pin: null
  };
  map.on('click', function (event) {
    if (api.state === 'open') place(nd, event.latlng, null);
  });
  nd.openBtn.addEventListener('click', function () { open(nd); });
  form.querySelector('[data-testid="need-cancel"]').addEventListener('click', function () {
    close(nd);
    api.state = 'idle';
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    send(nd);
  });
  return api;
}

export {attachNeed};
