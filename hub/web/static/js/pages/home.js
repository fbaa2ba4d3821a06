// Trang chủ: what matters now, in a few big numbers from GET /api/home (never the whole device list:
// this is the first screen on a weak 4G signal). Live changes refresh the figures, at most every 2 s.

import { get } from '../api.js';
import { h, throttle } from '../dom.js';
import { t } from '../i18n.js';

// Residents look for the cameras first.
const ORDER = {
  resident: ['cameras', 'lights', 'bulletin', 'offline', 'faults'],
  head: ['lights', 'faults', 'offline', 'bulletin', 'cameras'],
  technician: ['offline', 'faults', 'lights', 'cameras', 'bulletin'],
};

const TILES = {
  lights: { label: 'lights_on', value: (s) => t('of', { a: s.lights_on, b: s.lights_total }) },
  faults: { label: 'faults', value: (s) => (s.faults == null ? '—' : String(s.faults)), bad: (s) => s.faults > 0 },
  offline: { label: 'devices_offline', value: (s) => String(s.devices_offline), bad: (s) => s.devices_offline > 0 },
  bulletin: { label: 'next_bulletin', value: (s) => s.next_bulletin ?? t('not_yet'), small: true, href: '#/broadcasts' },
  cameras: {
    label: 'cameras_ok', value: (s) => t('of', { a: s.cameras_ok, b: s.cameras_total }),
    bad: (s) => s.cameras_ok < s.cameras_total, href: '#/cameras',
  },
};

export function mount(ctx) {
  const grid = h('div', { class: 'tiles' });
  const account = h('section', { class: 'card account' });
  const root = h('div', { class: 'home' }, grid, account);
  let summary = null;

  function render() {
    const order = ORDER[ctx.me.role] || ORDER.resident;
    grid.replaceChildren(...(summary ? order.map((key) => tile(key, summary)) : [h('p', {}, t('loading'))]));
    account.replaceChildren(
      h('p', { class: 'hello' }, t('hello', { name: ctx.me.name })),
      h('p', { class: 'muted' }, t(`role_${ctx.me.role}`)),
      h('button', { type: 'button', class: 'secondary', 'data-ui': 'logout', onclick: () => ctx.logout() },
        t('logout')),
    );
  }

  async function load() {
    summary = await get('/api/home');
    ctx.setSiteName(summary.site_name);
    render();
  }

  render();
  const refresh = throttle(() => load().catch(() => {}), 2000);
  return { el: root, ready: load(), relabel: render, devices: refresh };
}

function tile(key, summary) {
  const spec = TILES[key];
  const bad = spec.bad ? spec.bad(summary) : false;
  const body = [
    h('span', { class: spec.small ? 'value small' : 'value', 'data-value': key }, spec.value(summary)),
    h('span', { class: 'label' }, t(spec.label)),
  ];
  const attrs = { class: bad ? 'tile bad' : 'tile', 'data-tile': key };
  return spec.href ? h('a', { ...attrs, href: spec.href, 'data-ui': 'nav' }, body) : h('div', attrs, body);
}
