// Bản tin trên loa: the week's bulletins per zone (GET /api/broadcasts/upcoming?days=7) and "Nghe lại" (listen
// again to today's and past bulletins, an <audio> on /media/{sha256}) for everyone. The head and the
// technician also get "Phát thông báo" and "Phát khẩn cấp" (./broadcast-compose.js, loaded for them only),
// each bulletin's delivery as the speakers report it (the `broadcast_delivery` live event, with
// GET /api/broadcasts/{id} as a fallback on weak 4G), the speakers' faults, and the as-run log with its CSV.

import { ApiError, get, post } from '../api.js';
import { formatTime, h, throttle } from '../dom.js';
import { lang, t } from '../i18n.js';
import { faultCard } from '../faults.js';

const POLL_MS = 2000;
const POLL_FOR_MS = 15 * 60_000; // a delivery is followed this long at most (a long bulletin, repeated)

export function mount(ctx) {
  const control = ctx.canControl;
  let zones = []; // [{id, name}]
  let plans = []; // GET /api/broadcasts/upcoming
  let bulletins = []; // GET /api/broadcasts, newest first
  let runs = []; // GET /api/broadcasts/log (operators)
  let zoneFilter = 'all';
  const openDays = new Set(); // days of the week view the user unfolded
  const deliveries = new Map(); // bulletin id -> {occurrence, vi, en, done, counts, total}
  const follow = new Map(); // bulletin id -> poll until (ms): bulletins sent from this phone
  let pollTimer = null;
  let sent = null; // {id, title, note} of the last bulletin sent from here
  let form = null; // the composer (operators), once its module has loaded

  const text = (vi, en) => (lang() === 'vi' || !en ? vi : en);
  const intro = h('div', {});
  const formEl = h('div', {});
  const sentEl = h('div', { 'aria-live': 'polite' });
  const activeEl = h('section', { class: 'card', 'data-section': 'bulletins' });
  const weekEl = h('section', { class: 'card', 'data-section': 'week' });
  const againEl = h('section', { class: 'card', 'data-section': 'again' });
  const faultsEl = h('section', { class: 'card', 'data-section': 'speaker-faults' });
  const faults = faultCard(faultsEl, {
    title: 'bc_faults', none: 'bc_faults_none', seenUrl: (id) => `/api/broadcasts/faults/${id}/seen` });
  const logEl = h('section', { class: 'card', 'data-section': 'log' });
  // Residents come to listen again (people in the fields miss the loudspeaker); the head, to broadcast.
  const root = h('div', { class: 'broadcasts-page' }, intro, control
    ? [formEl, sentEl, activeEl, weekEl, againEl, faultsEl, logEl] : [againEl, weekEl]);

  // --- shared bits ---------------------------------------------------------------------------------------
  const zoneName = (id) => (id === 'all' ? t('bc_all_zones') : zones.find((z) => z.id === id)?.name ?? id);
  const badge = (priority) => h('span', { class: `prio prio-${priority}`, 'data-priority': priority }, t(`bc_prio_${priority}`));
  const clock = (iso) => iso.slice(11, 16); // "2026-11-30T06:00:00+07:00" is already the hamlet's time

  function dayLabel(isoDate) {
    const [y, m, d] = isoDate.split('-').map(Number);
    const day = new Date(Date.UTC(y, m - 1, d));
    const today = hanoiDate(Date.now());
    const diff = Math.round((day - new Date(`${today}T00:00:00Z`)) / 86_400_000);
    const name = diff === 0 ? t('bc_today') : diff === 1 ? t('bc_tomorrow') : t(`bc_wd_${day.getUTCDay()}`);
    return `${name} ${String(d).padStart(2, '0')}/${String(m).padStart(2, '0')}`;
  }

  function hanoiDate(ms) {
    return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date(ms));
  }

  function whenText(b) {
    if (b.once_at) return formatTime(b.once_at);
    return t('bc_daily_at', { times: (b.times || []).join(', ') });
  }

  // --- what was sent, the bulletins kept, and their delivery ---------------------------------------------
  function deliveryLine(id) {
    const d = deliveries.get(id);
    if (!d) return null;
    const bad = d.done && Object.keys(d.counts || {}).some((k) => k !== 'finished');
    return h('p', { class: `rollup${bad ? ' warn' : ''}`, 'data-delivery': id, 'data-done': d.done ? 'true' : 'false' },
      text(d.vi, d.en) || t('bc_waiting'));
  }

  function renderSent() {
    if (!sent) { sentEl.replaceChildren(); return; }
    sentEl.replaceChildren(h('div', { class: 'card sent', 'data-sent': sent.id },
      h('p', { class: 'status ok' }, t('bc_sent')),
      h('p', { class: 'name', 'data-raw': '' }, sent.title),
      sent.note ? h('p', { class: 'status bad' }, sent.note) : null,
      deliveryLine(sent.id) ?? h('p', { class: 'rollup', 'data-delivery': sent.id, 'data-done': 'false' }, t('bc_waiting'))));
  }

  async function cancel(b, button) {
    if (!window.confirm(t('bc_cancel_confirm', { name: b.title }))) return;
    button.disabled = true;
    try {
      await post(`/api/broadcasts/${b.id}/cancel`);
      await refresh();
    } catch (error) {
      if (!(error instanceof ApiError)) console.error(error);
    }
    renderData();
  }

  function bulletinRow(b) {
    const row = h('li', { class: 'row bulletin', 'data-bulletin': b.id },
      h('p', { class: 'name', 'data-raw': '' }, b.title),
      h('p', {}, badge(b.priority), ' ', whenText(b)),
      h('p', { class: 'muted' }, b.targets.map(zoneName).join(', '),
        b.repeat > 1 ? ` · ${t('bc_repeat_n', { n: b.repeat, s: b.gap_s })}` : ''),
      b.note ? h('p', { class: 'status bad' }, b.note) : null,
      deliveryLine(b.id));
    const button = h('button', { type: 'button', class: 'danger wide', 'data-control': 'cancel' }, t('bc_cancel'));
    button.addEventListener('click', () => cancel(b, button));
    row.append(button);
    return row;
  }

  function upcomingOrPlaying(b) {
    // A one-off stays listed while it may still start or play (its window, then its plays and gaps).
    if (b.status !== 'active') return false;
    if (b.times) return true;
    const delivery = deliveries.get(b.id);
    if (delivery) return !delivery.done;
    const plays = b.repeat * b.duration_ms + (b.repeat - 1) * b.gap_s * 1000;
    return Date.parse(b.once_at) + b.window_min * 60_000 + plays > Date.now();
  }

  function renderActive() {
    const shown = bulletins.filter(upcomingOrPlaying);
    activeEl.replaceChildren(h('h2', {}, t('bc_active')),
      shown.length === 0 ? h('p', { class: 'muted' }, t('bc_active_none')) : h('ul', { class: 'rows' }, shown.map(bulletinRow)));
  }

  // --- the week, per zone -----------------------------------------------------------------------------------
  function weekDays() {
    // One line per occurrence (a bulletin on 4 speakers is one line), with the zones it reaches.
    const byOccurrence = new Map();
    for (const plan of plans) {
      if (zoneFilter !== 'all' && plan.zone !== zoneFilter) continue;
      for (const slot of plan.slots) {
        const line = byOccurrence.get(slot.occurrence_id) ?? { ...slot, zones: new Set(), speakers: 0, cut: 0 };
        line.zones.add(plan.zone);
        line.speakers += 1;
        if (slot.outcome !== 'plays') line.cut += 1;
        byOccurrence.set(slot.occurrence_id, line);
      }
    }
    const days = new Map();
    for (const line of [...byOccurrence.values()].sort((a, b) => a.start.localeCompare(b.start))) {
      const day = line.start.slice(0, 10);
      if (!days.has(day)) days.set(day, []);
      days.get(day).push(line);
    }
    return days;
  }

  function renderWeek() {
    const days = weekDays();
    const allZones = zones.length;
    weekEl.replaceChildren(...[
      h('h2', {}, t('bc_week')),
      zones.length > 1 ? h('div', { class: 'filters', role: 'group', 'aria-label': t('bc_zones') },
        [{ id: 'all' }, ...zones].map((z) => h('button', {
          type: 'button', class: 'chip', 'data-ui': 'zone-filter', 'data-zone-filter': z.id,
          'aria-pressed': zoneFilter === z.id ? 'true' : 'false',
          onclick: () => { zoneFilter = z.id; renderWeek(); },
        }, zoneName(z.id)))) : null,
      days.size === 0 ? h('p', { class: 'muted', 'data-week-empty': '' }, t('bc_week_none')) : [...days].map(([day, lines], i) => h('details', {
        class: 'day', 'data-day': day, open: i < 2 || openDays.has(day),
        ontoggle: (e) => { if (e.target.open) openDays.add(day); else openDays.delete(day); } },
        h('summary', { 'data-ui': 'day' }, h('span', { class: 'day-head' }, h('span', { class: 'day-name' }, dayLabel(day)),
          h('span', { class: 'muted' }, t('bc_day_count', { n: lines.length })))),
        h('ul', { class: 'slots' }, lines.map((l) => h('li', { class: 'slot', 'data-occurrence': l.occurrence_id },
          h('span', { class: 'time' }, clock(l.start)),
          h('div', { class: 'what' },
            h('p', { class: 'name', 'data-raw': '' }, l.title),
            h('p', { class: 'muted' }, l.priority !== 'normal' ? [badge(l.priority), ' '] : null,
              l.zones.size >= allZones ? t('bc_all_zones') : [...l.zones].map(zoneName).join(', ')),
            l.cut ? h('p', { class: 'status bad' }, t(l.cut >= l.speakers ? 'bc_slot_cut' : 'bc_slot_cut_some')) : null)))))),
    ].flat().filter(Boolean));
  }

  // --- listen again --------------------------------------------------------------------------------------
  function lastAired(b) {
    // When it last played (ms), or null: a one-off whose time has passed; a daily one's latest time today
    // that has passed (or yesterday's last, when it existed then). Cancelled: only what began before.
    const now = b.cancelled_ms ?? Date.now();
    if (b.once_at) return Date.parse(b.once_at) <= now ? Date.parse(b.once_at) : null;
    const today = hanoiDate(now);
    const at = (date, hm) => Date.parse(`${date}T${hm}:00+07:00`);
    const past = (b.times || []).map((hm) => at(today, hm)).filter((ms) => ms <= now && ms >= b.created_ms);
    if (past.length) return Math.max(...past);
    const yesterday = hanoiDate(now - 86_400_000);
    const before = (b.times || []).map((hm) => at(yesterday, hm)).filter((ms) => ms >= b.created_ms);
    return before.length ? Math.max(...before) : null;
  }

  function listenButton(b, holder) {
    return h('button', { type: 'button', class: 'secondary', 'data-ui': 'listen', 'data-listen': b.id, onclick: () => {
      // Downloaded only on a tap: a resident on weak 4G pays for what they choose to hear.
      const audio = h('audio', { controls: true, preload: 'auto', src: b.media_url, 'data-audio': b.id });
      holder.replaceChildren(audio);
      audio.play().catch(() => {});
    } }, t('bc_listen'));
  }

  function renderAgain() {
    const aired = bulletins.filter((b) => b.media_url)
      .map((b) => [b, lastAired(b)]).filter(([, at]) => at != null).sort((a, c) => c[1] - a[1]).slice(0, 20);
    againEl.replaceChildren(
      h('h2', {}, t('bc_again')),
      h('p', { class: 'muted' }, t('bc_again_hint')),
      aired.length === 0 ? h('p', { class: 'muted', 'data-again-empty': '' }, t('bc_again_none')) : h('ul', { class: 'rows' }, aired.map(([b, at]) => {
        const holder = h('div', { class: 'player' });
        holder.append(listenButton(b, holder));
        return h('li', { class: 'row', 'data-again': b.id },
          h('p', { class: 'name', 'data-raw': '' }, b.title),
          h('p', {}, b.priority !== 'normal' ? [badge(b.priority), ' '] : null, b.once_at ? formatTime(at) : whenText(b)),
          b.text ? h('p', { class: 'muted said', 'data-raw': '' }, b.text) : null,
          holder);
      })),
    );
  }

  // --- operators: the as-run log (the speaker faults are faults.js's card) ---------------------------------
  function renderLog() {
    const groups = new Map();
    for (const r of runs) {
      if (!groups.has(r.occurrence_id)) groups.set(r.occurrence_id, []);
      groups.get(r.occurrence_id).push(r);
    }
    const ordered = [...groups.values()].sort((a, b) => b[0].planned.localeCompare(a[0].planned)).slice(0, 30);
    logEl.replaceChildren(
      h('h2', {}, t('bc_log')),
      h('a', { class: 'button wide-link', href: '/api/broadcasts/log?format=csv', download: '', 'data-ui': 'csv' }, t('bc_log_csv')),
      ordered.length === 0 ? h('p', { class: 'muted' }, t('bc_log_none')) : h('ul', { class: 'rows' }, ordered.map((rows) => {
        const first = rows[0];
        const counts = {};
        for (const r of rows) counts[r.outcome] = [(counts[r.outcome]?.[0] ?? 0) + 1, r.vi, r.en];
        const summary = Object.values(counts).map(([n, vi, en]) => `${n}/${rows.length} ${text(vi, en).toLowerCase()}`).join(', ');
        const bad = rows.some((r) => !['finished', 'planned', 'started'].includes(r.outcome));
        return h('li', { class: 'row', 'data-log': first.occurrence_id },
          h('p', { class: 'name', 'data-raw': '' }, first.title),
          h('p', {}, formatTime(first.planned), first.priority && first.priority !== 'normal' ? [' ', badge(first.priority)] : null),
          h('p', { class: bad ? 'status bad' : 'status ok', 'data-log-summary': '' }, summary),
          h('details', { class: 'preview' }, h('summary', { 'data-ui': 'log-detail' }, t('bc_log_speakers')),
            h('ul', { class: 'lines' }, rows.map((r) => h('li', {},
              `${r.speaker_name}: ${text(r.vi, r.en)}`,
              r.started ? ` ${clock(r.started)}` : '', r.ended ? `–${clock(r.ended)}` : '',
              r.interruptions ? ` · ${t('bc_interrupted_n', { n: r.interruptions })}` : '')))));
      })),
    );
  }

  function renderIntro() {
    intro.replaceChildren(h('h2', {}, t('bc_title')), h('p', { class: 'muted spaced' }, t(control ? 'bc_hint_head' : 'bc_hint_resident')));
  }

  // What the hub's data shows; the forms are left alone (a live update must not take the head's typing away).
  function renderData() {
    if (control) {
      renderSent();
      renderActive();
      faults.render();
      renderLog();
    }
    renderWeek();
    renderAgain();
  }

  function renderAll() {
    renderIntro();
    form?.render();
    renderData();
  }

  // The composer took a bulletin: show it, and follow its delivery if it plays now.
  async function onSent(made) {
    sent = { id: made.id, title: made.title, note: made.note };
    if (made.once_at && Date.parse(made.once_at) <= Date.now() + 60_000) follow.set(made.id, Date.now() + POLL_FOR_MS);
    await refresh().catch(() => {});
    renderData();
    sentEl.scrollIntoView({ block: 'nearest' });
    schedulePoll(500);
  }

  // --- data and live updates -----------------------------------------------------------------------------
  async function refresh() {
    const [upcoming, list, log, open] = await Promise.all([
      get('/api/broadcasts/upcoming?days=7'), get('/api/broadcasts'),
      control ? get('/api/broadcasts/log') : Promise.resolve([]),
      control ? get('/api/broadcasts/faults?open=true') : Promise.resolve([]),
    ]);
    plans = upcoming;
    bulletins = list;
    runs = log;
    faults.set(open);
    // A one-off that began a moment ago: its delivery so far (opened after it was sent, or reloaded).
    const begun = control ? list.filter((b) => b.once_at && Date.parse(b.once_at) <= Date.now() && !deliveries.has(b.id)
      && upcomingOrPlaying(b)).slice(0, 5) : [];
    await Promise.all(begun.map((b) => get(`/api/broadcasts/${b.id}`).then((found) => {
      const newest = found.delivery?.[0];
      if (newest) deliveries.set(b.id, { bulletin: b.id, occurrence: newest.occurrence_id, ...newest });
    }, () => {})));
  }

  async function load() {
    const [site, module] = await Promise.all([get('/api/site'), control ? import('./broadcast-compose.js') : null]);
    zones = site.zones.map((z) => ({ id: z.id, name: z.name }));
    if (module) {
      form = module.composer({ zones: () => zones, zoneName, onSent });
      formEl.replaceChildren(form.emergencyEl, form.composeEl);
    }
    await refresh();
    renderAll();
  }

  function onDelivery(data) {
    const old = deliveries.get(data.bulletin);
    if (old && old.occurrence > data.occurrence) return; // an older occurrence's late report
    deliveries.set(data.bulletin, { ...data });
    if (control) {
      renderSent();
      renderActive(); // a row that had no line yet gets one
    }
    if (data.done) reloadSoon();
    else if (control) reloadLogSoon();
  }

  // The live stream may lag or be down on weak 4G: poll what this phone sent, until its delivery is done.
  function schedulePoll(ms = POLL_MS) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, ms);
  }

  async function poll() {
    const now = Date.now();
    for (const [id, until] of follow) if (until < now || deliveries.get(id)?.done) follow.delete(id);
    await Promise.all([...follow.keys()].map((id) => get(`/api/broadcasts/${id}`).then((b) => {
      const newest = b.delivery?.[0];
      if (newest) onDelivery({ bulletin: id, occurrence: newest.occurrence_id, ...newest });
    }, () => {})));
    if (follow.size) schedulePoll();
  }

  const reloadSoon = throttle(() => refresh().then(renderData, () => {}), 1500);
  const reloadLogSoon = throttle(() => get('/api/broadcasts/log').then((log) => { runs = log; renderLog(); }, () => {}), 3000);

  renderIntro();
  return {
    el: root,
    ready: load(),
    relabel: renderAll,
    broadcast_changed: reloadSoon, // live events by name (main.js dispatches them)
    broadcast_delivery: onDelivery,
    broadcast_dead_air: reloadSoon,
    speaker_fault: () => { if (control) reloadSoon(); },
    destroy() {
      clearTimeout(pollTimer);
      form?.destroy();
    },
  };
}
