// Camera an ninh: every resident can see whether the cameras at the hamlet's gates are working:
// per camera "hoạt động tốt" or "mất kết nối", and when it was last heard from.

import { get } from '../api.js';
import { formatTime, h } from '../dom.js';
import { t } from '../i18n.js';
import { applyChange, condition, statusText } from '../status.js';

export function mount() {
  const title = h('h2', {});
  const summary = h('p', { class: 'summary' });
  const list = h('ul', { class: 'cards' });
  const root = h('div', {}, title, summary, list);
  let cameras = [];

  function render() {
    title.textContent = t('cameras_title');
    const ok = cameras.filter((c) => condition(c) === 'ok').length;
    summary.textContent = cameras.length ? t('cameras_summary', { ok, n: cameras.length }) : t('cameras_none');
    list.replaceChildren(...cameras.map((camera) => {
      const c = condition(camera);
      return h('li', { class: 'card camera', 'data-camera': camera.id, 'data-state': c },
        h('p', { class: 'name' }, camera.name),
        h('p', { class: `badge ${c === 'ok' ? 'ok' : 'bad'}` }, statusText(camera)),
        h('p', { class: 'muted' }, t('last_seen', { t: formatTime(camera.last_seen_ms) ?? t('never') })));
    }));
  }

  async function load() {
    cameras = await get('/api/devices?kind=camera');
    render();
  }

  function onDevices(changes) {
    let touched = false;
    for (const change of changes) {
      const camera = cameras.find((c) => c.id === change.id);
      if (camera) { applyChange(camera, change); touched = true; }
    }
    if (touched) render();
  }

  title.textContent = t('cameras_title');
  return { el: root, ready: load(), relabel: render, devices: onDevices };
}
