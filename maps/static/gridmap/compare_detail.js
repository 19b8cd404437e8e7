/*
 * Gridmap scenarios page: one scenario in detail: its downloads, the 多网合一 figures, the
 * crosswalk (filterable), the impact on a community, its comments (compare_comments.js) and
 * adopting it as the unified layer.
 */

import {fmt, request} from './common.js';
import {loadComments, shareButton} from './compare_comments.js';
import {loadList} from './compare_list.js';
import {$, el, showError, state} from './compare_state.js';

export function showDetail(id) {
  return Promise.all([
    request('GET', '/scenarios/' + id),
    request('GET', '/scenarios/' + id + '/crosswalk')
  ]).then(function (got) {
    var s = got[0], xw = got[1];
    $('#detail').hidden = false;
    $('#detail').setAttribute('data-scenario', String(id));
    $('#detail-name').textContent = s.name + ' #' + s.id;
    var links = $('#detail-links');
    links.textContent = '';
    var add = function (href, text) {
      links.appendChild(el('a', {href: href, text: text}));
      links.appendChild(document.createTextNode(' · '));
    };
    add('/scenarios/' + id + '/report', '打印报告 Printable report');
    add('/scenarios/' + id + '/crosswalk?format=csv', '对照表 CSV');
    add('/scenarios/' + id + '/crosswalk?format=xlsx', '对照表 XLSX');
    ['gpkg', 'shp', 'xlsx'].forEach(function (f) {
      add('/layers/' + encodeURIComponent(s.layer) + '/export?format=' + f, '导出 ' + f.toUpperCase());
    });
    shareButton(id, links);
    renderFigures(xw.figures);
    state.crosswalkRows = xw.rows;
    renderCrosswalk();
    $('#adopt-btn').disabled = s.state !== 'done';
    $('#adopt-result').textContent = s.adoption ? followUp(s.adoption) : '';
    return loadComments(id);
  }, showError);
}

function renderFigures(f) {
  var holder = $('#figures');
  holder.textContent = '';
  var table = el('table', {class: 'cmp-table cmp-small'});
  table.appendChild(el('tr', {}, [el('th'), el('th', {text: '网格 Grids'}),
    el('th', {text: '户/网格 Households/grid'})]));
  f.before.departments.forEach(function (d) {
    table.appendChild(el('tr', {}, [el('th', {text: d.name}), el('td', {text: fmt(d.grids, 0)}),
      el('td', {text: fmt(d.households_per_grid, 1)})]));
  });
  table.appendChild(el('tr', {class: 'cmp-total'}, [el('th', {text: '合并前 Before (total)'}),
    el('td', {text: fmt(f.before.grids, 0), 'data-testid': 'grids-before'}),
    el('td', {text: fmt(f.before.households_per_grid, 1)})]));
  table.appendChild(el('tr', {class: 'cmp-total'}, [el('th', {text: '方案 After'}),
    el('td', {text: fmt(f.after.grids, 0), 'data-testid': 'grids-after'}),
    el('td', {text: fmt(f.after.households_per_grid, 1)})]));
  holder.appendChild(table);
  holder.appendChild(el('p', {text: '需网格员（每格一人）Grid workers needed: ' +
    fmt(f.after.grid_workers, 0) + '（合并前 before ' + fmt(f.before.grid_workers, 0) + '）'}));
}

export function renderCrosswalk() {
  var filter = $('#xwalk-filter').value.trim();
  var table = $('#detail table[data-testid="crosswalk"]');
  var head = table.querySelector('thead');
  head.textContent = '';
  head.appendChild(el('tr', {}, ['部门 Layer', '原网格 Grid', '新网格 New grid', '户数 Households',
    '户数占比 Share', '面积占比 Area share'].map(function (t) { return el('th', {text: t}); })));
  var body = table.querySelector('tbody');
  body.textContent = '';
  var rows = state.crosswalkRows.filter(function (r) {
    return !filter || r.d_code.indexOf(filter) >= 0 || r.s_code.indexOf(filter) >= 0;
  });
  rows.slice(0, 300).forEach(function (r) {
    body.appendChild(el('tr', {}, [el('td', {text: r.layer}), el('td', {text: r.d_code}),
      el('td', {text: r.s_code}), el('td', {text: fmt(r.households, 0)}),
      el('td', {text: fmt(r.households_share, 'pct')}), el('td', {text: fmt(r.area_share, 'pct')})]));
  });
  if (rows.length > 300) {
    body.appendChild(el('tr', {}, [el('td', {colspan: '6',
      text: '… ' + (rows.length - 300) + ' more: 下载 CSV/XLSX download'})]));
  }
}

