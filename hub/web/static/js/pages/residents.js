// Người dân (head): invite a resident with a one-time code shown as a QR code (residents here scan QR
// codes every day), see every account, disable one. Every button here changes the hub: data-control.

import { get, post } from '../api.js';
import { formatTime, h } from '../dom.js';
import { t } from '../i18n.js';

export function mount(ctx) {
  const title = h('h2', {});
  const inviteButton = h('button', { type: 'button', class: 'primary spaced', 'data-control': 'invite' });
  const invitePanel = h('section', { class: 'card invite', 'aria-live': 'polite', hidden: true });
  const listTitle = h('h3', {});
  const list = h('ul', { class: 'rows' });
  const root = h('div', {}, title, inviteButton, invitePanel, listTitle, list);
  let users = [];
  let invite = null;

  function renderInvite() {
    invitePanel.hidden = !invite;
    if (!invite) return;
    // The QR code is the hub's own SVG, shown as an image so it can never run anything.
    const src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(invite.qr_svg)}`;
    invitePanel.replaceChildren(
      h('p', {}, t('invite_hint')),
      h('img', { class: 'qr', src, alt: t('invite_qr'), width: 240, height: 240, 'data-qr': '' }),
      h('p', { class: 'code' }, t('invite_code', { code: invite.code })),
      h('p', { class: 'mono link' }, h('a', { href: invite.link, 'data-ui': 'link' }, invite.link)),
      h('p', { class: 'muted' }, t('invite_expires', { t: formatTime(invite.expires_ms) })),
    );
  }

  function renderList() {
    list.replaceChildren(...users.map((u) => h('li', { class: 'row', 'data-user': u.id },
      h('p', { class: 'name' }, u.name, u.id === ctx.me.id ? ` ${t('you')}` : ''),
      h('p', {}, `${u.phone_display} · ${t(`role_${u.role}`)}`),
      u.disabled ? h('p', { class: 'badge bad' }, t('disabled'))
        : u.role === 'resident' ? h('button', {
          type: 'button', class: 'danger', 'data-control': 'disable', onclick: () => disable(u),
        }, t('disable')) : null)));
  }

  function render() {
    title.textContent = t('residents_title');
    inviteButton.textContent = t('invite_button');
    listTitle.textContent = t('accounts');
    renderInvite();
    renderList();
  }

  async function load() {
    users = await get('/api/users');
    renderList();
  }

  async function disable(user) {
    if (!window.confirm(t('disable_confirm', { name: user.name }))) return;
    const updated = await post(`/api/users/${user.id}/disable`);
    users = users.map((u) => (u.id === updated.id ? updated : u));
    renderList();
  }

  inviteButton.addEventListener('click', async () => {
    inviteButton.disabled = true;
    try {
      invite = await post('/api/invites');
      renderInvite();
    } finally {
      inviteButton.disabled = false;
    }
  });

  render();
  return { el: root, ready: load(), relabel: render };
}
