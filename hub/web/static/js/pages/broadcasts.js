// Bản tin trên loa: the week's bulletins per zone (GET /api/broadcasts/upcoming?days=7) and "Nghe lại" (listen
// again to today's and past bulletins, an <audio> on /media/{sha256}) for everyone. The head and the
// technician also get "Phát thông báo" in three taps (what: record / upload / type, then say it, then send;
// zones, priority, repeat and time come preset to the usual choice), a big red "Phát khẩn cấp" behind one
// confirmation, each bulletin's delivery as the speakers report it (the `broadcast_delivery` live event, with
// GET /api/broadcasts/{id} as a fallback on weak 4G), the speakers' faults, and the as-run log with its CSV.

import { ApiError, get, post } from '../api.js';
import { formatTime, h, throttle } from '../dom.js';
import { lang, t } from '../i18n.js';

const POLL_MS = 2000;
const POLL_FOR_MS = 15 * 60_000; // a delivery is followed this long at most (a long bulletin, repeated)
const REPEATS = [[1, 0], [2, 30], [3, 30]]; // [plays, gap_s]: "phát 2 lần, cách 30 giây"
const PRIORITIES = ['normal', 'priority', 'emergency'];
const DAILY = ['06:00', '17:00']; // the hamlet's custom
const MODES = ['text', 'record', 'file'];
const canRecord = () => Boolean(window.MediaRecorder && navigator.mediaDevices?.getUserMedia);

// The upload is a raw body (api.js speaks JSON only): the same CSRF header as every other change.
function csrf() {
  const found = document.cookie.split('; ').find((c) => c.startsWith('hamlet_csrf='));
  return found ? decodeURIComponent(found.slice('hamlet_csrf='.length)) : '';
}

