/*
 * Gridmap city map: the QA overlay, the topology check of the shown layer (gaps, overlaps,
 * slivers, multi-part grids, grids crossing communities, /layers/{code}/check), drawn above
 * the grids and refreshed on layer switch. Published as window.gridmap.qa.
 */

import {fmt} from './common.js';

var QA_STYLES = {
  gap: {color: '#b00020', fillColor: '#b00020', fillOpacity: 0.45, weight: 2},
  overlap: {color: '#6a1b9a', fillColor: '#6a1b9a', fillOpacity: 0.5, weight: 2},
  sliver: {color: '#e65100', fillColor: '#e65100', fillOpacity: 0.6, weight: 3},
  multipart: {color: '#0d47a1', fill: false, weight: 3, dashArray: '6 4'},
  crossing: {color: '#212121', fill: false, weight: 2.5, dashArray: '2 4'}
};
var QA_NAMES = {
  gap: '空隙 Gap', overlap: '重叠 Overlap', sliver: '碎片 Sliver',
  multipart: '多部件 Multi-part', crossing: '跨社区 Crosses communities'
};

/**
 * The overlay: {on, layer, summary, ready, count(), load(), show(on)}. check(code) asks the
 * server for a layer's check; fail(what) is the map's error handler.
 */
export function createQa(cm, check, fail) {
  var map = cm.map;
  map.createPane('gmQa').style.zIndex = 460;
  var qaLayer = L.geoJSON(null, {
    pane: 'gmQa',
    style: function (f) { return QA_STYLES[f.properties.problem] || QA_STYLES.gap; },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      var text = (QA_NAMES[p.problem] || p.problem) + (p.label ? ' · ' + p.label : '') +
        (p.area_m2 !== null ? ' · ' + fmt(p.area_m2, 1) + ' m²' : '');
      layer.bindTooltip(text, {sticky: true, className: 'gm-tooltip'});
    }
  });
  var qa = {on: false, layer: null, summary: null, ready: Promise.resolve(null)};
  qa.count = function () { return qaLayer.getLayers().length; };
  qa.load = function () {
    var code = cm.api.currentLayer;
    if (!qa.on || !code) return qa.ready;
    if (qa.layer === code) return qa.ready;
    qa.layer = code;
    cm.info.status('质检中 Checking ' + code + '…');
    qa.ready = check(code).then(function (fc) {
      if (qa.layer !== code) return null;
      qaLayer.clearLayers();
      qaLayer.addData(fc);
      qa.summary = fc.summary;
      var s = fc.summary;
      cm.info.status('质检 QA: 空隙 ' + s.gaps + ' · 重叠 ' + s.overlaps + ' · 碎片 ' +
        s.slivers + ' · 多部件 ' + s.multipart_grids + ' · 跨社区 ' +
        s.grids_crossing_communities);
      return fc.summary;
    }, fail('质检失败 Could not check the layer'));
    return qa.ready;
  };
  qa.show = function (on) {
    qa.on = on;
    if (on) {
      qaLayer.addTo(map);
      return qa.load();
    }
    qaLayer.remove();
    qa.layer = null;
    qaLayer.clearLayers();
    qa.summary = null;
    cm.info.status('');
    return Promise.resolve(null);
  };
  return qa;
}
