// Đăng nhập: phone number and password. An unknown number and a wrong password get the same answer.

import { ApiError, post } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

export function mount(ctx) {
  const phone = h('input', {
    id: 'phone', name: 'phone', type: 'tel', inputmode: 'tel', autocomplete: 'username', required: true,
    maxlength: 20,
  });
  const password = h('input', {
    id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true,
    maxlength: 200,
  });
  const message = h('p', { class: 'error', role: 'alert', 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'primary', 'data-ui': 'login' });
  const title = h('h2', {});
  const labels = [h('label', { for: 'phone' }), h('label', { for: 'password' })];
  let error = null;

  function relabel() {
    title.textContent = t('login_title');
    labels[0].textContent = t('phone');
    labels[1].textContent = t('password');
    button.textContent = t('login_button');
    message.textContent = error ? t(error.key, error.params) : '';
  }

  async function submit(event) {
    event.preventDefault();
    button.disabled = true;
    error = null;
    try {
      await post('/api/session', { phone: phone.value.trim(), password: password.value });
      password.value = '';
      await ctx.loggedIn();
      return;
    } catch (e) {
      if (!(e instanceof ApiError)) error = { key: 'error' };
      else if (e.status === 429) error = { key: 'login_locked', params: { s: e.retryAfter ?? 60 } };
      else if (e.status === 401 || e.status === 422) error = { key: 'login_failed' };
      else error = { key: 'error' };
    } finally {
      button.disabled = false;
    }
    relabel();
  }

  const form = h('form', { class: 'card form', onsubmit: submit, novalidate: true },
    title, labels[0], phone, labels[1], password, message, button);
  relabel();
  setTimeout(() => phone.focus(), 0);
  return { el: form, relabel, ready: Promise.resolve() };
}
