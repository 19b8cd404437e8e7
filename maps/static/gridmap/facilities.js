/*
 * Gridmap service-points page (十五分钟生活圈): the facilities of one kind on the map, every
 * community coloured by the share of its people needing care within a 15-minute walk (red: the
 * gaps), the communities worst first, and a facility's 5/10/15-minute walk on a click.
 *
 * Started by maps/facilities_page.py as GridmapFacilities.start(leafletMap, config), where
 * config = {kinds: {code: label}}. Data: facilities?kind=, facilities/coverage?kind=&by=community,
 * communities (GeoJSON), facilities/{code}/isochrone.
 *
 * For tests it publishes window.gridmapFacilities: state, ready (Promise that resolves once the
 * kind is drawn), select(code) (resolves once the walk is drawn).
 *
 * Plain ES2017 without optional chaining.
 */

import {el, fmt, query as q, request} from './common.js';

var BAND_COLOURS = {5: '#2f7d4f', 10: '#e0a21e', 15: '#c4391d'};

function say(st, text, isError) {
  st.status.textContent = text || '';
  st.status.className = 'gn-status' + (isError ? ' gn-error' : '');
}

function shareColour(share) {
  if (share === null || share === undefined) { return '#b8c0c8'; }
  if (share < 0.5) { return '#c4391d'; }
  if (share < 0.8) { return '#e0a21e'; }
  return '#2f7d4f';
}

function pct(share) {
  return share === null || share === undefined ? '–' : Math.round(share * 100) + '%';
}

/** Communities coloured by coverage, and the gaps table (worst first). */
function drawCoverage(st, coverage) {
  var byCode = {};
  coverage.areas.forEach(function (a) { byCode[a.code] = a; });
  st.areas.clearLayers();
  st.areas.addData(st.outlines);
  st.areas.setStyle(function (feature) {
    var area = byCode[feature.properties.code];
    return {color: '#fff', weight: 1, fillOpacity: 0.45,
            fillColor: shareColour(area ? area.people.share_care_people : null)};
  });
  var worst = coverage.areas.slice().sort(function (a, b) {
    return (a.people.share_care_people || 0) - (b.people.share_care_people || 0);
  }).slice(0, 30);
  st.gaps.textContent = '';
  worst.forEach(function (a) {
    var row = el('tr', '', null, st.gaps);
    el('td', '', a.name, row);
    el('td', '', pct(a.people.share_care_people), row);
    el('td', '', pct(a.people.share_households), row);
  });
  var t = coverage.total;
  st.summary.textContent = '步行15分钟内：户数 ' + pct(t.share_households) + '，关爱对象 ' +
    pct(t.share_care_people) + '（' + fmt(coverage.facilities) + ' 处设施' +
    (coverage.flagged.length ? '，' + coverage.flagged.length + ' 处距路网超过200米' : '') + '）';
}

function drawFacilities(st, items) {
  st.points.clearLayers();
  items.forEach(function (f) {
    L.circleMarker([f.lat, f.lon], {
      radius: 6, color: '#fff', weight: 1, fillOpacity: 0.95,
      fillColor: f.flagged ? '#8a94a0' : '#2563a8'
    }).bindTooltip(f.name + (f.flagged ? '（距路网超过200米）' : ''))
      .on('click', function () { select(st, f.code); })
      .addTo(st.points);
  });
}

function load(st) {
  var kind = st.kindSelect.value;
  say(st, '加载中…');
  return Promise.all([
    request('GET', '../facilities' + q({kind: kind})),
    request('GET', '../facilities/coverage' + q({kind: kind, by: 'community'}))
  ]).then(function (answers) {
    st.items = answers[0].facilities;
    st.coverage = answers[1].kinds[0];
    drawFacilities(st, st.items);
    drawCoverage(st, st.coverage);
    say(st, '');
  }).catch(function (err) { say(st, err.message, true); });
}

function select(st, code) {
  return request('GET', '../facilities/' + encodeURIComponent(code) + '/isochrone')
    .then(function (iso) {
      st.walk.clearLayers();
      iso.bands.slice().reverse().forEach(function (b) {
        L.geoJSON(b.geometry, {style: {color: BAND_COLOURS[b.minutes] || '#555', weight: 1,
                                       fillOpacity: 0.2}}).addTo(st.walk);
      });
      st.detailTitle.textContent = code + ' 步行可达范围';
      st.bands.textContent = '';
      iso.bands.forEach(function (b) {
        el('li', '', b.minutes + ' 分钟：' + fmt(Math.round(b.area_m2 / 10000)) + ' 公顷', st.bands);
      });
      st.detail.hidden = false;
      st.selected = code;
    }).catch(function (err) { say(st, err.message, true); });
}

export function start(map, config) {
  var st = {
    map: map, config: config, items: [], selected: null,
    status: document.querySelector('[data-testid="status"]'),
    summary: document.querySelector('[data-testid="summary"]'),
    gaps: document.querySelector('[data-testid="gaps"]'),
    detail: document.querySelector('[data-testid="detail"]'),
    detailTitle: document.querySelector('[data-testid="detail-title"]'),
    bands: document.querySelector('[data-testid="bands"]'),
    kindSelect: document.querySelector('[data-testid="kind"]'),
    areas: L.geoJSON(null).addTo(map),
    walk: L.layerGroup().addTo(map),
    points: L.layerGroup().addTo(map)
  };
  Object.keys(config.kinds).forEach(function (code) {
    var option = el('option', '', config.kinds[code].split(' ')[0], st.kindSelect);
    option.value = code;
  });
  var ready = request('GET', '../communities').then(function (outlines) {
    st.outlines = outlines;
    if (outlines.features.length) { map.fitBounds(L.geoJSON(outlines).getBounds()); }
    return load(st);
  });
  st.kindSelect.addEventListener('change', function () { st.ready = load(st); });
  window.gridmapFacilities = {
    state: st, ready: ready,
    select: function (code) { return select(st, code); }
  };
}
