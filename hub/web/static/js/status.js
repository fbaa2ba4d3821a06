// How a device's state reads to people, and which dot colour the map gives it. Shared by the map,
// the camera and the device pages so they always agree.

import { t } from './i18n.js';

/** 'on' | 'off' | 'offline' for lights; 'ok' | 'bad' | 'offline' for speakers and cameras. */
export function condition(device) {
  if (!device.online) return 'offline';
  const state = device.state || {};
  if (device.kind === 'light') return state.state === 'ON' ? 'on' : 'off';
  if (device.kind === 'camera') {
    // A camera's state is the health the hub probed (docs/cameras.md); none yet: it has not been probed.
    if (state.health) return ['ok', 'maintenance'].includes(state.health) ? 'ok' : 'bad';
    return state.stream_ok === false ? 'bad' : 'ok';
  }
  if (device.kind === 'speaker') return state.status === 'error' ? 'bad' : 'ok';
  return 'ok';
}

const capital = (text) => text.charAt(0).toLocaleUpperCase('vi') + text.slice(1);

/** "Hoạt động tốt" only as probed; "Không ghi hình — bộ nhớ đầy"; "Chưa được kiểm tra" before any probe. */
function cameraText(state, c) {
  if (!state.health) return c === 'bad' ? t('camera_no_picture') : capital(t('cam_not_checked'));
  if (state.health === 'ok') return t('camera_ok');
  if (state.health === 'maintenance') return capital(t('cam_maintenance'));
  const words = (state.reasons || '').split(',').filter(Boolean).map((r) => t(`cam_reason_${r}`)).join(' — ');
  return words ? capital(words) : t('camera_no_picture');
}

/** A short status line, e.g. "Đang bật, độ sáng 80%" or "Mất kết nối". */
export function statusText(device) {
  const state = device.state || {};
  const c = condition(device);
  if (c === 'offline') return t('offline');
  if (device.kind === 'light') {
    if (c === 'off') return t('light_off');
    return state.brightness != null ? t('light_on_level', { b: state.brightness }) : t('light_on');
  }
  if (device.kind === 'camera') return cameraText(state, c);
  if (device.kind === 'speaker') {
    if (c === 'bad') return t('speaker_error');
    return state.status === 'playing' ? t('speaker_playing') : t('speaker_idle');
  }
  return t('online');
}

/** Merge a live change ({id, online, state, seen}) into a device object from /api/devices. */
export function applyChange(device, change) {
  device.online = change.online;
  device.state = change.state;
  device.last_seen_ms = change.seen;
}
