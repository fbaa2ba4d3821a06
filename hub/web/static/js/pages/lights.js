// Đèn đường: a card per road and alley with its lights as dots, coloured only by what each light itself
// reports (GET /api/devices, then live device changes: never optimistically). The head and the technician
// get a big Bật / Tắt switch, a dimmer and a "for how long" choice per card, and follow each command's
// roll-up as it arrives (the `light_command` live event, with GET /api/lights/commands/{id} as a fallback);
// they also see the open faults ("Đã xem" marks one seen). Everyone sees the schedule's next 7 days and the
// month's energy per road; only operators get the one-tap presets.

import { ApiError, get, post } from '../api.js';
import { formatTime, h } from '../dom.js';
import { lang, t } from '../i18n.js';
import { applyChange, condition } from '../status.js';

const DURATIONS = [null, 60, 120, 240, 480]; // for_minutes: none, then 1, 2, 4 and 8 hours
const POLL_MS = 1500;

export function mount(ctx) {
  const control = ctx.canControl;
  const lights = new Map(); // id -> device from /api/devices
  const cards = new Map(); // group id -> {group, lights: [ids], nodes, command, level, minutes}
  let faults = [];
  let presets = [];
  let preview = [];
  let energy = null;
  let notice = null; // {key, params} after a preset was applied
  let pollTimer = null;

  const intro = h('div', {});
  const groupsEl = h('div', { class: 'light-groups' });
  const faultsEl = h('section', { class: 'card', 'data-section': 'faults' });
  const scheduleEl = h('section', { class: 'card', 'data-section': 'schedule' });
  const energyEl = h('section', { class: 'card', 'data-section': 'energy' });
  const root = h('div', { class: 'lights-page' }, intro, control ? faultsEl : null, groupsEl, scheduleEl, energyEl);

  const text = (vi, en) => (lang() === 'vi' ? vi : en);
  const number = (value, digits = 0) => new Intl.NumberFormat(lang() === 'vi' ? 'vi-VN' : 'en-GB',
    { maximumFractionDigits: digits }).format(value);

  // --- groups: dots, counts, switches -------------------------------------------------------------------
  function countText(card) {
    const devices = card.lights.map((id) => lights.get(id)).filter(Boolean);
    const on = devices.filter((d) => condition(d) === 'on').length;
    const off = devices.filter((d) => condition(d) === 'offline').length;
    return t('lights_count', { on, n: devices.length }) + (off ? t('lights_offline_count', { off }) : '');
  }

  function paintCard(card) {
    for (const [id, dot] of card.dots) {
      const device = lights.get(id);
      dot.dataset.state = device ? condition(device) : 'offline';
    }
    card.countEl.textContent = countText(card);
  }

  function rollupText(card) {
    const c = card.command;
    if (!c) return '';
    if (c.error) return t('command_failed');
    if (!c.vi) return t('sending');
    return text(c.vi, c.en);
  }

  function paintRollup(card) {
    card.rollupEl.textContent = rollupText(card);
    card.rollupEl.hidden = !card.command;
    card.rollupEl.dataset.done = card.command?.done ? 'true' : 'false';
    card.rollupEl.className = `rollup${card.command?.done && !card.command.ok ? ' warn' : ''}`;
  }

  async function send(card, on) {
    const body = { target: { group: card.group.id }, on };
    if (on && card.level < 100) body.brightness = card.level;
    if (card.minutes) body.for_minutes = card.minutes;
    card.command = { id: null };
    paintRollup(card);
    for (const button of card.buttons) button.disabled = true;
    try {
      const sent = await post('/api/lights/commands', body);
      card.command = { id: sent.id, ...sent.rollup };
      schedulePoll();
    } catch (error) {
      if (!(error instanceof ApiError)) console.error(error);
      card.command = { id: null, error: true };
    } finally {
      for (const button of card.buttons) button.disabled = false;
    }
    paintRollup(card);
  }

  function controls(card) {
    const onButton = h('button', { type: 'button', class: 'switch-on', 'data-control': 'on', onclick: () => send(card, true) },
      t('turn_on'));
    const offButton = h('button', { type: 'button', class: 'switch-off', 'data-control': 'off', onclick: () => send(card, false) },
      t('turn_off'));
    card.buttons = [onButton, offButton];
    const levelLabel = h('label', { for: `level-${card.group.id}` }, t('brightness', { b: card.level }));
    const dimmer = h('input', {
      type: 'range', id: `level-${card.group.id}`, min: 10, max: 100, step: 10, value: card.level,
      'data-control': 'brightness',
      oninput: (e) => { card.level = Number(e.target.value); levelLabel.textContent = t('brightness', { b: card.level }); },
    });
    const duration = h('select', {
      id: `for-${card.group.id}`, 'data-control': 'duration',
      onchange: (e) => { card.minutes = Number(e.target.value) || null; },
    }, DURATIONS.map((m) => h('option', { value: m ?? '', selected: m === card.minutes }, t(m ? `for_${m / 60}` : 'for_none'))));
    // The big switch first; the dimmer and the duration fold away under one line until wanted.
    return h('div', { class: 'light-controls' },
      h('div', { class: 'switches' }, onButton, offButton),
      h('details', { class: 'options' },
        h('summary', { 'data-ui': 'options' }, t('options')),
        levelLabel, dimmer,
        h('label', { for: `for-${card.group.id}` }, t('duration')), duration));
  }

  function renderCard(card) {
    card.dots = new Map(card.lights.map((id) => [id, h('span', {
      class: 'ldot', 'data-light': id, role: 'img', 'aria-label': lights.get(id)?.name ?? id,
    })]));
    card.countEl = h('p', { class: 'count', 'data-count': '' });
    card.rollupEl = h('p', { class: 'rollup', 'data-rollup': '', 'aria-live': 'polite' });
    card.el.replaceChildren(...[
      h('h3', {}, card.group.name),
      card.kind === 'road' ? h('p', { class: 'muted' }, t('road_includes')) : null,
      card.countEl,
      h('div', { class: 'light-dots' }, [...card.dots.values()]),
      control ? controls(card) : null,
      card.rollupEl,
    ].filter(Boolean));
    paintCard(card);
    paintRollup(card);
  }

  // --- faults -------------------------------------------------------------------------------------------
  async function seen(fault, button) {
    button.disabled = true;
    try {
      const updated = await post(`/api/lights/faults/${fault.id}/seen`);
      faults = faults.map((f) => (f.id === updated.id ? updated : f));
    } catch (error) {
      if (!(error instanceof ApiError)) console.error(error);
    }
    renderFaults();
  }

  function renderFaults() {
    const open = faults.filter((f) => f.closed_ms == null);
    faultsEl.replaceChildren(
      h('h2', {}, t('faults_title')),
      open.length === 0 ? h('p', { class: 'muted' }, t('faults_none')) : h('ul', { class: 'rows' }, open.map((f) => {
        const row = h('li', { class: 'row fault', 'data-fault': f.id },
          h('p', { class: 'name' }, text(f.vi, f.en)),
          h('p', { class: 'muted' }, t('fault_since', { t: formatTime(f.opened_ms) })));
        if (f.seen_ms != null) row.append(h('p', { class: 'status ok' }, t('fault_seen', { t: formatTime(f.seen_ms) })));
        else {
          const button = h('button', { type: 'button', class: 'secondary', 'data-control': 'seen' }, t('fault_seen_button'));
          button.addEventListener('click', () => seen(f, button));
          row.append(button);
        }
        return row;
      })),
    );
  }

  // --- schedule -----------------------------------------------------------------------------------------
  async function applyPreset(preset, button) {
    button.disabled = true;
    try {
      await post('/api/lights/schedules', preset.rule);
      notice = { key: 'preset_applied', name: preset };
      preview = await get('/api/lights/schedules/preview?days=7');
    } catch (error) {
      if (!(error instanceof ApiError)) console.error(error);
      notice = { key: 'error' };
    }
    renderSchedule();
  }

  function stepText(step) {
    const what = step.brightness > 0 ? t('step_level', { b: step.brightness }) : t('step_off');
    return `${step.at_local} — ${what}`;
  }

  function renderSchedule() {
    const noticeText = notice
      ? (notice.key === 'preset_applied' ? t('preset_applied', { name: text(notice.name.name_vi, notice.name.name_en) }) : t('error'))
      : null;
    scheduleEl.replaceChildren(
      h('h2', {}, t('schedule_title')),
      control ? h('div', { class: 'presets' }, presets.map((p) => {
        const button = h('button', { type: 'button', class: 'secondary', 'data-control': 'preset', 'data-preset': p.key },
          text(p.name_vi, p.name_en));
        button.addEventListener('click', () => applyPreset(p, button));
        return h('div', { class: 'preset' }, button, h('p', { class: 'muted' }, text(p.describe_vi, p.describe_en)));
      })) : null,
      noticeText ? h('p', { class: 'status ok', 'aria-live': 'polite', 'data-notice': '' }, noticeText) : null,
      h('h3', {}, t('preview_title')),
      preview.length === 0 ? h('p', { class: 'muted' }, t('preview_none')) : preview.map((g) => h('details', { class: 'preview', 'data-preview': g.group },
        h('summary', {}, g.name),
        g.steps.length === 0 ? h('p', { class: 'muted' }, t('preview_none'))
          : h('ul', { class: 'lines' }, g.steps.map((s) => h('li', {}, stepText(s)))))),
    );
  }

  // --- energy -------------------------------------------------------------------------------------------
  function renderEnergy() {
    const month = energy ? energy.until.slice(0, 7) : null;
    const rows = energy ? energy.rows.filter((r) => r.period === month) : [];
    const top = Math.max(...rows.map((r) => r.kwh), 0.001);
    energyEl.replaceChildren(
      h('h2', {}, t('energy_title')),
      rows.length === 0 ? h('p', { class: 'muted' }, t('energy_none')) : h('ul', { class: 'bars' }, rows.map((r) => h('li', { 'data-energy': r.key },
        h('p', { class: 'name' }, r.name),
        h('div', { class: 'bar', 'aria-hidden': 'true' }, h('span', { style: `width: ${Math.max(2, (100 * r.kwh) / top).toFixed(1)}%` })),
        h('p', {}, t('energy_row', { kwh: number(r.kwh, 1), vnd: number(r.cost_vnd) })),
        r.saved_vnd > 0 ? h('p', { class: 'muted' }, t('energy_saved', { vnd: number(r.saved_vnd) })) : null))),
    );
  }

  function renderIntro() {
    intro.replaceChildren(h('h2', {}, t('lights_title')), h('p', { class: 'muted spaced' }, t('lights_hint')));
  }

  function renderAll() {
    renderIntro();
    for (const card of cards.values()) renderCard(card);
    if (control) renderFaults();
    renderSchedule();
    renderEnergy();
  }

  // --- data ---------------------------------------------------------------------------------------------
  async function load() {
    const [site, list, presetList, previewList, report, faultList] = await Promise.all([
      get('/api/site'), get('/api/devices'), get('/api/lights/schedules/presets'),
      get('/api/lights/schedules/preview?days=7'), get('/api/lights/energy?by=road&period=month'),
      control ? get('/api/lights/faults?open=true') : Promise.resolve([]),
    ]);
    for (const d of list) if (d.kind === 'light') lights.set(d.id, d);
    const groupOf = (d) => d.group;
    const addCard = (group, kind, members) => {
      if (members.length === 0) return;
      const old = cards.get(group.id);
      cards.set(group.id, {
        group, kind, lights: members, el: old?.el ?? h('section', { class: 'card light-group', 'data-group': group.id }),
        command: old?.command ?? null, level: old?.level ?? 100, minutes: old?.minutes ?? null, buttons: [],
      });
    };
    const lightList = [...lights.values()];
    for (const road of site.roads) {
      const alleys = site.alleys.filter((a) => a.road === road.id);
      const ids = new Set([road.id, ...alleys.map((a) => a.id)]);
      addCard(road, 'road', lightList.filter((d) => ids.has(groupOf(d))).map((d) => d.id));
      for (const alley of alleys) addCard(alley, 'alley', lightList.filter((d) => groupOf(d) === alley.id).map((d) => d.id));
    }
    groupsEl.replaceChildren(...[...cards.values()].map((c) => c.el));
    presets = presetList;
    preview = previewList;
    energy = report;
    faults = faultList;
    renderAll();
  }

  // --- live: device states, command roll-ups, faults ----------------------------------------------------
  function onDevices(changes) {
    const touched = new Set();
    for (const change of changes) {
      const device = lights.get(change.id);
      if (!device) continue;
      applyChange(device, change);
      for (const card of cards.values()) if (card.dots?.has(change.id)) touched.add(card);
    }
    for (const card of touched) paintCard(card);
  }

  function onRollup(data) {
    for (const card of cards.values()) {
      if (card.command?.id === data.id) {
        card.command = { ...card.command, ...data };
        paintRollup(card);
      }
    }
  }

  function onLights(kind, data) {
    if (kind === 'light_command') onRollup(data);
    else if (kind === 'light_fault' && control) {
      get('/api/lights/faults?open=true').then((list) => { faults = list; renderFaults(); }, () => {});
    }
  }

  // The live stream may lag or be down on weak 4G: poll the open commands too, until each is done.
  function schedulePoll() {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, POLL_MS);
  }

  async function poll() {
    const open = [...cards.values()].filter((c) => c.command?.id && !c.command.done);
    await Promise.all(open.map((card) => get(`/api/lights/commands/${card.command.id}`)
      .then((c) => onRollup({ id: c.id, ...c.rollup }), () => {})));
    if ([...cards.values()].some((c) => c.command?.id && !c.command.done)) schedulePoll();
  }

  renderIntro();
  return {
    el: root,
    ready: load(),
    relabel: renderAll,
    devices: onDevices,
    lights: onLights,
    destroy() { clearTimeout(pollTimer); },
  };
}