async function uploadAudio(blob) {
  const response = await fetch('/api/media', {
    method: 'POST', credentials: 'same-origin', body: blob,
    headers: { Accept: 'application/json', 'Content-Type': blob.type || 'application/octet-stream', 'X-CSRF-Token': csrf() },
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data, null);
  return data;
}

export function mount(ctx) {
  const control = ctx.canControl;
  let zones = []; // [{id, name}]
  let plans = []; // GET /api/broadcasts/upcoming
  let bulletins = []; // GET /api/broadcasts, newest first
  let runs = []; // GET /api/broadcasts/log (operators)
  let faults = [];
  let zoneFilter = 'all';
  const openDays = new Set(); // days of the week view the user unfolded
  const deliveries = new Map(); // bulletin id -> {occurrence, vi, en, done, counts, total}
  const follow = new Map(); // bulletin id -> poll until (ms): bulletins sent from this phone
  let pollTimer = null;
  let draft = newDraft();
  let errors = {};
  let sending = false;
  let sent = null; // {id, title} of the last bulletin sent from here
  let recorder = null; // {media, chunks, started, timer}
  let emergencyText = '';

  const text = (vi, en) => (lang() === 'vi' || !en ? vi : en);
  const intro = h('div', {});
  const emergencyEl = h('section', { class: 'card emergency', 'data-section': 'emergency' });
  const composeEl = h('section', { class: 'card compose', 'data-section': 'compose' });
  const sentEl = h('div', { 'aria-live': 'polite' });
  const activeEl = h('section', { class: 'card', 'data-section': 'bulletins' });
  const weekEl = h('section', { class: 'card', 'data-section': 'week' });
  const againEl = h('section', { class: 'card', 'data-section': 'again' });
  const faultsEl = h('section', { class: 'card', 'data-section': 'speaker-faults' });
  const logEl = h('section', { class: 'card', 'data-section': 'log' });
  // Residents come to listen again (people in the fields miss the loudspeaker); the head, to broadcast.
  const root = h('div', { class: 'broadcasts-page' }, intro, control
    ? [emergencyEl, composeEl, sentEl, activeEl, weekEl, againEl, faultsEl, logEl] : [againEl, weekEl]);

  function newDraft() {
    return { mode: 'text', text: '', title: '', sha256: null, duration: null, preview: null, busy: null,
      targets: ['all'], priority: 'normal', repeat: 0, when: 'now', date: '', time: '', optionsOpen: false };
  }

  // --- shared bits ---------------------------------------------------------------------------------------
  const zoneName = (id) => (id === 'all' ? t('bc_all_zones') : zones.find((z) => z.id === id)?.name ?? id);
  const badge = (priority) => h('span', { class: `prio prio-${priority}`, 'data-priority': priority }, t(`bc_prio_${priority}`));
  const clock = (iso) => iso.slice(11, 16); // "2026-11-30T06:00:00+07:00" is already the hamlet's time
  const choice = (label, pressed, onclick, attrs = {}) => h('button', {
    type: 'button', class: `choice${pressed ? ' chosen' : ''}`, 'aria-pressed': pressed ? 'true' : 'false', onclick, ...attrs,
  }, label);
  const fieldError = (key) => (errors[key] ? h('p', { class: 'field-error', role: 'alert', 'data-error': key }, errors[key]) : null);
  const seconds = (s) => `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}`;

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

  function errorMessage(error) {
    const detail = error instanceof ApiError ? error.body?.detail : null;
    if (Array.isArray(detail)) return detail.map((d) => d.msg).join(' ');
    if (detail && typeof detail === 'object' && detail.vi) return text(detail.vi, detail.en);
    if (typeof detail === 'string') return detail;
    if (error instanceof ApiError && error.status === 413) return t('bc_too_big');
    return t('error');
  }

  // --- emergency: one big red button, one confirmation ---------------------------------------------------
  async function emergency() {
    errors = {};
    const said = emergencyText.trim();
    if (!said) {
      errors.emergency = t('bc_emergency_empty');
      renderEmergency();
      return;
    }
    if (!window.confirm(`${t('bc_emergency_confirm')}\n\n${said}\n— ${t('bc_all_zones')}`)) return;
    await send({ title: `${t('bc_emergency_title')}: ${said.slice(0, 60)}`, text: said, priority: 'emergency',
      targets: ['all'], repeat: 2, gap_s: 30, once_at: new Date().toISOString() }, 'emergency');
    if (!errors.emergency) emergencyText = '';
    renderEmergency();
  }

  function renderEmergency() {
    emergencyEl.replaceChildren(...[
      h('h2', {}, t('bc_emergency_heading')),
      h('label', { for: 'emergency-text' }, t('bc_emergency_label')),
      h('textarea', { id: 'emergency-text', rows: 2, maxlength: 1000, placeholder: t('bc_emergency_hint'),
        oninput: (e) => { emergencyText = e.target.value; } }, emergencyText),
      fieldError('emergency'),
      h('button', { type: 'button', class: 'emergency-button', 'data-control': 'emergency', disabled: sending,
        onclick: emergency }, t('bc_emergency_button')),
      h('p', { class: 'muted' }, t('bc_emergency_note')),
    ].filter(Boolean));
  }

  // --- compose: what (text / record / file), then where, how and when ------------------------------------
  async function speakPreview() {
    const said = draft.text.trim();
    errors = {};
    if (!said) { errors.content = t('bc_text_empty'); renderCompose(); return; }
    draft.busy = 'speech';
    renderCompose();
    try {
      const answer = await post('/api/media/speech', { text: said });
      draft.preview = answer.medium ? { url: answer.medium.url, autoplay: true } : null;
      if (!answer.medium) errors.content = text(answer.note_vi, answer.note_en) || t('bc_no_speech');
    } catch (error) {
      errors.content = errorMessage(error);
    }
    draft.busy = null;
    renderCompose();
  }

  async function takeAudio(blob, title) {
    errors = {};
    draft.busy = 'upload';
    draft.sha256 = null;
    draft.preview = null;
    renderCompose();
    try {
      const medium = await uploadAudio(blob);
      Object.assign(draft, { sha256: medium.sha256, duration: medium.duration_s, preview: { url: medium.url } });
      if (!draft.title || draft.title === draft.autoTitle) {
        draft.title = title;
        draft.autoTitle = title;
      }
    } catch (error) {
      if (!(error instanceof ApiError)) console.error(error);
      errors.content = errorMessage(error);
    }
    draft.busy = null;
    renderCompose();
  }

  async function startRecording() {
    errors = {};
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const media = new MediaRecorder(stream);
      const chunks = [];
      media.addEventListener('dataavailable', (e) => { if (e.data.size) chunks.push(e.data); });
      media.addEventListener('stop', () => {
        for (const track of stream.getTracks()) track.stop();
        clearInterval(recorder?.timer);
        recorder = null;
        const at = formatTime(Date.now())?.slice(11) ?? '';
        if (draft.mode !== 'record') { renderCompose(); return; } // stopped by choosing another way
        takeAudio(new Blob(chunks, { type: media.mimeType || 'audio/webm' }), t('bc_recording_title', { t: at }));
      });
      recorder = { media, started: Date.now(), timer: setInterval(renderCompose, 1000) };
      media.start();
    } catch (error) {
      console.error(error);
      errors.content = t('bc_mic_refused');
    }
    renderCompose();
  }

  function contentEditor() {
    if (draft.mode === 'text') {
      return [
        h('label', { for: 'bulletin-text' }, t('bc_text_label')),
        h('textarea', { id: 'bulletin-text', rows: 4, maxlength: 5000, placeholder: t('bc_text_hint'),
          oninput: (e) => { draft.text = e.target.value; draft.preview = null; } }, draft.text),
        h('button', { type: 'button', class: 'secondary', 'data-control': 'speak', disabled: Boolean(draft.busy),
          onclick: speakPreview }, draft.busy === 'speech' ? t('bc_speaking') : t('bc_preview')),
      ];
    }
    if (draft.mode === 'record') {
      if (!canRecord()) return [h('p', { class: 'notice', 'data-no-mic': '' }, t('bc_no_mic'))];
      const live = recorder ? seconds((Date.now() - recorder.started) / 1000) : null;
      return [
        recorder
          ? h('button', { type: 'button', class: 'record recording', 'data-control': 'record-stop',
            onclick: () => recorder.media.stop() }, t('bc_record_stop', { t: live }))
          : h('button', { type: 'button', class: 'record', 'data-control': 'record', disabled: Boolean(draft.busy),
            onclick: startRecording }, draft.sha256 ? t('bc_record_again') : t('bc_record_start')),
      ];
    }
    return [
      h('label', { for: 'bulletin-file', class: 'button file-pick' }, t('bc_file_pick')),
      h('input', { type: 'file', id: 'bulletin-file', class: 'visually-hidden', accept: 'audio/*', 'data-control': 'file',
        onchange: (e) => { const file = e.target.files[0]; if (file) takeAudio(file, file.name.replace(/\.[^.]+$/, '').slice(0, 120)); } }),
      h('p', { class: 'muted' }, t('bc_file_hint')),
    ];
  }

  function contentStatus() {
    if (draft.busy === 'upload') return h('p', { class: 'status' }, t('bc_uploading'));
    const lines = [];
    if (draft.mode !== 'text' && draft.sha256) {
      lines.push(h('p', { class: 'status ok', 'data-ready-audio': '' }, t('bc_audio_ready', { d: seconds(draft.duration) })));
    }
    if (draft.preview) {
      // Kept across re-renders (choosing a zone must not cut the preview the head is listening to).
      draft.preview.el ??= h('audio', { controls: true, preload: 'auto', src: draft.preview.url, 'data-preview': '' });
      if (draft.preview.autoplay) { draft.preview.autoplay = false; draft.preview.el.play().catch(() => {}); }
      lines.push(draft.preview.el);
    }
    return lines;
  }

  function pickMode(mode) {
    // Another way to say it: what the last one made (a recording, a file, the title it proposed) goes.
    if (recorder) recorder.media.stop();
    if (draft.title === draft.autoTitle) draft.title = '';
    Object.assign(draft, { mode, sha256: null, duration: null, preview: null, autoTitle: null });
    errors = {};
    renderCompose();
  }

  // The hamlet's time (Asia/Ho_Chi_Minh has no daylight saving): "2026-12-03T10:15:00+07:00", or null.
  function atIso() {
    return draft.date && draft.time ? `${draft.date}T${draft.time}:00+07:00` : null;
  }

  function hasContent() {
    return draft.mode === 'text' ? draft.text.trim() !== '' : Boolean(draft.sha256);
  }

  function toggleZone(id) {
    if (id === 'all') draft.targets = ['all'];
    else {
      const picked = draft.targets.filter((z) => z !== 'all');
      draft.targets = picked.includes(id) ? picked.filter((z) => z !== id) : [...picked, id];
      if (draft.targets.length === 0 || draft.targets.length === zones.length) draft.targets = ['all'];
    }
    renderCompose();
  }

  function body() {
    const [repeat, gap] = REPEATS[draft.repeat];
    const said = draft.text.trim();
    const title = draft.title.trim() || (draft.mode === 'text' ? said.split(/\s+/).slice(0, 8).join(' ') : t('bc_untitled'));
    const out = { title: title.slice(0, 120), priority: draft.priority, targets: draft.targets, repeat, gap_s: gap };
    if (draft.mode === 'text') out.text = said;
    else out.sha256 = draft.sha256;
    if (draft.when === 'daily') out.times = DAILY;
    else if (draft.when === 'at') out.once_at = atIso(); 
    else out.once_at = new Date().toISOString();
    return out;
  }

  async function submit() {
    errors = {};
    if (!hasContent()) errors.content = draft.mode === 'text' ? t('bc_text_empty') : t('bc_audio_missing');
    if (draft.when === 'at' && !atIso()) errors.when = t('bc_when_missing');
    if (Object.keys(errors).length) { renderCompose(); return; }
    if (draft.priority === 'emergency' && !window.confirm(t('bc_emergency_confirm'))) return;
    await send(body(), 'form');
    if (!errors.form) draft = newDraft();
    renderCompose();
  }

  async function send(bulletin, where) {
    sending = true;
    renderEmergency();
    renderCompose();
    try {
      const made = await post('/api/broadcasts', bulletin);
      sent = { id: made.id, title: made.title, note: made.note };
      if (made.once_at && Date.parse(made.once_at) <= Date.now() + 60_000) follow.set(made.id, Date.now() + POLL_FOR_MS);
      await refresh();
      schedulePoll(500);
    } catch (error) {
      if (!(error instanceof ApiError)) console.error(error);
      errors[where] = errorMessage(error);
    }
    sending = false;
    renderEmergency();
    renderCompose();
    renderData();
    if (sent && !errors[where]) sentEl.scrollIntoView({ block: 'nearest' });
  }

  function renderCompose() {
    if (!control) return;
    composeEl.replaceChildren(...[
      h('h2', {}, t('bc_compose')),
      h('p', { class: 'label' }, t('bc_step_what')),
      h('div', { class: 'choices three', role: 'group' }, MODES.map((m) => choice(t(`bc_mode_${m}`), draft.mode === m,
        () => pickMode(m), { 'data-mode': m }))),
      contentEditor(),
      contentStatus(),
      fieldError('content'),
      h('label', { for: 'bulletin-title' }, t('bc_title_label')),
      h('input', { type: 'text', id: 'bulletin-title', maxlength: 120, value: draft.title, placeholder: t('bc_title_hint'),
        oninput: (e) => { draft.title = e.target.value; } }),
      options(),
      fieldError('when'),
      fieldError('form'),
      h('button', { type: 'button', class: draft.priority === 'emergency' ? 'primary send danger-fill' : 'primary send',
        'data-control': 'send', disabled: sending || Boolean(draft.busy) || Boolean(recorder), onclick: submit },
      sending ? t('bc_sending') : t(draft.when === 'now' ? 'bc_send_now' : 'bc_send_later')),
    ].flat().filter(Boolean));
  }

  function repeatText(i, choiceForm = false) {
    const [n, gap] = REPEATS[i];
    if (n === 1) return t('bc_repeat_once');
    return t(choiceForm ? 'bc_repeat_choice' : 'bc_repeat_n', { n, s: gap });
  }

  // Where, how and when fold under one line that says what is chosen: the usual choice needs no tap.
  function options() {
    const chosen = [draft.targets.map(zoneName).join(', '), t(`bc_prio_${draft.priority}`), repeatText(draft.repeat),
      draft.when === 'at' && atIso() ? formatTime(atIso()) : t(`bc_when_${draft.when}`)].join(' · ');
    const pickedZones = draft.targets;
    return h('details', { class: 'options bc-options', open: draft.optionsOpen, 'data-options': '',
      ontoggle: (e) => { draft.optionsOpen = e.target.open; } },
      h('summary', { 'data-ui': 'options' }, h('span', {}, h('span', { class: 'label' }, t('bc_options')), h('br'),
        h('span', { class: 'chosen-line', 'data-chosen': '' }, chosen))),
      h('p', { class: 'label' }, t('bc_zones')),
      h('div', { class: 'choices', role: 'group' }, [{ id: 'all' }, ...zones].map((z) => choice(zoneName(z.id),
        pickedZones.includes(z.id), () => toggleZone(z.id), { 'data-zone': z.id }))),
      h('p', { class: 'label' }, t('bc_priority')),
      h('div', { class: 'choices stack', role: 'group' }, PRIORITIES.map((p) => choice(t(`bc_prio_${p}`), draft.priority === p,
        () => { draft.priority = p; renderCompose(); }, { 'data-prio': p, class: `choice prio-choice-${p}${draft.priority === p ? ' chosen' : ''}` }))),
      h('p', { class: 'label' }, t('bc_repeat')),
      h('div', { class: 'choices stack', role: 'group' }, REPEATS.map(([n], i) => choice(repeatText(i, true), draft.repeat === i,
        () => { draft.repeat = i; renderCompose(); }, { 'data-repeat': n }))),
      h('p', { class: 'label' }, t('bc_when')),
      h('div', { class: 'choices stack', role: 'group' }, ['now', 'at', 'daily'].map((w) => choice(t(`bc_when_${w}`),
        draft.when === w, () => { draft.when = w; renderCompose(); }, { 'data-when': w }))),
      // A date and a time field rather than one datetime field: each fits a narrow phone in any locale.
      draft.when === 'at' ? [
        h('label', { for: 'bulletin-date' }, t('bc_date')),
        h('input', { type: 'date', id: 'bulletin-date', value: draft.date, min: hanoiDate(Date.now()),
          onchange: (e) => { draft.date = e.target.value; renderCompose(); } }),
        h('label', { for: 'bulletin-time' }, t('bc_time')),
        h('input', { type: 'time', id: 'bulletin-time', value: draft.time,
          onchange: (e) => { draft.time = e.target.value; renderCompose(); } }),
      ] : null);
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
        h('summary', { 'data-ui': 'day' }, h('span', { class: 'day-name' }, dayLabel(day)),
          h('span', { class: 'muted' }, t('bc_day_count', { n: lines.length }))),
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

  // --- operators: speaker faults, the as-run log -----------------------------------------------------------
  async function seen(fault, button) {
    button.disabled = true;
    try {
      const updated = await post(`/api/broadcasts/faults/${fault.id}/seen`);
      faults = faults.map((f) => (f.id === updated.id ? updated : f));
    } catch (error) {
      if (!(error instanceof ApiError)) console.error(error);
    }
    renderFaults();
  }

  function renderFaults() {
    const open = faults.filter((f) => f.closed_ms == null);
    faultsEl.replaceChildren(h('h2', {}, t('bc_faults')),
      open.length === 0 ? h('p', { class: 'muted' }, t('bc_faults_none')) : h('ul', { class: 'rows' }, open.map((f) => {
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
      })));
  }

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
      renderFaults();
      renderLog();
    }
    renderWeek();
    renderAgain();
  }

  function renderAll() {
    renderIntro();
    if (control) {
      renderEmergency();
      renderCompose();
    }
    renderData();
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
    faults = open;
    // A one-off that began a moment ago: its delivery so far (opened after it was sent, or reloaded).
    const begun = control ? list.filter((b) => b.once_at && Date.parse(b.once_at) <= Date.now() && !deliveries.has(b.id)
      && upcomingOrPlaying(b)).slice(0, 5) : [];
    await Promise.all(begun.map((b) => get(`/api/broadcasts/${b.id}`).then((found) => {
      const newest = found.delivery?.[0];
      if (newest) deliveries.set(b.id, { bulletin: b.id, occurrence: newest.occurrence_id, ...newest });
    }, () => {})));
  }

  async function load() {
    const site = await get('/api/site');
    zones = site.zones.map((z) => ({ id: z.id, name: z.name }));
    await refresh();
    renderAll();
  }

  function onDelivery(data) {
    const old = deliveries.get(data.bulletin);
    if (old && old.occurrence > data.occurrence) return; // an older occurrence's late report
    deliveries.set(data.bulletin, { ...data });
    for (const el of root.querySelectorAll(`[data-delivery="${data.bulletin}"]`)) {
      el.replaceWith(deliveryLine(data.bulletin));
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
      if (recorder) recorder.media.stop();
    },
  };
}
