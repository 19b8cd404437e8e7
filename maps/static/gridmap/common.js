/*
 * Gridmap: what every page module shares — one copy each, imported, never redefined in a page.
 *
 *   request(method, url, body)  JSON to and from the app's API; the CSRF header on every write
 *                               (the token from <meta name="csrf-token">, the one way pages get
 *                               it); a 401 sends the user to log in; an error answer (problem+json)
 *                               rejects with an ApiError
 *   ApiError                    {status, problem, message}: the problem's detail (Chinese first)
 *   query(params)               '?a=1&b=2' from an object, leaving out null and undefined
 *   el(tag, className, text, parent)  a DOM element; text as textContent, never innerHTML
 *   fmt(value, digits)          a number for people (zh-CN grouping, '–' for none; digits 'pct':
 *                               a share 0..1 as '12.3 %')
 *   chinaTime(iso), chinaDate() a time / today's date in China time, whatever the browser's zone
 *   lastMonth()                 'YYYY-MM' of last month in China time (the month scored, 考核)
 *   label(vocabulary, code, short)  the Chinese-first label of a code, from gis/labels.py
 *   CLASSES, classify(workload, band), classRanges(band)  the workload classes of the maps
 *   BAND_COLORS                 the server's three statuses (gis.workload.band_status) in the
 *                               same palette
 *
 * Plain ES2017 without optional chaining: county offices run old Chromium-based browsers.
 */

/* ------------------------------------------------------------------ network */

/** An API error: the HTTP status, the problem+json body ({} when none) and its detail. */
export class ApiError extends Error {
  constructor(status, problem) {
    var detail = problem && problem.detail;
    super(detail || ('请求失败 Request failed: HTTP ' + status));
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem || {};
  }
}

/** The page's CSRF token (the page shell writes it into <meta name="csrf-token">). */
export function csrfToken() {
  var meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute('content') : '';
}

/** Back to the log-in page, coming back here afterwards. The log-in page sits at the app's
 * root, which the API URL that answered 401 tells: '/…' (absolute), '../…' (a page one level
 * down) or '…' (a page at the root; relative URLs keep the app working behind a path prefix). */
function logIn(url) {
  var root = url.charAt(0) === '/' ? '/' : /^(\.\.\/)*/.exec(url)[0];
  var here = window.location.pathname + window.location.search;
  window.location.assign(root + 'login?next=' + encodeURIComponent(here));
}

/**
 * JSON to and from the API (same origin). body, when given, is sent as JSON (a FormData as
 * multipart, for uploads); every method
 * other than GET carries the CSRF header. Resolves to the parsed answer (null for 204);
 * rejects with an ApiError for an error answer. A 401 (the session ended: expired, logged out
 * elsewhere, user deactivated) goes to the log-in page.
 */
export function request(method, url, body) {
  var headers = {Accept: 'application/json, application/geo+json'};
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken();
  var form = typeof FormData !== 'undefined' && body instanceof FormData;  // a file upload
  if (body !== undefined && !form) headers['Content-Type'] = 'application/json';
  return fetch(url, {
    method: method,
    headers: headers,
    credentials: 'same-origin',
    body: body === undefined || form ? body : JSON.stringify(body)
  }).then(function (response) {
    if (response.status === 401) logIn(url);
    if (response.status === 204) return null;
    return response.json().then(function (data) {
      if (!response.ok) throw new ApiError(response.status, data);
      return data;
    }, function () {
      throw new ApiError(response.status, null);
    });
  });
}

/** '?a=1&b=2' from an object; null and undefined values are left out ('' when nothing is left). */
export function query(params) {
  var parts = [];
  Object.keys(params || {}).forEach(function (key) {
    if (params[key] !== undefined && params[key] !== null) {
      parts.push(encodeURIComponent(key) + '=' + encodeURIComponent(params[key]));
    }
  });
  return parts.length ? '?' + parts.join('&') : '';
}

/* ------------------------------------------------------------------ DOM and text */

/** A DOM element with a class and text; names from the database cannot inject markup. */
export function el(tag, className, text, parent) {
  var node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (parent) parent.appendChild(node);
  return node;
}

