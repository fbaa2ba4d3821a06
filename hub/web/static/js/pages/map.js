// Bản đồ: the hamlet drawn from the site inventory (GET /api/site): roads and alleys as lines, every
// device as a dot coloured by state (GET /api/devices?view=map, then live changes). Lights are circles, speakers
// squares, cameras triangles. Tap a dot for its name and status.

import { get, getAll } from '../api.js';
import { formatTime, h, s } from '../dom.js';
import { t } from '../i18n.js';
import { applyChange, condition, statusText } from '../status.js';

const M_PER_DEG = 111_320;

export function mount() {
  const figure = h('div', { class: 'map-frame' });
  const info = h('div', { class: 'card map-info', 'aria-live': 'polite' });
  const legend = h('ul', { class: 'legend' });
  const root = h('div', { class: 'map-page' }, figure, info, h('section', {}, legend));
  const devices = new Map(); // id -> {device, node, x, y}
  let reach = 0; // a tap's reach in map units: dots closer than this to the tapped one are shown with it
  let selected = [];

  function describe(d) {
    return h('div', { class: 'pick', 'data-pick': d.id },
      h('p', { class: 'name' }, d.name),
      h('p', { class: `status ${condition(d)}`, 'data-status': condition(d) }, `${t(`kind_${d.kind}`)} · ${statusText(d)}`),
      h('p', { class: 'muted' }, t('last_seen', { t: formatTime(d.last_seen_ms) ?? t('never') })));
  }

  function showInfo() {
    const picked = selected.map((id) => devices.get(id)?.device).filter(Boolean);
    info.replaceChildren(...(picked.length ? picked.map(describe) : [h('p', { class: 'muted' }, t('map_hint'))]));
  }

  // Devices a few metres apart (two cameras on one gate) overlap on a phone: a tap shows every one in reach.
  function select(id) {
    for (const old of selected) devices.get(old)?.node.classList.remove('selected');
    const hit = devices.get(id);
    const near = [...devices.values()].filter((e) => e !== hit && Math.hypot(e.x - hit.x, e.y - hit.y) <= reach);
    near.sort((a, b) => Math.hypot(a.x - hit.x, a.y - hit.y) - Math.hypot(b.x - hit.x, b.y - hit.y));
    selected = [hit, ...near.slice(0, 3)].map((e) => e.device.id);
    for (const sid of selected) devices.get(sid).node.classList.add('selected');
    showInfo();
  }

  function relabel() {
    figure.firstChild?.setAttribute('aria-label', t('map_label'));
    for (const { device, node } of devices.values()) node.setAttribute('aria-label', `${device.name}: ${statusText(device)}`);
    legend.replaceChildren(...legendItems());
    legend.setAttribute('aria-label', t('legend'));
    showInfo();
  }

  async function load() {
    const [site, list] = await Promise.all([get('/api/site'), getAll('/api/devices?view=map')]);
    const drawn = draw(site, list, devices, select);
    reach = drawn.reach;
    figure.replaceChildren(drawn.svg);
    relabel();
  }

  function onDevices(changes) {
    for (const change of changes) {
      const entry = devices.get(change.id);
      if (!entry) continue;
      applyChange(entry.device, change);
      entry.node.dataset.state = condition(entry.device);
      entry.node.setAttribute('aria-label', `${entry.device.name}: ${statusText(entry.device)}`);
    }
    if (changes.some((c) => selected.includes(c.id))) showInfo();
  }

  showInfo();
  return { el: root, ready: load(), relabel, devices: onDevices };
}

function draw(site, list, devices, select) {
  const points = [site.position, ...site.roads.flatMap((r) => r.path), ...site.alleys.flatMap((a) => a.path),
    ...list.map(where)];
  const cos = Math.cos((site.position.lat * Math.PI) / 180);
  const project = (p) => [(p.lon - site.position.lon) * cos * M_PER_DEG, (site.position.lat - p.lat) * M_PER_DEG];
  const xy = points.map(project);
  const xs = xy.map((q) => q[0]);
  const ys = xy.map((q) => q[1]);
  const width = Math.max(...xs) - Math.min(...xs) || 100;
  const height = Math.max(...ys) - Math.min(...ys) || 100;
  const pad = Math.max(width, height) * 0.05 + 10;
  const view = [Math.min(...xs) - pad, Math.min(...ys) - pad, width + 2 * pad, height + 2 * pad];
  // Sizes in metres chosen so that a dot is about 10 px across on a 360 px wide phone.
  const px = view[2] / 360;
  const line = (path, cls) => s('polyline', { class: cls, points: path.map((p) => project(p).map((v) => v.toFixed(1)).join(',')).join(' ') });
  const svg = s('svg', { viewBox: view.map((v) => v.toFixed(1)).join(' '), role: 'group', class: 'map' },
    ...site.roads.map((r) => line(r.path, 'road')),
    ...site.alleys.map((a) => line(a.path, 'alley')));
  const layer = s('g', {});
  for (const device of list) {
    const [x, y] = project(where(device));
    const node = s('g', {
      class: `dev ${device.kind}`, 'data-id': device.id, 'data-kind': device.kind, 'data-state': condition(device),
      transform: `translate(${x.toFixed(1)} ${y.toFixed(1)})`, tabindex: 0, role: 'button', 'data-ui': 'dot',
    }, s('circle', { class: 'hit', r: (12 * px).toFixed(1) }), shape(device.kind, 5 * px));
    const pick = () => select(device.id);
    node.addEventListener('click', pick);
    node.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(); } });
    devices.set(device.id, { device, node, x, y });
    layer.append(node);
  }
  svg.append(layer);
  return { svg, reach: 12 * px };
}

/** The map's compact projection carries a device's place as lat and lon. */
function where(device) {
  return { lat: device.lat, lon: device.lon };
}

function shape(kind, r) {
  if (kind === 'speaker') return s('rect', { class: 'shape', x: -r, y: -r, width: 2 * r, height: 2 * r });
  if (kind === 'camera') {
    const k = r * 1.3;
    return s('polygon', { class: 'shape', points: `0,${-k} ${k},${k * 0.8} ${-k},${k * 0.8}` });
  }
  return s('circle', { class: 'shape', r });
}

function legendItems() {
  const item = (kind, state, key) => h('li', {},
    s('svg', { viewBox: '-8 -8 16 16', class: 'swatch', 'aria-hidden': 'true' },
      s('g', { class: `dev ${kind}`, 'data-state': state }, shape(kind, 5))),
    t(key));
  const lineItem = (cls, key) => h('li', {},
    s('svg', { viewBox: '0 0 16 16', class: 'swatch', 'aria-hidden': 'true' },
      s('line', { class: cls, x1: 0, y1: 8, x2: 16, y2: 8 })),
    t(key));
  return [
    item('light', 'on', 'legend_on'), item('light', 'off', 'legend_off'), item('light', 'offline', 'legend_offline'),
    item('speaker', 'ok', 'legend_speaker'), item('camera', 'ok', 'legend_camera'),
    lineItem('road', 'legend_road'), lineItem('alley', 'legend_alley'),
  ];
}
