/*
 * Gridmap incident map: the map's four modes: points clustered when zoomed out, a heat map, H3
 * hexagons, and a grid choropleth of the figures (the unified grids as vector tiles).
 */

import {show} from './incidents_panel.js';
import {el, fetchJson, filterQuery, pct, stateLabel} from './incidents_state.js';
import * as tiles from './tiles.js';

var STATE_COLORS = {
  reported: '#8e44ad', dispatched: '#c0392b', signed: '#e67e22',
  handled: '#2980b9', fed_back: '#16a085', evaluated: '#7f8c8d'
};
var RAMP = ['#fff5eb', '#fdd0a2', '#fd8d3c', '#d94801', '#7f2704'];

function viewBbox(map) {
  var b = map.getBounds();
  var w = Math.max(-180, b.getWest()), e = Math.min(180, b.getEast());
  var s = Math.max(-90, b.getSouth()), n = Math.min(90, b.getNorth());
  return [w, s, e, n].map(function (v) { return v.toFixed(6); }).join(',');
}

function clear(ic) {
  if (ic.overlay) ic.map.removeLayer(ic.overlay);
  ic.overlay = null;
}

function setLegend(ic, items) {
  var legend = ic.legend;
  legend.textContent = '';
  items.forEach(function (item) {
    var row = el('div', {'class': 'gi-legend-row'});
    var swatch = el('span', {'class': 'gi-swatch'});
    swatch.style.background = item[0];
    row.appendChild(swatch);
    row.appendChild(el('span', {}, item[1]));
    legend.appendChild(row);
  });
}

function loadPoints(ic) {
  return fetchJson('/incidents/points?' + filterQuery(ic)).then(function (doc) {
    ic.allPoints = doc.points;
    return ic.allPoints;
  });
}

function drawPoints(ic) {
  var map = ic.map;
  return loadPoints(ic).then(function (rows) {
    clear(ic);
    ic.api.counts.points = rows.length;
    // The view first (no animation), then the clusters for that view: counts are final
    // when the promise resolves, not one re-clustering early (issue 14.12).
    if (!ic.fitted && rows.length) {
      ic.fitted = true;
      map.fitBounds(L.latLngBounds(rows.map(function (p) { return [p[1], p[0]]; })).pad(0.05),
        {animate: false});
    }
    setLegend(ic, Object.keys(STATE_COLORS).map(function (s) {
      return [STATE_COLORS[s], stateLabel(s)];
    }).concat([['#000', '黑圈：超期 Black ring: overdue']]));
    return cluster(ic, rows);
  });
}

/** The points as markers in a cluster group; resolves once the clusters are on the map. */
function cluster(ic, rows) {
  var api = ic.api;
  var map = ic.map;
  return new Promise(function (resolve) {
    var group = L.markerClusterGroup({chunkedLoading: true, maxClusterRadius: 50,
      disableClusteringAtZoom: 17, chunkProgress: function (done, total) {
        // markercluster puts the clusters on the map right after its last progress call.
        if (total === markers.length && done >= total) Promise.resolve().then(settle);
      }});
    function settle() {
      api.counts.clusters = countClusters(group);
      map.getContainer().setAttribute('data-clusters', String(api.counts.clusters));
      resolve();
    }
    // After the user zooms, markercluster re-clusters: keep the count true.
    group.on('animationend', function () { api.counts.clusters = countClusters(group); });
    var markers = rows.map(function (p) {
      var m = L.circleMarker([p[1], p[0]], {
        radius: 6, weight: p[5] ? 3 : 1, color: p[5] ? '#000' : '#fff',
        fillColor: STATE_COLORS[p[3]] || '#555', fillOpacity: 0.9
      });
      m.bindTooltip(p[2] + ' · ' + p[4] + ' · ' + stateLabel(p[3]));
      m.on('click', function () { show(ic, p[2]); });
      return m;
    });
    // Off the map the markers only queue; adding the group clusters them for this view.
    group.addLayers(markers);
    ic.overlay = group.addTo(map);
    if (!markers.length) settle();
  });
}

function countClusters(group) {
  var n = 0;
  group._featureGroup.eachLayer(function (layer) { if (layer.getChildCount) n += 1; });
  return n;
}

