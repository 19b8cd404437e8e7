/*
 * The projects list (项目清单) on the needs page: every project in the viewer's scope with its
 * paired unit and progress, one project's needs (each opens the need); and, for community staff
 * on a chosen need, the project it belongs to, or the community's projects to add it to, or a
 * new project that one of the community's paired units funds or runs, with the need in it.
 *
 * Data: GET projects, needs/{code}/takers?limit=50 (the community's paired units); changes:
 * POST projects, POST projects/{code}/needs — the API checks the permission, the scope and the
 * rules again (a unit not paired with the community → 422, a need in another project → 409).
 *
 * Plain ES2017 without optional chaining.
 */

import {el, fmt, query as q, request} from './common.js';

var API = '../projects';
var ROLES = {funds: '出资', runs: '承办'};

function button(parent, text, testid, onClick) {
  var b = el('button', 'gn-quiet', text, parent);
  b.type = 'button';
  b.setAttribute('data-testid', testid);
  b.addEventListener('click', onClick);
  return b;
}

/** One project's facts and needs in the projects section. */
function showProject(nd, project) {
  var box = document.querySelector('[data-testid="project-detail"]');
  box.hidden = false;
  box.textContent = '';
  el('h3', '', project.name, box);
  el('p', '', project.community_name + ' · ' + project.unit_name + ' ' +
    (ROLES[project.role] || project.role) + ' · 完成 ' + project.done + ' / ' + project.needs +
    '（' + fmt(project.progress, 'pct') + '）', box);
  if (project.description) el('p', 'gn-score', project.description, box);
  var needs = el('div', 'gn-actions', null, box);
  needs.setAttribute('data-testid', 'project-needs');
  project.need_codes.forEach(function (code) {
    button(needs, code, 'project-need-' + code, function () { nd.selectNeed(code); });
  });
}

function drawProjects(nd) {
  var list = document.querySelector('[data-testid="projects"]');
  list.textContent = '';
  nd.projects.forEach(function (p) {
    var li = el('li', '', null, list);
    li.setAttribute('data-testid', 'project-' + p.code);
    el('span', 'gn-title', p.name, li);
    el('span', '', p.unit_name + (ROLES[p.role] || '') + ' · ' + p.done + '/' + p.needs, li);
    li.addEventListener('click', function () { showProject(nd, p); });
  });
  document.querySelector('[data-testid="project-count"]').textContent = fmt(nd.projects.length);
}

/** The projects in scope, listed (a Promise). */
export function loadProjects(nd) {
  return request('GET', API).then(function (doc) {
    nd.projects = doc.items;
    drawProjects(nd);
    return nd.projects;
  });
}

function added(nd, need, project, message) {
  return loadProjects(nd).then(function () {
    showProject(nd, project);
    projectActions(nd, need);
    nd.say(message);
  });
}

function addTo(nd, need, code) {
  return request('POST', API + '/' + encodeURIComponent(code) + '/needs', {needs: [need.code]})
    .then(function (project) { return added(nd, need, project, '已加入项目：' + project.name); })
    .catch(function (e) { nd.say(e.message, true); });
}

/** The form of a new project of the need's community: a name, one of its paired units, and
 * whether the unit funds or runs it; the need goes in at once. */
function newProjectForm(nd, need, box) {
  var form = el('form', 'gc-form', null, box);
  form.setAttribute('data-testid', 'project-form');
  var name = el('input', '', null, el('label', '', '项目名称 ', form));
  name.name = 'name';
  name.required = true;
  name.setAttribute('data-testid', 'project-name');
  var unit = el('select', '', null, el('label', '', '结对单位 ', form));
  unit.setAttribute('data-testid', 'project-unit');
  var role = el('select', '', null, el('label', '', '角色 ', form));
  role.setAttribute('data-testid', 'project-role');
  Object.keys(ROLES).forEach(function (r) { el('option', '', ROLES[r], role).value = r; });
  var submit = el('button', '', '新建并加入 Create', form);
  submit.type = 'submit';
  submit.setAttribute('data-testid', 'project-create');
  var takers = '../needs/' + encodeURIComponent(need.code) + '/takers';
  request('GET', takers + q({limit: 50})).then(function (ranking) {
    ranking.takers.filter(function (t) { return t.kind === 'unit'; }).forEach(function (t) {
      el('option', '', t.name, unit).value = t.taker.split(':')[1];
    });
  }).catch(function (e) { nd.say(e.message, true); });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var body = {code: 'XM' + Date.now().toString(36).toUpperCase(), name: name.value,
      unit: unit.value, community: need.community_code, role: role.value};
    request('POST', API, body).then(function (project) {
      return addTo(nd, need, project.code);
    }).catch(function (e) { nd.say(e.message, true); });
  });
}

/** For community staff: the chosen need's project, or how to put it in one. */
export function projectActions(nd, need) {
  var box = document.querySelector('[data-testid="project-actions"]');
  box.textContent = '';
  if (!nd.config.canDispatch) return;
  var mine = nd.projects.filter(function (p) { return p.need_codes.indexOf(need.code) >= 0; });
  if (mine.length) {
    el('p', '', '所属项目：' + mine[0].name, box).setAttribute('data-testid', 'need-project');
    return;
  }
  var here = nd.projects.filter(function (p) { return p.community_code === need.community_code; });
  if (here.length) {
    var pick = el('select', '', null, box);
    pick.setAttribute('data-testid', 'project-pick');
    here.forEach(function (p) { el('option', '', p.name, pick).value = p.code; });
    button(box, '加入项目 Add to project', 'project-add', function () {
      addTo(nd, need, pick.value);
    });
  }
  newProjectForm(nd, need, box);
}
