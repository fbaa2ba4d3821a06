// Đèn đường: a card per road and alley with its lights as dots, coloured only by what each light itself
// reports (GET /api/devices, then live device changes: never optimistically). The head and the technician
// get a big Bật / Tắt switch, a dimmer and a "for how long" choice per card, and follow each command's
// roll-up as it arrives (the `light_command` live event, with GET /api/lights/commands/{id} as a fallback);
// they also see the open faults ("Đã xem" marks one seen). Everyone sees the schedule's next 7 days and the
// month's energy per road; only operators get the one-tap presets. Everyone sees the schedule's rules in
// plain words; the head and the technician also get a simple editor (up to 3 steps, a few days choices) and
// a big "Xoá" per rule.

import { ApiError, del, get, getAll, post } from '../api.js';
import { h } from '../dom.js';
import { lang, t } from '../i18n.js';
import { faultCard } from '../faults.js';
import { applyChange, condition } from '../status.js';

const DURATIONS = [null, 60, 120, 240, 480]; // for_minutes: none, then 1, 2, 4 and 8 hours
const POLL_MS = 1500;

export function mount(ctx) {
  const control = ctx.canControl;
  const lights = new Map(); // id -> device from /api/devices
  const cards = new Map(); // group id -> {group, lights: [ids], nodes, command, level, minutes}
  let presets = [];
  let preview = [];
  let energy = null;
  let notice = null; // {key, params} after a preset was applied
  let pollTimer = null;
  let rules = [];
  let groupNames = new Map(); // road / alley id -> name
  let draft = newDraft();
  let errors = {}; // editor field key ('name', 'target', 'levels.0', 'days', 'priority', 'form') -> message
  let saving = false;

  const intro = h('div', {});
  const groupsEl = h('div', { class: 'light-groups' });
  const faultsEl = h('section', { class: 'card', 'data-section': 'faults' });
  const faults = faultCard(faultsEl, {
    title: 'faults_title', none: 'faults_none', seenUrl: (id) => `/api/lights/faults/${id}/seen` });
  const scheduleEl = h('section', { class: 'card', 'data-section': 'schedule' });
  const energyEl = h('section', { class: 'card', 'data-section': 'energy' });
  const rulesEl = h('div', { 'data-rules': '' });
  const editorEl = h('details', { class: 'rule-editor', 'data-editor': '' });
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

  // --- schedule -----------------------------------------------------------------------------------------
  async function applyPreset(preset, button) {
    button.disabled = true;
    try {
      await post('/api/lights/schedules', preset.rule);
      notice = { key: 'preset_applied', name: preset };
      await refresh();
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
    let noticeText = null;
    if (notice?.key === 'preset_applied') noticeText = t('preset_applied', { name: text(notice.name.name_vi, notice.name.name_en) });
    else if (notice?.key === 'rule_saved' || notice?.key === 'rule_deleted') noticeText = t(notice.key, { name: notice.name });
    else if (notice) noticeText = t('error');
    renderRules();
    if (control) renderEditor();
    scheduleEl.replaceChildren(...[
      h('h2', {}, t('schedule_title')),
      control ? h('div', { class: 'presets' }, presets.map((p) => {
        const button = h('button', { type: 'button', class: 'secondary', 'data-control': 'preset', 'data-preset': p.key },
          text(p.name_vi, p.name_en));
        button.addEventListener('click', () => applyPreset(p, button));
        return h('div', { class: 'preset' }, button, h('p', { class: 'muted' }, text(p.describe_vi, p.describe_en)));
      })) : null,
      noticeText ? h('p', { class: 'status ok', 'aria-live': 'polite', 'data-notice': '' }, noticeText) : null,
      rulesEl,
      control ? editorEl : null,
      h('h3', {}, t('preview_title')),
      preview.length === 0 ? h('p', { class: 'muted' }, t('preview_none')) : preview.map((g) => h('details', { class: 'preview', 'data-preview': g.group },
        h('summary', {}, g.name),
        g.steps.length === 0 ? h('p', { class: 'muted' }, t('preview_none'))
          : h('ul', { class: 'lines' }, g.steps.map((s) => h('li', {}, stepText(s)))))),
    ].flat().filter(Boolean));
  }

  // --- rules: the list in plain words, and the editor (head, technician) --------------------------------
  const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6]; // Monday (T2) .. Sunday (CN), as the hub counts them
  const OFFSETS = [-60, -30, -15, 0, 15, 30, 60];
  const LEVELS = [0, 50, 100];

  function newDraft() {
    return {
      name: '', target: 'all', days: 'every', weekdays: [], priority: 10,
      steps: [{ anchor: 'sunset', time: '18:00', offset: 0, brightness: 100 }],
    };
  }

  function atText(at) {
    if (at.anchor === 'clock') return at.time;
    const m = Math.abs(at.offset_min);
    if (!m) return t(`at_${at.anchor}`);
    return t(`at_${at.anchor}_${at.offset_min > 0 ? 'after' : 'before'}`, { m });
  }

  function daysText(days) {
    if (days.lunar_days) {
      const sorted = [...days.lunar_days].sort((a, b) => a - b);
      return sorted.join() === '1,15' ? t('days_lunar') : t('days_lunar_list', { d: sorted.join(', ') });
    }
    if (days.holidays || days.lunar_dates || days.date_from || days.date_to) return t('days_special');
    if (days.weekdays && days.weekdays.length < 7) {
      return [...days.weekdays].sort((a, b) => a - b).map((d) => t(`wd_${d}`)).join(', ');
    }
    return t('days_every');
  }

  function describe(rule) {
    const steps = rule.levels.map((l) => t('rule_step', {
      at: atText(l.at), what: l.brightness > 0 ? t('step_level', { b: l.brightness }) : t('step_off'),
    }));
    steps.push(t('rule_until', { at: atText(rule.until) }));
    return `${steps.join(', ')} · ${daysText(rule.days)}`;
  }

  const targetName = (id) => (id === 'all' ? t('target_all') : groupNames.get(id) ?? id);

  async function refresh() {
    [rules, preview] = await Promise.all([get('/api/lights/schedules'), get('/api/lights/schedules/preview?days=7')]);
  }

  async function removeRule(rule, button) {
    if (!window.confirm(t('rule_delete_confirm', { name: rule.name }))) return;
    button.disabled = true;
    try {
      await del(`/api/lights/schedules/${rule.id}`);
      notice = { key: 'rule_deleted', name: rule.name };
      await refresh();
    } catch (error) {
      if (!(error instanceof ApiError)) console.error(error);
      notice = { key: 'error' };
    }
    renderSchedule();
  }

  function renderRules() {
    rulesEl.replaceChildren(
      h('h3', {}, t('rules_title')),
      rules.length === 0 ? h('p', { class: 'muted' }, t('rules_none')) : h('ul', { class: 'rows' }, rules.map((r) => {
        const row = h('li', { class: 'row rule', 'data-rule': r.id },
          h('p', { class: 'name' }, r.name),
          h('p', {}, targetName(r.target), r.priority > 10 ? ` · ${t('priority_high')}` : ''),
          h('p', { class: 'muted', 'data-describe': '' }, describe(r)));
        if (control) {
          const button = h('button', { type: 'button', class: 'danger wide', 'data-control': 'delete-rule' }, t('rule_delete'));
          button.addEventListener('click', () => removeRule(r, button));
          row.append(button);
        }
        return row;
      })),
    );
  }

  function body() {
    const steps = draft.steps.map((s) => ({
      at: s.anchor === 'clock' ? { anchor: 'clock', time: s.time } : { anchor: s.anchor, offset_min: s.offset },
      brightness: s.brightness,
    }));
    // A last step "tắt" ends the night; without one the lights go off at sunrise.
    const last = steps.length > 1 && steps[steps.length - 1].brightness === 0 ? steps.pop() : null;
    const days = {};
    if (draft.days === 'weekdays') days.weekdays = [...draft.weekdays].sort((a, b) => a - b);
    if (draft.days === 'lunar') days.lunar_days = [1, 15];
    const name = draft.name.trim() || `${targetName(draft.target)}: ${steps.map((s) => atText(s.at)).join(', ')}`;
    return {
      body: { name, target: draft.target, priority: draft.priority, days, levels: steps,
        until: last ? last.at : { anchor: 'sunrise', offset_min: 0 } },
      untilStep: last ? draft.steps.length - 1 : null,
    };
  }

  function errorKey(loc, untilStep) {
    const path = loc[0] === 'body' ? loc.slice(1) : loc;
    if (path[0] === 'levels' && Number.isInteger(path[1])) return `levels.${path[1]}`;
    if (path[0] === 'until' && untilStep != null) return `levels.${untilStep}`;
    if (['name', 'target', 'days', 'priority', 'levels'].includes(path[0])) return path[0];
    return 'form';
  }

  async function save() {
    const { body: rule, untilStep } = body();
    errors = {};
    if (draft.days === 'weekdays' && draft.weekdays.length === 0) {
      errors.days = t('days_pick');
      renderEditor();
      return;
    }
    saving = true;
    renderEditor();
    try {
      await post('/api/lights/schedules', rule);
      notice = { key: 'rule_saved', name: rule.name };
      draft = newDraft();
      editorEl.open = false;
      await refresh();
    } catch (error) {
      if (!(error instanceof ApiError)) console.error(error);
      const detail = error instanceof ApiError && error.status === 422 ? error.body?.detail : null;
      if (Array.isArray(detail)) {
        for (const d of detail) {
          const key = errorKey(d.loc ?? [], untilStep);
          errors[key] = errors[key] ? `${errors[key]} ${d.msg}` : d.msg;
        }
      } else errors.form = typeof detail === 'string' ? detail : t('error');
    }
    saving = false;
    renderSchedule();
  }

  const fieldError = (key) => (errors[key]
    ? h('p', { class: 'field-error', role: 'alert', 'data-error': key }, errors[key]) : null);

  function choice(label, pressed, onclick, attrs = {}) {
    return h('button', { type: 'button', class: `choice${pressed ? ' chosen' : ''}`, 'aria-pressed': pressed ? 'true' : 'false',
      onclick, ...attrs }, label);
  }

  function stepEditor(step, i) {
    const id = `rule-step-${i}`;
    const when = step.anchor === 'clock'
      ? h('input', { type: 'time', id: `${id}-time`, value: step.time, required: true, 'data-field': 'time',
        'aria-label': t('rule_time'), oninput: (e) => { step.time = e.target.value; } })
      : h('select', { id: `${id}-offset`, 'data-field': 'offset', 'aria-label': t('rule_offset'),
        onchange: (e) => { step.offset = Number(e.target.value); } },
      OFFSETS.map((m) => h('option', { value: m, selected: m === step.offset },
        m === 0 ? t('offset_zero') : t(m > 0 ? 'offset_after' : 'offset_before', { m: Math.abs(m) }))));
    return h('fieldset', { class: 'rule-step', 'data-step': i },
      h('legend', {}, t('rule_step_n', { n: i + 1 })),
      h('label', { for: `${id}-anchor` }, t('rule_at')),
      h('select', { id: `${id}-anchor`, 'data-field': 'anchor',
        onchange: (e) => { step.anchor = e.target.value; renderEditor(); } },
      ['clock', 'sunset', 'sunrise'].map((a) => h('option', { value: a, selected: a === step.anchor }, t(`anchor_${a}`)))),
      when,
      h('p', { class: 'label' }, t('rule_brightness')),
      h('div', { class: 'choices three' }, LEVELS.map((b) => choice(b === 0 ? t('level_off') : `${b}%`, step.brightness === b,
        () => { step.brightness = b; renderEditor(); }, { 'data-level': b }))),
      i > 0 ? h('button', { type: 'button', class: 'secondary', 'data-control': 'remove-step',
        onclick: () => { draft.steps.splice(i, 1); renderEditor(); } }, t('rule_remove_step')) : null,
      fieldError(`levels.${i}`));
  }

  function renderEditor() {
    const targets = [['all', t('target_all')], ...groupNames];
    editorEl.replaceChildren(...[
      h('summary', { 'data-ui': 'add-rule' }, t('rule_add')),
      h('label', { for: 'rule-target' }, t('rule_target')),
      h('select', { id: 'rule-target', onchange: (e) => { draft.target = e.target.value; } },
        targets.map(([id, name]) => h('option', { value: id, selected: id === draft.target }, name))),
      fieldError('target'),
      draft.steps.map(stepEditor),
      fieldError('levels'),
      draft.steps.length < 3 ? h('button', { type: 'button', class: 'secondary', 'data-control': 'add-step',
        onclick: () => { const prev = draft.steps[draft.steps.length - 1];
          draft.steps.push({ anchor: 'clock', time: prev.anchor === 'clock' ? prev.time : '22:00', offset: 0, brightness: 50 });
          renderEditor(); } }, t('rule_add_step')) : null,
      h('p', { class: 'muted' }, t('rule_until_hint')),
      h('p', { class: 'label' }, t('rule_days')),
      h('div', { class: 'choices stack' }, ['every', 'weekdays', 'lunar'].map((d) => choice(t(`days_mode_${d}`), draft.days === d,
        () => { draft.days = d; renderEditor(); }, { 'data-days': d }))),
      draft.days === 'weekdays' ? h('div', { class: 'choices seven' }, WEEKDAYS.map((d) => choice(t(`wd_${d}`),
        draft.weekdays.includes(d), () => {
          draft.weekdays = draft.weekdays.includes(d) ? draft.weekdays.filter((x) => x !== d) : [...draft.weekdays, d];
          renderEditor();
        }, { 'data-weekday': d }))) : null,
      fieldError('days'),
      h('p', { class: 'label' }, t('rule_priority')),
      h('div', { class: 'choices' }, [[10, 'priority_normal'], [50, 'priority_high']].map(([p, key]) => choice(t(key),
        draft.priority === p, () => { draft.priority = p; renderEditor(); }, { 'data-priority': p }))),
      fieldError('priority'),
      h('label', { for: 'rule-name' }, t('rule_name')),
      h('input', { type: 'text', id: 'rule-name', maxlength: 80, value: draft.name, placeholder: t('rule_name_hint'),
        oninput: (e) => { draft.name = e.target.value; } }),
      fieldError('name'),
      fieldError('form'),
      h('button', { type: 'button', class: 'primary', 'data-control': 'save-rule', disabled: saving, onclick: save },
        saving ? t('rule_saving') : t('rule_save')),
    ].flat().filter(Boolean));
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
    if (control) faults.render();
    renderSchedule();
    renderEnergy();
  }

  // --- data ---------------------------------------------------------------------------------------------
  async function load() {
    const [site, list, presetList, previewList, report, faultList, ruleList] = await Promise.all([
      get('/api/site'), getAll('/api/devices?kind=light'), get('/api/lights/schedules/presets'),
      get('/api/lights/schedules/preview?days=7'), get('/api/lights/energy?by=road&period=month'),
      control ? get('/api/lights/faults?open=true') : Promise.resolve([]), get('/api/lights/schedules'),
    ]);
    rules = ruleList;
    groupNames = new Map();
    for (const road of site.roads) {
      groupNames.set(road.id, road.name);
      for (const alley of site.alleys) if (alley.road === road.id) groupNames.set(alley.id, alley.name);
    }
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
    faults.set(faultList);
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

  function onFault() {
    if (!control) return;
    get('/api/lights/faults?open=true').then((list) => { faults.set(list); faults.render(); }, () => {});
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
    light_command: onRollup, // live events by name (main.js dispatches them)
    light_fault: onFault,
    destroy() { clearTimeout(pollTimer); },
  };
}