/** A number for people: zh-CN grouping, '–' for none; digits 'pct' shows a share 0..1 in %. */
export function fmt(value, digits) {
  if (value === null || value === undefined || value === '' || isNaN(value)) return '–';
  if (digits === 'pct') return fmt(100 * value, 1) + ' %';
  var d = digits || 0;
  return Number(value).toLocaleString('zh-CN', {minimumFractionDigits: d, maximumFractionDigits: d});
}

var CHINA = null;

function chinaParts(when) {
  CHINA = CHINA || new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23'
  });
  var parts = {};
  CHINA.formatToParts(when).forEach(function (p) { parts[p.type] = p.value; });
  return parts;
}

/** A time in China time, '2026-12-05 09:34' — the twin of gis.chinatime.china_time. */
export function chinaTime(iso) {
  if (!iso) return '';
  var when = new Date(iso);
  if (isNaN(when.getTime())) return String(iso);
  var p = chinaParts(when);
  return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute;
}

/** Today's date in China time, '2026-12-05' (what the server takes as "today"). */
export function chinaDate() {
  var p = chinaParts(new Date());
  return p.year + '-' + p.month + '-' + p.day;
}

/** 'YYYY-MM' of the month before today's (China time): the last month scored whole (考核). */
export function lastMonth() {
  var parts = chinaDate().split('-');
  var year = Number(parts[0]);
  var month = Number(parts[1]) - 1;
  if (month === 0) { year -= 1; month = 12; }
  return year + '-' + (month < 10 ? '0' : '') + month;
}

var tables = null;

/** The Chinese-first label of a code from gis/labels.py (embedded by the page as
 * <script type="application/json" id="gridmap-labels">); short: the Chinese only. */
export function label(vocabulary, code, short) {
  if (code === null || code === undefined) return '';
  if (!tables) {
    var holder = document.getElementById('gridmap-labels');
    tables = holder ? JSON.parse(holder.textContent) : {};
  }
  var table = tables[vocabulary] || {};
  var text = Object.prototype.hasOwnProperty.call(table, code) ? table[code] : String(code);
  return short ? text.split(' ')[0] : text;
}

/* ------------------------------------------------------------------ workload classes */

// Diverging blue → sage → orange-red; checked for deuteranopia, protanopia and tritanopia
// (every pair stays well apart in CIELAB after simulation) and readable under white outlines.
export var CLASSES = [
  {key: 'far-under', zh: '远低于标准', en: 'Far under', color: '#1f5a99'},
  {key: 'under', zh: '低于标准', en: 'Under', color: '#6fa8dc'},
  {key: 'in', zh: '符合标准', en: 'In band', color: '#c9dcb3'},
  {key: 'over', zh: '超出标准', en: 'Over', color: '#f3a65a'},
  {key: 'far-over', zh: '远超标准', en: 'Far over', color: '#c4391d'}
];
/** "Far" means more than 25 % beyond the band's edge. */
export var FAR = 0.25;

/** The server's three statuses (gis.workload.band_status: under/in/over) in the same colours. */
export var BAND_COLORS = {under: CLASSES[1].color, 'in': CLASSES[2].color, over: CLASSES[3].color};

/** Which of CLASSES (index) a workload falls in; the band edges belong to the band, as in
 * gis.workload.band_status (under < low ≤ in ≤ high < over), the far classes 25 % beyond. */
export function classify(workload, band) {
  var low = band[0];
  var high = band[1];
  if (workload < low * (1 - FAR)) return 0;
  if (workload < low) return 1;
  if (workload <= high) return 2;
  if (workload <= high * (1 + FAR)) return 3;
  return 4;
}

/** The range of each class as text, e.g. "225 – 300" (the city map's legend). */
export function classRanges(band) {
  var low = band[0];
  var high = band[1];
  var a = fmt(low * (1 - FAR));
  var b = fmt(high * (1 + FAR));
  return ['< ' + a, a + ' – ' + fmt(low), fmt(low) + ' – ' + fmt(high),
    fmt(high) + ' – ' + b, '> ' + b];
}
