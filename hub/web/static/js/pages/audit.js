// Nhật ký thao tác (head, technician): who did what to what, when, and how it ended, newest first.

import { get } from '../api.js';
import { formatTime, h } from '../dom.js';
import { t, tOr } from '../i18n.js';

const OUTCOME = { ok: 'outcome_ok', denied: 'outcome_denied', failed: 'outcome_failed', limited: 'outcome_denied' };

export function mount() {
  const title = h('h2', {});
  const list = h('ul', { class: 'rows' });
  const root = h('div', {}, title, list);
  let items = null;

  function render() {
    title.textContent = t('title_audit');
    if (!items) { list.replaceChildren(h('li', { class: 'muted' }, t('loading'))); return; }
    if (!items.length) { list.replaceChildren(h('li', { class: 'muted' }, t('audit_none'))); return; }
    list.replaceChildren(...items.map((e) => h('li', { class: 'row', 'data-audit': e.id },
      h('p', { class: 'name' }, tOr(`act_${e.action.replaceAll('.', '_')}`, e.action), ' · ',
        h('span', { class: `badge ${e.outcome === 'ok' ? 'ok' : 'bad'}` }, tOr(OUTCOME[e.outcome], e.outcome))),
      h('p', {}, who(e)),
      // Target and detail are the hub's own record, shown as written (data, not interface text).
      h('p', { class: 'mono', 'data-raw': '' }, e.target),
      e.detail ? h('p', { class: 'muted', 'data-raw': '' }, e.detail) : null,
      h('p', { class: 'muted' }, formatTime(e.ts_ms)))));
  }

  async function load() {
    items = (await get('/api/audit?limit=100')).items;
    render();
  }

  render();
  return { el: root, ready: load(), relabel: render };
}

function who(entry) {
  if (!entry.actor) return t('anonymous');
  // The actor is who the hub recorded (a phone number, or "cli" for the command line): shown as written.
  const actor = h('span', { 'data-raw': '' }, entry.actor);
  return entry.role ? [actor, ` (${tOr(`role_${entry.role}`, entry.role)})`] : actor;
}
