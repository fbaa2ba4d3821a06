// An operator's card of open faults, shared by the street-lights and the loudspeakers pages so the two read
// alike: each fault in the hamlet's words with the time it opened, and a big "Đã xem" that marks it seen
// (the fault stays listed until its cause clears). The page loads the list and reloads it on its live fault
// event; the card keeps the seen marks it posts.

import { ApiError, post } from './api.js';
import { formatTime, h } from './dom.js';
import { lang, t } from './i18n.js';

const text = (vi, en) => (lang() === 'vi' || !en ? vi : en);

/** `el`: the card's section; `title`, `none`: i18n keys; `seenUrl(id)`: the fault's POST .../seen. */
export function faultCard(el, { title, none, seenUrl }) {
  let faults = [];

  async function seen(fault, button) {
    button.disabled = true;
    try {
      const updated = await post(seenUrl(fault.id));
      faults = faults.map((f) => (f.id === updated.id ? updated : f));
    } catch (error) {
      if (!(error instanceof ApiError)) console.error(error);
    }
    render();
  }

  function row(f) {
    const li = h('li', { class: 'row fault', 'data-fault': f.id },
      h('p', { class: 'name' }, text(f.vi, f.en)),
      h('p', { class: 'muted' }, t('fault_since', { t: formatTime(f.opened_ms) })));
    if (f.seen_ms != null) li.append(h('p', { class: 'status ok' }, t('fault_seen', { t: formatTime(f.seen_ms) })));
    else {
      const button = h('button', { type: 'button', class: 'secondary', 'data-control': 'seen' }, t('fault_seen_button'));
      button.addEventListener('click', () => seen(f, button));
      li.append(button);
    }
    return li;
  }

  function render() {
    const open = faults.filter((f) => f.closed_ms == null);
    el.replaceChildren(h('h2', {}, t(title)),
      open.length === 0 ? h('p', { class: 'muted' }, t(none)) : h('ul', { class: 'rows' }, open.map(row)));
  }

  return {
    /** A new list from the hub (shown on the next render). */
    set(list) { faults = list; },
    render,
  };
}
