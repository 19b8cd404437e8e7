/*
 * Gridmap scenarios page: comments on the scenario in detail, and on its grids (who, when,
 * what); the same list is printed in the scenario's report. And its read-only link: anyone
 * logged in whose scope holds the scenario's area can open the report through it.
 */

import {chinaTime, request} from './common.js';
import {$, el} from './compare_state.js';

/** The scenario's comments, oldest first. */
export function loadComments(id) {
  return request('GET', '/scenarios/' + id + '/comments').then(function (list) {
    var holder = $('#comments');
    holder.textContent = '';
    if (!list.length) holder.appendChild(el('li', {class: 'cmp-muted', text: '还没有意见 No comments yet'}));
    list.forEach(function (c) {
      holder.appendChild(el('li', {}, [
        el('strong', {text: c.grid_code || '整个方案 whole plan'}),
        el('span', {class: 'cmp-muted', text: ' · ' + c.author + ' · ' + chinaTime(c.created_at) + '：'}),
        el('span', {text: c.body})
      ]));
    });
  });
}

/** Post the form's comment on the scenario in detail. */
export function onComment(event) {
  event.preventDefault();
  var f = event.target;
  var id = $('#detail').getAttribute('data-scenario');
  var body = {body: f.body.value};
  if (f.grid.value.trim()) body.grid = f.grid.value.trim();
  var msg = $('#comment-msg');
  msg.className = 'cmp-msg';
  msg.textContent = '…';
  request('POST', '/scenarios/' + id + '/comments', body).then(function () {
    f.body.value = '';
    msg.textContent = '';
    return loadComments(id);
  }, function (err) {
    msg.className = 'cmp-msg cmp-error';
    msg.textContent = '错误 Error: ' + err.message;
  });
}

/** A button that makes a read-only link to the report and shows it, ready to copy. */
export function shareButton(id, parent) {
  var button = el('button', {type: 'button', 'data-testid': 'share',
    text: '分享只读链接 Share read-only link'});
  var out = el('input', {type: 'text', readonly: 'readonly', class: 'cmp-share',
    'data-testid': 'share-link', hidden: 'hidden'});
  button.addEventListener('click', function () {
    request('POST', '/scenarios/' + id + '/shares', {}).then(function (made) {
      out.value = window.location.origin + made.path;
      out.hidden = false;
      out.title = '30 天内有效 valid for 30 days';
      out.select();
    }, function (err) { out.hidden = false; out.value = '错误 Error: ' + err.message; });
  });
  parent.appendChild(button);
  parent.appendChild(out);
}
