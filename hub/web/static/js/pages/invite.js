// #/invite/{code}: a resident opens the head's invite link (or scans its QR code) and makes an account.
// The code stays in the URL fragment, which the browser never sends to any server log.

import { ApiError, post } from '../api.js';
import { h } from '../dom.js';
import { lang, t } from '../i18n.js';

export function mount(ctx, args) {
  const code = args[0] || '';
  const field = (id, attrs) => [h('label', { for: id }), h('input', { id, name: id, required: true, ...attrs })];
  const [nameLabel, name] = field('name', { autocomplete: 'name', maxlength: 80 });
  const [phoneLabel, phone] = field('phone', { type: 'tel', inputmode: 'tel', autocomplete: 'username', maxlength: 20 });
  const [passwordLabel, password] = field('password', { type: 'password', autocomplete: 'new-password', minlength: 8, maxlength: 200 });
  const title = h('h2', {});
  const message = h('p', { class: 'error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary', 'data-ui': 'join' });
  let error = null;

  function relabel() {
    title.textContent = t('join_title');
    nameLabel.textContent = t('full_name');
    phoneLabel.textContent = t('phone');
    passwordLabel.textContent = t('new_password');
    button.textContent = t('join_button');
    message.textContent = error ? t(error) : '';
  }

  async function submit(event) {
    event.preventDefault();
    button.disabled = true;
    error = null;
    try {
      await post(`/api/invites/${encodeURIComponent(code)}/accept`, {
        phone: phone.value.trim(), name: name.value.trim(), password: password.value, language: lang(),
      });
      password.value = '';
      location.hash = '#/home';
      await ctx.loggedIn(); // accepting the invite also logs the new resident in
      return;
    } catch (e) {
      const status = e instanceof ApiError ? e.status : 0;
      error = { 404: 'join_invalid', 410: 'join_invalid', 409: 'join_taken', 422: 'join_check' }[status] ?? 'error';
    } finally {
      button.disabled = false;
    }
    relabel();
  }

  const form = h('form', { class: 'card form', onsubmit: submit, novalidate: true },
    title, nameLabel, name, phoneLabel, phone, passwordLabel, password, message, button);
  relabel();
  return { el: form, relabel, ready: Promise.resolve() };
}
