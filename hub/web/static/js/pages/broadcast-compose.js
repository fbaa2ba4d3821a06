// "Phát thông báo" and "Phát khẩn cấp" (the head and the technician only: residents never download this).
// Three taps: what (type / record / upload), then say it (type with "Nghe thử", record, pick a file), then send;
// where, how and when come preset to the usual choice (the whole hamlet, normal, once, now) and fold under one
// line that says what is chosen. The emergency is one big red button behind one confirmation.

import { ApiError, post } from '../api.js';
import { formatTime, h } from '../dom.js';
import { lang, t } from '../i18n.js';

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

const text = (vi, en) => (lang() === 'vi' || !en ? vi : en);
const seconds = (s) => `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}`;
const hanoiDate = (ms) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date(ms));

/** What the hub said was wrong, in the page's language: 422 field messages, a medium's reason, a 409 clash. */
function errorMessage(error) {
  const detail = error instanceof ApiError ? error.body?.detail : null;
  if (Array.isArray(detail)) return detail.map((d) => d.msg).join(' ');
  if (detail && typeof detail === 'object' && detail.vi) return text(detail.vi, detail.en);
  if (typeof detail === 'string') return detail;
  if (error instanceof ApiError && error.status === 413) return t('bc_too_big');
  return t('error');
}

function newDraft() {
  return { mode: 'text', text: '', title: '', sha256: null, duration: null, preview: null, busy: null, autoTitle: null,
    targets: ['all'], priority: 'normal', repeat: 0, when: 'now', date: '', time: '', optionsOpen: false };
}

/**
 * zones(): [{id, name}] of the site; zoneName(id); onSent(bulletin): the hub took it (the page follows its delivery).
 * Returns the two sections, render() (after a language switch) and destroy().
 */
export function composer({ zones, zoneName, onSent }) {
  let draft = newDraft();
  let errors = {};
  let sending = false;
  let recorder = null; // {media, started, timer}
  let emergencyText = '';
  const emergencyEl = h('section', { class: 'card emergency', 'data-section': 'emergency' });
  const composeEl = h('section', { class: 'card compose', 'data-section': 'compose' });

  const choice = (label, pressed, onclick, attrs = {}) => h('button', {
    type: 'button', class: `choice${pressed ? ' chosen' : ''}`, 'aria-pressed': pressed ? 'true' : 'false', onclick, ...attrs,
  }, label);
  const fieldError = (key) => (errors[key] ? h('p', { class: 'field-error', role: 'alert', 'data-error': key }, errors[key]) : null);

  function render() {
    renderEmergency();
    renderCompose();
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
      if (draft.targets.length === 0 || draft.targets.length === zones().length) draft.targets = ['all'];
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
    render();
    let made = null;
    try {
      made = await post('/api/broadcasts', bulletin);
    } catch (error) {
      if (!(error instanceof ApiError)) console.error(error);
      errors[where] = errorMessage(error);
    }
    sending = false;
    render();
    if (made) await onSent(made);
  }

  function renderCompose() {
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
      h('div', { class: 'choices', role: 'group' }, [{ id: 'all' }, ...zones()].map((z) => choice(zoneName(z.id),
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

  render();
  return {
    emergencyEl,
    composeEl,
    render,
    destroy() { if (recorder) recorder.media.stop(); },
  };
}
