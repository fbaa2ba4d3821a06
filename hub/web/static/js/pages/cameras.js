// Camera an ninh: every resident sees, gate by gate and in plain words, whether the cameras are working:
// "Cổng chính: hoạt động tốt", "Cổng sau: hình bị che khuất từ 21:40", "Cổng chợ: không ghi hình — bộ nhớ
// đầy", with each camera's uptime over 7 days (GET /api/cameras, refreshed on the `camera_health` live event).
// A recent picture shows only where the hub allows it (the head and technicians always; residents when the
// site says so). Technicians also set where a camera answers and put it in maintenance.
// "Hoạt động tốt" only for a camera the hub probed and found working. One it has not probed yet reads
// "chưa được kiểm tra" for residents; the head and technicians read why ("chưa cấu hình địa chỉ": no
// address set yet, "đang kiểm tra": its first probe is under way).

import { ApiError, api, get } from '../api.js';
import { formatTime, h, throttle } from '../dom.js';
import { lang, t } from '../i18n.js';

const MAINTENANCE_MS = 2 * 3600 * 1000;
const POLL_MS = 30_000;

/** HH:mm today, dd/mm/yyyy HH:mm otherwise (in the hamlet's time zone, as formatTime does). */
function when(ms) {
  const full = formatTime(ms);
  if (!full) return '';
  return full.slice(0, 10) === formatTime(Date.now()).slice(0, 10) ? full.slice(11) : full;
}

/** Not probed yet: no address set, or its first probe not answered yet. Never "working". */
function unchecked(camera) {
  return camera.status === 'unknown' || camera.reasons.some((r) => r.code === 'no_address');
}

/** The status a camera is shown with (and ranked by): an unprobed one is 'unknown', whatever the API's code. */
function shown(camera) {
  return camera.status !== 'maintenance' && unchecked(camera) ? 'unknown' : camera.status;
}

/** A camera's status in words: "hình bị che khuất từ 21:40", "đang bảo trì đến 17:00", "hoạt động tốt";
 * for a camera not probed yet, "chưa được kiểm tra" (residents) or why (`operator`: the head, technicians). */
export function statusWords(camera, operator = false) {
  if (camera.status === 'maintenance') {
    return camera.maintenance_until_ms ? t('cam_maintenance_until', { t: when(camera.maintenance_until_ms) })
      : t('cam_maintenance');
  }
  if (shown(camera) === 'unknown') {
    if (!operator) return t('cam_not_checked');
    return camera.status === 'unknown' ? t('cam_checking') : t('cam_reason_no_address');
  }
  if (camera.status === 'ok') return t('cam_status_ok');
  const words = camera.reasons.map((r) => t(`cam_reason_${r.code}`)).join(' — ');
  return camera.since_ms ? t('cam_since', { text: words, t: when(camera.since_ms) }) : words;
}

/** A badge starts a line: "Hoạt động tốt", "Hình bị che khuất từ 21:40". */
function capital(text) {
  return text.charAt(0).toLocaleUpperCase(lang()) + text.slice(1);
}

function uptimeWords(camera) {
  if (camera.uptime_7d == null) return t('cam_uptime_none');
  const p = new Intl.NumberFormat(lang() === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: 1 })
    .format(camera.uptime_7d * 100);
  return t('cam_uptime', { p });
}

const rank = { offline: 3, degraded: 2, maintenance: 1, unknown: 1, ok: 0 };