function drawHeat(ic) {
  return loadPoints(ic).then(function (rows) {
    clear(ic);
    ic.overlay = L.heatLayer(rows.map(function (p) { return [p[1], p[0], 0.6]; }),
      {radius: 18, blur: 15, maxZoom: 15}).addTo(ic.map);
    ic.api.counts.points = rows.length;
    setLegend(ic, [['#0000ff', '少 Few'], ['#00ff00', ''], ['#ff0000', '多 Many']]);
  });
}

function drawHexagons(ic) {
  var map = ic.map;
  var url = '/incidents/hexagons?' + filterQuery(ic, {zoom: map.getZoom(), bbox: viewBbox(map)});
  return fetchJson(url).then(function (fc) {
    clear(ic);
    var max = fc.max_count || 1;
    ic.overlay = L.geoJSON(fc, {
      style: function (f) {
        var k = Math.min(4, Math.floor(4 * f.properties.count / max));
        return {color: '#7f2704', weight: 1, fillColor: RAMP[k], fillOpacity: 0.75};
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip('H3 ' + p.h3 + '<br>事件 ' + p.count + ' · 未办结 ' + p.open +
          ' · 已办结 ' + p.closed);
      }
    }).addTo(map);
    ic.api.counts.hexagons = fc.features.length;
    setLegend(ic, RAMP.map(function (c, i) {
      return [c, Math.round(i * max / 4) + '–' + Math.round((i + 1) * max / 4) +
        ' (H3 res ' + fc.resolution + ')'];
    }));
  });
}

/** The grid choropleth: the unified grids as vector tiles (the large layer), coloured by
 * the figures of each grid under the current filters (one small JSON table). */
function drawGrids(ic) {
  return Promise.all([
    fetchJson('/incidents/figures?' + filterQuery(ic, {by: 'grid'})),
    tiles.open('grids.unified', {
      styles: {grids: function (p) { return ic.gridStyle(p); }},
      crs: ic.config.crs,
      root: '../'  // this page is /incidents/map
    })
  ]).then(function (both) {
    clear(ic);
    var byCode = {};
    var max = 1;
    both[0].rows.forEach(function (r) {
      byCode[r.key] = r;
      if (r.key) max = Math.max(max, r.total);
    });
    ic.gridStyle = function (p) {
      var r = byCode[p.code];
      var k = r ? Math.min(4, Math.floor(4 * r.total / max)) : 0;
      return {color: '#555', weight: 0.6, fill: true, fillColor: RAMP[k],
        fillOpacity: r ? 0.7 : 0.15};
    };
    var layer = both[1].layer;
    gridTooltips(ic, layer, byCode);
    ic.overlay = layer;
    setLegend(ic, RAMP.map(function (c, i) {
      return [c, Math.round(i * max / 4) + '–' + Math.round((i + 1) * max / 4) + ' 事件'];
    }));
    return new Promise(function (resolve) {
      layer.once('load', function () {
        ic.api.counts.grids = tiles.features(layer).length;
        resolve();
      });
      layer.addTo(ic.map);
    });
  });
}

function gridTooltips(ic, layer, byCode) {
  var map = ic.map;
  var tooltip = L.tooltip({sticky: true});
  layer.on('mouseover', function (e) {
    var p = e.layer.properties;
    var r = byCode[p.code];
    map.openTooltip(tooltip.setLatLng(e.latlng).setContent(p.name + '<br>' + (r
      ? ('事件 ' + r.total + ' · 按时签收 ' + pct(r.on_time_sign_rate) + ' · 按时办结 ' +
        pct(r.on_time_completion_rate) + ' · 满意 ' + pct(r.satisfaction))
      : '无事件 No incidents')));
  });
  layer.on('mouseout', function () { map.closeTooltip(tooltip); });
}

var DRAW = {points: drawPoints, heat: drawHeat, hexagons: drawHexagons, grids: drawGrids};

/** Draw the current mode again (api.ready: its Promise; a failure shows in the legend). */
export function redraw(ic) {
  var api = ic.api;
  api.state = 'loading';
  api.ready = DRAW[api.mode](ic).then(function () {
    api.state = 'ready';
    return api.mode;
  }, function (err) {
    api.state = 'error';
    ic.legend.textContent = '加载失败 Failed: ' + ((err && err.message) || String(err));
    throw err;
  });
  api.ready.catch(function () { /* shown in the legend */ });
  return api.ready;
}
