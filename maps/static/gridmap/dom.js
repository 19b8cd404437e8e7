/*
 * Gridmap: what the page scripts share (loaded before each of them).
 *
 * GridmapDom.el(tag, className, text, parent): a DOM element with a class and text. Text is set
 *   as textContent, never through innerHTML, so names from the database cannot inject markup.
 * GridmapDom.fmt(value, digits): a number for people (zh-CN grouping, '–' for none; digits
 *   'pct' shows a share 0..1 as '12.3 %').
 * GridmapDom.chinaTime(iso): a time in China time, '2026-12-05 09:34' — the twin of
 *   gis.chinatime.china_time; whatever the browser's own zone is.
 * GridmapDom.label(vocabulary, code, short): the Chinese-first label of a code, from
 *   gis/labels.py (the page embeds the tables as <script type="application/json"
 *   id="gridmap-labels">); short: the Chinese only, for a phone.
 */
(function () {
  'use strict';

  function el(tag, className, text, parent) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (parent) parent.appendChild(node);
    return node;
  }

  function fmt(value, digits) {
    if (value === null || value === undefined || value === '') return '–';
    if (digits === 'pct') return (100 * value).toFixed(1) + ' %';
    var d = digits || 0;
    return Number(value).toLocaleString('zh-CN', {minimumFractionDigits: d, maximumFractionDigits: d});
  }

  var CHINA = null;

  function chinaTime(iso) {
    if (!iso) return '';
    var when = new Date(iso);
    if (isNaN(when.getTime())) return String(iso);
    CHINA = CHINA || new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23'
    });
    var parts = {};
    CHINA.formatToParts(when).forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + '-' + parts.month + '-' + parts.day + ' ' + parts.hour + ':' + parts.minute;
  }

  var tables = null;

  function label(vocabulary, code, short) {
    if (code === null || code === undefined) return '';
    if (!tables) {
      var holder = document.getElementById('gridmap-labels');
      tables = holder ? JSON.parse(holder.textContent) : {};
    }
    var table = tables[vocabulary] || {};
    var text = Object.prototype.hasOwnProperty.call(table, code) ? table[code] : String(code);
    return short ? text.split(' ')[0] : text;
  }

  window.GridmapDom = {el: el, fmt: fmt, chinaTime: chinaTime, label: label};
})();