export function mount(ctx) {
  const technician = ctx.me?.role === 'technician';
  const operator = technician || ctx.me?.role === 'head';
  const title = h('h2', {});
  const summary = h('p', { class: 'summary' });
  const gatesEl = h('div', { class: 'gates' });
  const root = h('div', { class: 'cameras-page' }, title, summary, gatesEl);
  let cameras = [];
  let errors = {}; // camera id -> message from a refused registration

  function gateLine(name, members) {
    const worst = members.reduce((a, b) => ((rank[shown(b)] ?? 0) > (rank[shown(a)] ?? 0) ? b : a));
    const words = members.every((c) => c.status === 'ok') ? t('cam_status_ok') : statusWords(worst, operator);
    return t('cam_gate_line', { gate: name, status: words });
  }

  function cameraCard(camera) {
    const look = { ok: 'ok', unknown: 'unknown', maintenance: 'unknown' }[shown(camera)] ?? 'bad';
    const children = [
      h('p', { class: 'name' }, camera.name),
      h('p', { class: `badge ${look}`, 'data-status': camera.status }, capital(statusWords(camera, operator))),
      h('p', { class: 'muted' }, uptimeWords(camera)),
    ];
    if (camera.checked_ms) children.push(h('p', { class: 'muted' }, t('cam_checked', { t: when(camera.checked_ms) })));
    if (camera.thumbnail) {
      children.push(h('img', { class: 'thumb', loading: 'lazy', alt: t('cam_picture', { name: camera.name }),
        src: `/api/cameras/${encodeURIComponent(camera.id)}/thumbnail?t=${camera.checked_ms}` }));
    }
    if (technician) children.push(technicianTools(camera));
    return h('li', { class: 'card camera', 'data-camera': camera.id, 'data-state': camera.status }, children);
  }

  function technicianTools(camera) {
    const host = h('input', { name: 'host', required: true, maxlength: 253, autocomplete: 'off' });
    const port = h('input', { name: 'port', type: 'number', min: 1, max: 65535, value: 80 });
    const path = h('input', { name: 'path', value: '/snapshot.jpg', maxlength: 200 });
    const error = h('p', { class: 'error', role: 'alert' }, errors[camera.id] ?? '');
    const form = h('form', { class: 'stack', onsubmit: (event) => { event.preventDefault(); register(); } },
      h('label', {}, t('cam_host'), host), h('label', {}, t('cam_port'), port), h('label', {}, t('cam_path'), path),
      h('button', { type: 'submit' }, t('cam_save')), error);
    async function register() {
      try {
        await api('PUT', `/api/cameras/${encodeURIComponent(camera.id)}/address`,
          { host: host.value.trim(), port: Number(port.value), snapshot_path: path.value.trim() });
        delete errors[camera.id];
        await load();
      } catch (err) {
        const detail = err instanceof ApiError ? err.body?.detail : null;
        errors[camera.id] = Array.isArray(detail) ? detail.map((d) => d.msg).join('; ') : t('error');
        error.textContent = errors[camera.id];
      }
    }
    const inMaintenance = camera.status === 'maintenance';
    const maintenance = h('button', { type: 'button', onclick: async () => {
      const until = inMaintenance ? null : Date.now() + MAINTENANCE_MS;
      await api('PUT', `/api/cameras/${encodeURIComponent(camera.id)}/maintenance`, { until_ms: until });
      await load();
    } }, inMaintenance ? t('cam_maint_end') : t('cam_maint_2h'));
    return h('details', { class: 'camera-tools' }, h('summary', {}, t('cam_tools')), maintenance, form);
  }

  function render() {
    title.textContent = t('cameras_title');
    const ok = cameras.filter((c) => c.status === 'ok').length;
    summary.textContent = cameras.length ? t('cameras_summary', { ok, n: cameras.length }) : t('cameras_none');
    const gates = new Map();
    for (const camera of cameras) {
      if (!gates.has(camera.gate)) gates.set(camera.gate, { name: camera.gate_name, members: [] });
      gates.get(camera.gate).members.push(camera);
    }
    gatesEl.replaceChildren(...[...gates.entries()].map(([id, gate]) => h('section', { class: 'gate', 'data-gate': id },
      h('h3', { 'data-gate-line': id }, gateLine(gate.name, gate.members)),
      h('ul', { class: 'cards' }, gate.members.map(cameraCard)))));
  }

  async function load() {
    cameras = await get('/api/cameras');
    render();
  }

  const refresh = throttle(() => { load().catch(() => {}); }, 1000);
  const poll = setInterval(refresh, POLL_MS); // the live feed may be down: the page still catches up
  title.textContent = t('cameras_title');
  return { el: root, ready: load(), relabel: render, camera_health: refresh, camera_fault: refresh,
    destroy: () => clearInterval(poll) };
}