export function onImpact(event) {
  event.preventDefault();
  var id = $('#detail').getAttribute('data-scenario');
  var code = event.target.community.value.trim();
  request('GET', '/scenarios/' + id + '/impact?community=' + encodeURIComponent(code))
    .then(function (r) {
      var holder = $('#impact');
      holder.textContent = '';
      holder.appendChild(el('p', {text: r.community.name + ': ' + r.buildings.length +
        ' 栋楼 buildings, ' + r.buildings_moved + ' 换网格 change grid'}));
      var people = el('table', {class: 'cmp-table cmp-small'});
      people.appendChild(el('tr', {}, ['人员 Person', '角色 Role', '原网格 Before', '新网格 After',
        '楼栋 Buildings', '+', '−'].map(function (t) { return el('th', {text: t}); })));
      r.people.forEach(function (p) {
        people.appendChild(el('tr', {}, [p.person, p.role, p.grid_before, p.grid_after || '–',
          p.buildings_before + ' → ' + p.buildings_after, '+' + p.gained, '−' + p.lost]
          .map(function (t) { return el('td', {text: String(t)}); })));
      });
      holder.appendChild(people);
      if (r.leaders && r.leaders.length) {
        var leaders = el('div', {'data-testid': 'impact-leaders'});
        leaders.appendChild(el('p', {text: '网格合并后的网格长 Grid leaders after merging:'}));
        r.leaders.forEach(function (d) { leaders.appendChild(el('p', {text: d.text})); });
        holder.appendChild(leaders);
      }
      var moved = el('table', {class: 'cmp-table cmp-small'});
      moved.appendChild(el('tr', {}, ['楼栋 Building', '户 Households', '原网格 Before',
        '新网格 After'].map(function (t) { return el('th', {text: t}); })));
      r.buildings.filter(function (b) { return b.grid_before !== b.grid_after; })
        .forEach(function (b) {
          moved.appendChild(el('tr', {}, [b.name + ' ' + b.code, b.households, b.grid_before || '–',
            b.grid_after || '–'].map(function (t) { return el('td', {text: String(t)}); })));
        });
      holder.appendChild(moved);
    }, showError);
}

var FOLLOW_UP = {
  grids_without_leader: '无网格长的网格 Grids without a leader',
  assignments_without_grid: '待处理任命 Assignments without a grid',
  field_workers_without_grid: '无网格的网格员 Field workers without a grid',
  assignments_archived: '因网格合并归档 Archived by the merge (网格合并)'
};

function followUp(adoption) {
  var f = adoption.follow_up || {};
  return ['已采纳 Adopted: 统一网格第 ' + adoption.unified_version + ' 版'].concat(
    Object.keys(FOLLOW_UP).map(function (k) {
      return FOLLOW_UP[k] + ': ' + (f[k] || []).length;
    })).join(' · ');
}

export function onAdopt() {
  var id = $('#detail').getAttribute('data-scenario');
  if (!window.confirm('采纳后该方案成为统一网格。确定？ Adopt this scenario as the unified layer?')) {
    return;
  }
  request('POST', '/scenarios/' + id + '/adopt').then(function (s) {
    $('#adopt-result').textContent = followUp(s.adoption);
    loadList();
  }, function (err) {
    $('#adopt-result').textContent = '未采纳 not adopted (' + err.status + '): ' + err.message;
  });
}
