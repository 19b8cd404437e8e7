/*
 * The patrol bar of the field page (巡查): 开始巡查 / 结束巡查, 打卡 at the selected building,
 * 报备外出 (an absence with its reason), and today's time in the grid and distance.
 *
 * While a patrol is open the phone's position is watched (navigator.geolocation.watchPosition);
 * every fix gets the phone's own sequence number and waits in localStorage until the server has
 * stored it. Batches go up every ~30 s, when the connection comes back, and at 结束巡查; a batch
 * sent twice (its answer lost) is stored once by the server (the numbers are unique), so the
 * buffer is only emptied of what an answer confirmed.
 *
 * Started by field.js as attachPatrol(config, field) (field: window.gridmapField); does nothing
 * when the page has no patrol bar (not a field worker's own grid). Publishes
 * window.gridmapPatrol = {state: 'idle'|'starting'|'recording'|'stopping'|'stopped'|'error',
 * patrol, figures, pending(), flush(), refresh()} for tests.
 */

import {ApiError, chinaTime, fmt, request} from './common.js';

var STORE = 'gridmap.patrol';
var BATCH_MS = 30000;
var MAX_BATCH = 500;
var WORST_ACCURACY = 200; // metres: a fix worse than this says little about where one walked

function load() {
  try {
    return JSON.parse(window.localStorage.getItem(STORE)) || {patrol: null, seq: 0, points: []};
  } catch (error) {
    return {patrol: null, seq: 0, points: []};
  }
}

function save(pt) {
  try {
    window.localStorage.setItem(STORE, JSON.stringify(pt.kept));
  } catch (error) { /* storage full or private mode: the points stay in memory */ }
  pt.nodes.pending.textContent = fmt(pt.kept.points.length);
}

function say(pt, text, isError) {
  pt.nodes.message.textContent = text || '';
  pt.nodes.message.className = 'gf-patrol-msg' + (isError ? ' gf-error' : '');
}

/** '1 小时 5 分' / '12 分 30 秒' / '40 秒' from seconds. */
function duration(seconds) {
  var s = Math.round(seconds || 0);
  if (s >= 3600) return Math.floor(s / 3600) + ' 小时 ' + Math.floor((s % 3600) / 60) + ' 分';
  if (s >= 60) return Math.floor(s / 60) + ' 分 ' + (s % 60) + ' 秒';
  return s + ' 秒';
}

function distance(metres) {
  return metres >= 1000 ? fmt(metres / 1000, 2) + ' 公里' : fmt(metres) + ' 米';
}

/** Today's figures from the server: time in one's grid (and its share) and distance. */
function refresh(pt) {
  return request('GET', 'field/figures?period=day').then(function (figures) {
    var total = figures.total;
    pt.api.figures = figures;
    pt.nodes.inGrid.textContent = duration(total.seconds_in_grid) +
      (total.share === null ? '' : '（' + fmt(total.share, 'pct') + '）');
    pt.nodes.distance.textContent = distance(total.metres);
    return figures;
  });
}

/** Send the oldest waiting points (one batch); resolves when the server has answered. */
function flush(pt) {
  var kept = pt.kept;
  if (pt.sending) return pt.sending;
  if (!kept.patrol || !kept.points.length) return Promise.resolve(null);
  var batch = kept.points.slice(0, MAX_BATCH);
  var url = 'field/patrols/' + kept.patrol + '/points';
  pt.sending = request('POST', url, {points: batch}).then(function (answer) {
    var sent = {};
    batch.forEach(function (p) { sent[p.seq] = true; });
    kept.points = kept.points.filter(function (p) { return !sent[p.seq]; });
    save(pt);
    if (answer.outside_hours) say(pt, answer.outside_hours + ' 个点在工作时间外，未保存 (outside working hours)');
    if (answer.outside_city) say(pt, answer.outside_city + ' 个点不在本市范围内，未保存 (outside the city)');
    return answer;
  }, function (error) {
    // An ended or foreign patrol will never take these points; a network error keeps them.
    if (error instanceof ApiError && [403, 404, 409, 422].indexOf(error.status) >= 0) {
      kept.points = [];
      save(pt);
    }
    say(pt, '上传失败，稍后重试 Upload failed: ' + error.message, true);
    return null;
  }).then(function (answer) {
    pt.sending = null;
    return answer;
  });
  return pt.sending;
}

function onFix(pt, position) {
  var c = position.coords;
  if (c.accuracy > WORST_ACCURACY) return;
  var kept = pt.kept;
  kept.seq += 1;
  kept.points.push({
    seq: kept.seq,
    at: new Date(position.timestamp || Date.now()).toISOString(),
    lon: Math.round(c.longitude * 1e7) / 1e7,
    lat: Math.round(c.latitude * 1e7) / 1e7,
    accuracy: Math.round(c.accuracy * 10) / 10
  });
  pt.api.fixes += 1;
  pt.lastFix = {lon: c.longitude, lat: c.latitude};
  save(pt);
  if (kept.points.length >= MAX_BATCH) flush(pt);
}

function showRecording(pt, recording) {
  pt.nodes.start.hidden = recording;
  pt.nodes.stop.hidden = !recording;
}

/** Watch the position and send batches until the patrol ends. */
function record(pt) {
  if (!navigator.geolocation) {
    say(pt, '此设备无法定位 This phone gives no position', true);
    return;
  }
  pt.watch = navigator.geolocation.watchPosition(function (position) {
    onFix(pt, position);
  }, function (error) {
    say(pt, '定位失败 No position: ' + error.message, true);
  }, {enableHighAccuracy: true, maximumAge: 5000, timeout: 60000});
  pt.timer = window.setInterval(function () {
    flush(pt).then(function () { return refresh(pt); }).then(null, function () { /* next time */ });
  }, BATCH_MS);
  showRecording(pt, true);
  pt.api.state = 'recording';
}

