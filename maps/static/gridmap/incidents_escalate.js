/*
 * Gridmap incident map: escalating an incident the 吹哨报到 loop cannot close (sent back,
 * overdue, escalated) to a need (社区派单; staff who dispatch needs) or to a council topic (议事协商;
 * the community's party committee). The link runs both ways: the incident then names what it
 * became (转为), the need or the council names the incident.
 *
 * POST /councils/escalate/{code} — the API refuses an incident still moving in its loop, or one
 * escalated already (409, shown under the buttons); nothing changes then.
 *
 * Plain ES2017 without optional chaining.
 */

import {chinaDate, request} from './common.js';
import {el} from './incidents_state.js';

function inAWeek() {
  var day = new Date(chinaDate() + 'T00:00:00Z');
  day.setUTCDate(day.getUTCDate() + 7);
  return day.toISOString().slice(0, 10);
}

/** The escalation block of one incident (nothing when the user may do neither, or when the
 * incident was escalated already or is closed). ``reload`` redraws the incident after. */
export function escalatePanel(ic, it, pane, reload) {
  var a = ic.config.abilities;
  if (!(a.toNeed || a.toCouncil) || (it.escalated_to || []).length || it.state === 'evaluated') {
    return;
  }
  var section = el('section', {'class': 'gi-merge', 'data-testid': 'escalate'});
  section.appendChild(el('h3', {}, '转出 Escalate（吹哨报到无法办结时）'));
  var status = el('p', {'class': 'gi-status', 'role': 'status', 'data-testid': 'escalate-status'});
  function send(body) {
    return request('POST', '/councils/escalate/' + encodeURIComponent(it.code), body)
      .then(function (made) {
        return reload().then(function () {  // the pane is redrawn: say it below the facts
          document.querySelector('[data-testid="detail"]').appendChild(el('p', {
            'class': 'gi-status gi-ok', 'role': 'status', 'data-testid': 'escalate-result'
          }, '已转为' + (made.kind === 'need' ? '需求 ' : '议题 ') + made.code));
        });
      }).catch(function (err) { status.textContent = err.message; });
  }
  if (a.toNeed) {
    var kind = el('select', {'data-testid': 'escalate-kind'});
    var kinds = ic.config.needKinds;
    Object.keys(kinds).forEach(function (k) {
      kind.appendChild(el('option', {'value': k}, kinds[k].split(' ')[0]));
    });
    var due = el('input', {'type': 'date', 'data-testid': 'escalate-due', 'value': inAWeek()});
    var toNeed = el('button', {'type': 'button', 'data-testid': 'escalate-need'},
      '转为需求 To a need');
    toNeed.addEventListener('click', function () {
      send({to: 'need', kind: kind.value, due_on: due.value});
    });
    [kind, due, toNeed].forEach(function (n) { section.appendChild(n); });
  }
  if (a.toCouncil) {
    var toCouncil = el('button', {'type': 'button', 'data-testid': 'escalate-council'},
      '提请议事 To a council');
    toCouncil.addEventListener('click', function () { send({to: 'council'}); });
    section.appendChild(toCouncil);
  }
  section.appendChild(status);
  pane.appendChild(section);
}
