// Thiết bị (technician): the rejected messages first (they point at a misbehaving device), then every
// device with its status, when it was last seen, and a 24-hour sparkline of one telemetry field, fetched
// only when its row scrolls into view (a weak signal should not pay for rows nobody looks at).

import { get, getAll } from '../api.js';
import { formatTime, h, s } from '../dom.js';
import { t, tOr } from '../i18n.js';
import { applyChange, condition, statusText } from '../status.js';

const SPARK_FIELD = { light: 'power_w', speaker: 'amp_temp_c', camera: 'fps' };
const KINDS = ['all', 'light', 'speaker', 'camera'];
const MAX_PARALLEL = 3;

export function mount() {
  const dead = h('section', { class: 'card dead' });
  const filters = h('div', { class: 'filters', role: 'group' });
  const count = h('p', { class: 'summary' });
  const list = h('ul', { class: 'rows' });
  const title = h('h2', {});
  const root = h('div', {}, title, dead, filters, count, list);
  let devices = [];
  let letters = null;
  let kind = 'all';
  const series = new Map(); // id -> points, fetched once
  const rows = new Map(); // id -> its <li>, to update one row on a live change
  const queue = [];
  let running = 0;

  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      observer.unobserve(entry.target);
      queue.push(entry.target);
    }
    pump();
  }, { rootMargin: '100px' });

  function pump() {
    while (running < MAX_PARALLEL && queue.length) {
      const slot = queue.shift();
      const { id, kind: k } = slot.dataset;
      running += 1;
      get(`/api/devices/${encodeURIComponent(id)}/telemetry?field=${SPARK_FIELD[k]}`)
        .then((data) => { series.set(id, data.points); fillSpark(slot, k, data.points); })
        .catch(() => {})
        .finally(() => { running -= 1; pump(); });
    }
  }

  function renderDead() {
    if (!letters) { dead.replaceChildren(h('p', { class: 'muted' }, t('loading'))); return; }
    const reasons = Object.entries(letters.counts);
    dead.replaceChildren(
      h('h3', {}, t('dead_title')),
      h('p', {}, letters.total ? t('dead_total', { n: letters.total }) : t('dead_none')),
      reasons.length ? h('ul', { class: 'counts' }, reasons.map(([reason, n]) =>
        h('li', { 'data-reason': reason }, `${tOr(`reason_${reason}`, reason)}: ${n}`))) : null,
      h('ul', { class: 'letters' }, letters.letters.slice(0, 20).map((l) => h('li', {},
        h('p', {}, h('b', {}, tOr(`reason_${l.reason}`, l.reason)), ` · ${formatTime(l.received_ms)}`),
        // What the hub recorded, as written: the detail names the refused field in the contract's terms.
        h('p', { class: 'detail', 'data-raw': '' }, l.detail),
        h('p', { class: 'mono' }, `${t('dead_topic')}: `, h('span', { 'data-raw': '' }, l.topic)),
        h('p', { class: 'mono' }, `${t('dead_payload')}: `, h('span', { 'data-raw': '' }, l.payload_preview))))),
    );
  }

  function renderFilters() {
    filters.replaceChildren(...KINDS.map((k) => h('button', {
      type: 'button', class: 'chip', 'data-ui': 'filter', 'aria-pressed': String(k === kind),
      onclick: () => { kind = k; renderFilters(); renderList(); },
    }, k === 'all' ? t('filter_all') : t(`kind_${k}`))));
  }

  function row(d, spark) {
    return h('li', { class: 'row', 'data-device': d.id, 'data-state': condition(d) },
      h('p', { class: 'name' }, d.name, ' ', h('span', { class: 'muted mono', 'data-raw': '' }, d.id)),
      h('p', { class: `status ${condition(d)}` }, `${t(`kind_${d.kind}`)} · ${statusText(d)}`),
      h('p', { class: 'muted' }, t('last_seen', { t: formatTime(d.last_seen_ms) ?? t('never') })),
      spark);
  }

  function renderCount() {
    const shown = devices.filter((d) => kind === 'all' || d.kind === kind);
    count.textContent = t('count_devices', { n: shown.length, off: shown.filter((d) => !d.online).length });
    return shown;
  }

  function renderList() {
    observer.disconnect();
    queue.length = 0;
    rows.clear();
    list.replaceChildren(...renderCount().map((d) => {
      const spark = h('div', { class: 'spark', 'data-id': d.id, 'data-kind': d.kind });
      if (series.has(d.id)) fillSpark(spark, d.kind, series.get(d.id));
      else observer.observe(spark);
      const li = row(d, spark);
      rows.set(d.id, li);
      return li;
    }));
  }

  function render() {
    title.textContent = t('devices_title');
    renderDead();
    renderFilters();
    renderList();
  }

  async function load() {
    const [list, dl] = await Promise.all([getAll('/api/devices'), get('/api/dead-letters?limit=20')]);
    devices = list;
    letters = dl;
    render();
  }

  function onDevices(changes) {
    const byId = new Map(devices.map((d) => [d.id, d]));
    for (const change of changes) {
      const device = byId.get(change.id);
      if (!device) continue;
      applyChange(device, change);
      const old = rows.get(change.id);
      if (old) {
        const fresh = row(device, old.querySelector('.spark'));
        old.replaceWith(fresh);
        rows.set(change.id, fresh);
      }
    }
    renderCount();
  }

  render();
  return { el: root, ready: load(), relabel: render, devices: onDevices, destroy: () => observer.disconnect() };
}

function fillSpark(slot, kind, points) {
  const values = points.map((p) => p.value).filter((v) => v != null);
  const label = h('span', { class: 'muted' }, t(`spark_${SPARK_FIELD[kind]}`));
  if (!values.length) {
    slot.replaceChildren(label, h('span', { class: 'muted' }, ` · ${t('spark_none')}`));
    return;
  }
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  const step = 120 / Math.max(points.length - 1, 1);
  const coords = points.flatMap((p, i) => (p.value == null ? [] : [`${(i * step).toFixed(1)},${(28 - ((p.value - lo) / span) * 24).toFixed(1)}`]));
  slot.replaceChildren(
    s('svg', { viewBox: '0 0 120 32', class: 'sparkline', 'aria-hidden': 'true' }, s('polyline', { points: coords.join(' ') })),
    label,
  );
}