function startPatrol(pt) {
  pt.api.state = 'starting';
  return request('POST', 'field/patrols').then(function (patrol) {
    if (pt.kept.patrol !== patrol.id) pt.kept = {patrol: patrol.id, seq: pt.kept.seq, points: []};
    pt.api.patrol = patrol.id;
    save(pt);
    record(pt);
    say(pt, '巡查中… 请保持页面打开 Patrolling: keep this page open');
  }, function (error) {
    pt.api.state = 'error';
    say(pt, '无法开始巡查 Could not start: ' + error.message, true);
  });
}

function stopPatrol(pt) {
  var patrol = pt.kept.patrol;
  pt.api.state = 'stopping';
  if (pt.watch !== null) navigator.geolocation.clearWatch(pt.watch);
  window.clearInterval(pt.timer);
  pt.watch = null;
  return flush(pt).then(function () {
    return request('POST', 'field/patrols/' + patrol + '/end');
  }).then(function () {
    pt.kept = {patrol: null, seq: pt.kept.seq, points: pt.kept.points};
    save(pt);
    showRecording(pt, false);
    say(pt, '巡查已结束 Patrol ended');
    return refresh(pt);
  }).then(function () {
    pt.api.state = 'stopped'; // after the figures are shown
  }, function (error) {
    pt.api.state = 'error';
    say(pt, '结束失败 Could not stop: ' + error.message, true);
  });
}

/** 打卡: at the building chosen in the list or on the map, else where the phone is. */
function checkIn(pt) {
  var code = pt.field.selectedCode ? pt.field.selectedCode() : null;
  var body = code ? {building: code, kind: 'visit'} : null;
  if (!body && pt.lastFix) body = {lon: pt.lastFix.lon, lat: pt.lastFix.lat, kind: 'key_place'};
  if (!body) {
    say(pt, '请先在列表或地图上选择楼栋 Choose a building first', true);
    return Promise.resolve(null);
  }
  return request('POST', 'field/check-ins', body).then(function (answer) {
    pt.api.lastCheckIn = answer;
    say(pt, '已打卡 Checked in: ' + (answer.building_name || '当前位置') + ' ' +
      chinaTime(answer.at).slice(11));
    return refresh(pt);
  }, function (error) {
    say(pt, '打卡失败 Check-in failed: ' + error.message, true);
  });
}

/** A datetime-local value ('2026-12-07T09:30') read as China time. */
function chinaIso(value) {
  return value ? value + ':00+08:00' : null;
}

function bindAbsence(pt) {
  var form = pt.nodes.absence;
  pt.nodes.awayOpen.addEventListener('click', function () { form.hidden = !form.hidden; });
  form.querySelector('[data-testid="absence-cancel"]').addEventListener('click', function () {
    form.hidden = true;
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var body = {
      kind: form.elements.kind.value,
      reason: form.elements.reason.value,
      starts_at: chinaIso(form.elements.starts.value),
      ends_at: chinaIso(form.elements.ends.value)
    };
    request('POST', 'field/absences', body).then(function () {
      form.hidden = true;
      form.reset();
      say(pt, '已报备 Reported');
    }, function (error) {
      say(pt, '报备失败 Not reported: ' + error.message, true);
    });
  });
}

function nodes(bar) {
  var one = function (id) { return bar.querySelector('[data-testid="' + id + '"]'); };
  return {
    start: one('patrol-start'), stop: one('patrol-stop'), checkIn: one('check-in'),
    awayOpen: one('absence-open'), absence: one('absence-form'), message: one('patrol-message'),
    inGrid: one('patrol-in-grid'), distance: one('patrol-distance'), pending: one('patrol-pending')
  };
}

function bind(pt) {
  pt.nodes.start.addEventListener('click', function () { startPatrol(pt); });
  pt.nodes.stop.addEventListener('click', function () { stopPatrol(pt); });
  pt.nodes.checkIn.addEventListener('click', function () { checkIn(pt); });
  bindAbsence(pt);
  window.addEventListener('online', function () { flush(pt); });
}

/** Pick up an open patrol (the page was reloaded) and send what waited in the phone. */
function resume(pt) {
  return request('GET', 'field/patrols/current').then(function (answer) {
    var open = answer.patrol;
    if (open) {
      if (pt.kept.patrol !== open.id) pt.kept = {patrol: open.id, seq: pt.kept.seq, points: []};
      pt.api.patrol = open.id;
      record(pt);
    } else if (pt.kept.patrol) {
      pt.kept = {patrol: null, seq: pt.kept.seq, points: []};
    }
    save(pt);
    return flush(pt);
  }).then(function () { return refresh(pt); });
}

export function attachPatrol(config, field) {
  var bar = document.querySelector('[data-testid="patrol"]');
  if (!bar) return null;
  var api = {state: 'idle', patrol: null, figures: null, fixes: 0};
  var pt = {api: api, field: field, kept: load(), nodes: nodes(bar), watch: null, timer: null,
    sending: null, lastFix: null};
  api.pending = function () { return pt.kept.points.length; };
  api.flush = function () { return flush(pt); };
  api.refresh = function () { return refresh(pt); };
  window.gridmapPatrol = api;
  bind(pt);
  api.ready = resume(pt).then(null, function (error) {
    say(pt, '巡查数据加载失败 Patrol figures failed: ' + error.message, true);
  });
  return api;
}
