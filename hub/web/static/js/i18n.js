// Every string the app shows, Vietnamese first (the hamlet's own words, see the glossary), then English.
// A string shown without passing through t() is a bug: the browser test switches the language and checks
// that no Vietnamese text is left on the page apart from proper names.

const vi = {
  app_name: 'Khu dân cư thông minh',
  lang_name: 'Tiếng Việt',
  lang_switch: 'Đổi ngôn ngữ sang tiếng Anh',
  loading: 'Đang tải…',
  error: 'Có lỗi, vui lòng thử lại sau.',
  forbidden: 'Tài khoản của bạn không xem được trang này.',
  none: 'Không có',
  never: 'chưa từng',
  // navigation and page titles
  nav_home: 'Trang chủ', nav_map: 'Bản đồ', nav_cameras: 'Camera', nav_devices: 'Thiết bị',
  nav_residents: 'Người dân', nav_audit: 'Nhật ký',
  title_audit: 'Nhật ký thao tác', nav_label: 'Các trang',
  role_head: 'Trưởng khu', role_technician: 'Kỹ thuật viên', role_resident: 'Người dân',
  // login and account
  login_title: 'Đăng nhập', phone: 'Số điện thoại', password: 'Mật khẩu', login_button: 'Đăng nhập',
  login_failed: 'Sai số điện thoại hoặc mật khẩu.',
  login_locked: 'Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {s} giây.',
  logout: 'Đăng xuất', hello: 'Xin chào, {name}', account: 'Tài khoản',
  // banners
  banner_broker: 'Mất kết nối với bộ điều khiển thiết bị',
  banner_store: 'Mất kết nối với kho lưu dữ liệu đo',
  banner_hub: 'Mất kết nối với máy chủ. Đang thử kết nối lại…',
  // home
  lights_on: 'Đèn đang bật', faults: 'Sự cố', devices_offline: 'Thiết bị mất kết nối',
  next_bulletin: 'Bản tin tiếp theo', not_yet: 'chưa có', cameras_ok: 'Camera hoạt động tốt',
  of: '{a} / {b}', all_ok: 'Tất cả đang hoạt động',
  // device states
  kind_light: 'Đèn đường', kind_speaker: 'Loa', kind_camera: 'Camera an ninh',
  online: 'Đang kết nối', offline: 'Mất kết nối',
  light_on: 'Đang bật', light_on_level: 'Đang bật, độ sáng {b}%', light_off: 'Đang tắt',
  speaker_playing: 'Đang phát', speaker_idle: 'Sẵn sàng', speaker_error: 'Loa bị lỗi',
  camera_ok: 'Hoạt động tốt', camera_no_picture: 'Mất hình ảnh',
  last_seen: 'Lần cuối hoạt động: {t}',
  // map
  map_hint: 'Chạm vào một điểm trên bản đồ để xem chi tiết.',
  map_label: 'Bản đồ khu dân cư', legend: 'Chú thích',
  legend_on: 'Đèn bật', legend_off: 'Đèn tắt', legend_offline: 'Mất kết nối',
  legend_speaker: 'Loa', legend_camera: 'Camera an ninh', legend_road: 'Đường', legend_alley: 'Ngõ',
  // cameras
  cameras_title: 'Camera an ninh', cameras_none: 'Khu chưa có camera nào.',
  cameras_summary: '{ok} trên {n} camera hoạt động tốt',
  // devices (technician)
  devices_title: 'Thiết bị', filter_all: 'Tất cả', count_devices: '{n} thiết bị, {off} mất kết nối',
  spark_power_w: 'Công suất 24 giờ qua (W)', spark_amp_temp_c: 'Nhiệt độ ampli 24 giờ qua (°C)',
  spark_fps: 'Số khung hình/giây 24 giờ qua', spark_none: 'chưa có số liệu',
  dead_title: 'Tin nhắn bị từ chối', dead_total: 'Tổng cộng: {n}', dead_none: 'Không có tin nhắn nào bị từ chối.',
  reason_bad_topic: 'Sai chủ đề MQTT', reason_oversized: 'Quá lớn', reason_malformed: 'Sai định dạng',
  reason_invalid: 'Dữ liệu không hợp lệ', reason_unknown_device: 'Thiết bị lạ', reason_wrong_kind: 'Sai loại thiết bị',
  dead_topic: 'Chủ đề', dead_payload: 'Nội dung',
  // residents (head)
  residents_title: 'Người dân', invite_button: 'Mời người dân',
  invite_hint: 'Đưa người dân quét mã QR này bằng điện thoại, hoặc gửi cho họ đường dẫn bên dưới.',
  invite_code: 'Mã mời: {code}', invite_expires: 'Hết hạn lúc {t}', invite_qr: 'Mã QR của lời mời',
  accounts: 'Danh sách tài khoản', disable: 'Khóa tài khoản', disabled: 'Đã khóa',
  disable_confirm: 'Khóa tài khoản của {name}? Người này sẽ không đăng nhập được nữa.',
  you: '(bạn)',
  // audit
  audit_none: 'Chưa có thao tác nào.', outcome_ok: 'Thành công', outcome_denied: 'Bị từ chối',
  outcome_failed: 'Không thành công', anonymous: 'Chưa đăng nhập',
  // invite acceptance
  join_title: 'Tạo tài khoản', full_name: 'Họ và tên', new_password: 'Mật khẩu mới (ít nhất 8 ký tự)',
  join_button: 'Tạo tài khoản', join_invalid: 'Mã mời không hợp lệ hoặc đã hết hạn.',
  join_check: 'Vui lòng kiểm tra lại họ tên, số điện thoại và mật khẩu (ít nhất 8 ký tự).',
  join_taken: 'Số điện thoại này đã có tài khoản.',
  // audit actions (codes from the hub; an unknown one is shown as it is)
  act_access: 'Truy cập', act_session_login: 'Đăng nhập', act_session_logout: 'Đăng xuất',
  act_user_add: 'Thêm tài khoản', act_user_reset_password: 'Đặt lại mật khẩu', act_user_disable: 'Khóa tài khoản',
  act_user_enable: 'Mở khóa tài khoản', act_me_update: 'Sửa thông tin cá nhân', act_invite_create: 'Tạo lời mời',
  act_invite_accept: 'Nhận lời mời',
  // street lights
  nav_lights: 'Đèn đường', lights_title: 'Đèn đường',
  lights_hint: 'Đèn chỉ hiện màu vàng khi chính đèn báo đã bật.',
  lights_count: '{on}/{n} đèn đang bật', lights_offline_count: ', {off} đèn mất kết nối',
  road_includes: 'Gồm cả các ngõ của đường này.',
  options: 'Độ sáng và hẹn giờ', turn_on: 'Bật', turn_off: 'Tắt', brightness: 'Độ sáng: {b}%', duration: 'Trong bao lâu',
  for_none: 'Đến khi có lệnh khác', for_1: 'Trong 1 giờ', for_2: 'Trong 2 giờ', for_4: 'Trong 4 giờ',
  for_8: 'Trong 8 giờ',
  sending: 'Đang gửi lệnh…', command_failed: 'Không gửi được lệnh. Vui lòng thử lại.',
  faults_title: 'Sự cố đèn', faults_none: 'Không có sự cố nào.', fault_since: 'Từ {t}',
  fault_seen_button: 'Đã xem', fault_seen: 'Đã xem lúc {t}',
  schedule_title: 'Lịch chiếu sáng', preset_applied: 'Đã áp dụng lịch “{name}”.',
  preview_title: 'Lịch 7 ngày tới', preview_none: 'Không có thay đổi nào.',
  step_level: 'bật {b}%', step_off: 'tắt',
  rules_title: 'Các lịch đang có', rules_none: 'Chưa có lịch nào.',
  rule_delete: 'Xoá', rule_delete_confirm: 'Xoá lịch “{name}”?',
  rule_saved: 'Đã lưu lịch “{name}”.', rule_deleted: 'Đã xoá lịch “{name}”.',
  rule_step: '{at} {what}', rule_until: 'tắt {at}',
  at_sunset: 'lúc mặt trời lặn', at_sunrise: 'lúc mặt trời mọc',
  at_sunset_after: '{m} phút sau khi mặt trời lặn', at_sunset_before: '{m} phút trước khi mặt trời lặn',
  at_sunrise_after: '{m} phút sau khi mặt trời mọc', at_sunrise_before: '{m} phút trước khi mặt trời mọc',
  days_every: 'Hằng ngày', days_lunar: 'Rằm và Mùng 1', days_lunar_list: 'Ngày {d} âm lịch',
  days_special: 'Ngày đặc biệt',
  wd_0: 'T2', wd_1: 'T3', wd_2: 'T4', wd_3: 'T5', wd_4: 'T6', wd_5: 'T7', wd_6: 'CN',
  target_all: 'Cả khu',
  rule_add: 'Thêm lịch', rule_target: 'Đường hoặc ngõ', rule_step_n: 'Bước {n}', rule_at: 'Lúc',
  rule_time: 'Giờ', rule_offset: 'Sớm hay muộn',
  anchor_clock: 'Giờ cố định', anchor_sunset: 'Lúc mặt trời lặn', anchor_sunrise: 'Lúc mặt trời mọc',
  offset_zero: 'Đúng lúc đó', offset_after: 'Sau {m} phút', offset_before: 'Trước {m} phút',
  rule_brightness: 'Độ sáng', level_off: 'Tắt',
  rule_add_step: 'Thêm bước', rule_remove_step: 'Bỏ bước này',
  rule_until_hint: 'Nếu bước cuối không phải “Tắt”, đèn tắt lúc mặt trời mọc.',
  rule_days: 'Ngày áp dụng', days_mode_every: 'Hằng ngày', days_mode_weekdays: 'Chọn thứ',
  days_mode_lunar: 'Rằm và Mùng 1', days_pick: 'Hãy chọn ít nhất một thứ trong tuần.',
  rule_priority: 'Mức ưu tiên', priority_normal: 'Thông thường', priority_high: 'Ưu tiên',
  rule_name: 'Tên lịch', rule_name_hint: 'Để trống thì tự đặt tên',
  rule_save: 'Lưu lịch', rule_saving: 'Đang lưu…',
  energy_title: 'Điện năng tháng này', energy_none: 'Chưa có số liệu.',
  energy_row: '{kwh} kWh · {vnd} đồng', energy_saved: 'Giảm độ sáng đã tiết kiệm {vnd} đồng',
};

const en = {
  app_name: 'Smart hamlet',
  lang_name: 'English',
  lang_switch: 'Switch the language to Vietnamese',
  loading: 'Loading…',
  error: 'Something went wrong, please try again later.',
  forbidden: 'Your account cannot see this page.',
  none: 'None',
  never: 'never',
  nav_home: 'Home', nav_map: 'Map', nav_cameras: 'Cameras', nav_devices: 'Devices',
  nav_residents: 'Residents', nav_audit: 'Log',
  title_audit: 'Audit log', nav_label: 'Pages',
  role_head: 'Hamlet head', role_technician: 'Technician', role_resident: 'Resident',
  login_title: 'Log in', phone: 'Phone number', password: 'Password', login_button: 'Log in',
  login_failed: 'Wrong phone number or password.',
  login_locked: 'Too many failed attempts. Please try again in {s} seconds.',
  logout: 'Log out', hello: 'Hello, {name}', account: 'Account',
  banner_broker: 'Lost connection to the device controller',
  banner_store: 'Lost connection to the measurement store',
  banner_hub: 'Lost connection to the hub. Reconnecting…',
  lights_on: 'Lights on', faults: 'Faults', devices_offline: 'Devices offline',
  next_bulletin: 'Next bulletin', not_yet: 'none yet', cameras_ok: 'Cameras working',
  of: '{a} of {b}', all_ok: 'Everything is working',
  kind_light: 'Street light', kind_speaker: 'Loudspeaker', kind_camera: 'Security camera',
  online: 'Online', offline: 'Offline',
  light_on: 'On', light_on_level: 'On, brightness {b}%', light_off: 'Off',
  speaker_playing: 'Playing', speaker_idle: 'Ready', speaker_error: 'Speaker fault',
  camera_ok: 'Working well', camera_no_picture: 'No picture',
  last_seen: 'Last seen: {t}',
  map_hint: 'Tap a dot on the map to see its details.',
  map_label: 'Map of the hamlet', legend: 'Legend',
  legend_on: 'Light on', legend_off: 'Light off', legend_offline: 'Offline',
  legend_speaker: 'Loudspeaker', legend_camera: 'Security camera', legend_road: 'Road', legend_alley: 'Alley',
  cameras_title: 'Security cameras', cameras_none: 'The hamlet has no cameras yet.',
  cameras_summary: '{ok} of {n} cameras working well',
  devices_title: 'Devices', filter_all: 'All', count_devices: '{n} devices, {off} offline',
  spark_power_w: 'Power, last 24 hours (W)', spark_amp_temp_c: 'Amplifier temperature, last 24 hours (°C)',
  spark_fps: 'Frames per second, last 24 hours', spark_none: 'no data yet',
  dead_title: 'Rejected messages', dead_total: 'Total: {n}', dead_none: 'No message has been rejected.',
  reason_bad_topic: 'Bad MQTT topic', reason_oversized: 'Too large', reason_malformed: 'Malformed',
  reason_invalid: 'Invalid data', reason_unknown_device: 'Unknown device', reason_wrong_kind: 'Wrong device kind',
  dead_topic: 'Topic', dead_payload: 'Payload',
  residents_title: 'Residents', invite_button: 'Invite a resident',
  invite_hint: 'Let the resident scan this QR code with their phone, or send them the link below.',
  invite_code: 'Invite code: {code}', invite_expires: 'Expires at {t}', invite_qr: 'QR code of the invite',
  accounts: 'Accounts', disable: 'Disable account', disabled: 'Disabled',
  disable_confirm: 'Disable the account of {name}? They will no longer be able to log in.',
  you: '(you)',
  audit_none: 'Nothing has been done yet.', outcome_ok: 'Succeeded', outcome_denied: 'Denied',
  outcome_failed: 'Failed', anonymous: 'Not logged in',
  join_title: 'Create your account', full_name: 'Full name', new_password: 'New password (at least 8 characters)',
  join_button: 'Create account', join_invalid: 'This invite is invalid or has expired.',
  join_check: 'Please check the name, phone number and password (at least 8 characters).',
  join_taken: 'This phone number already has an account.',
  act_access: 'Access', act_session_login: 'Log in', act_session_logout: 'Log out',
  act_user_add: 'Add account', act_user_reset_password: 'Reset password', act_user_disable: 'Disable account',
  act_user_enable: 'Enable account', act_me_update: 'Edit own details', act_invite_create: 'Create invite',
  act_invite_accept: 'Accept invite',
  nav_lights: 'Lights', lights_title: 'Street lights',
  lights_hint: 'A light shows yellow only once the light itself reports it is on.',
  lights_count: '{on} of {n} lights on', lights_offline_count: ', {off} offline',
  road_includes: 'Includes the alleys off this road.',
  options: 'Brightness and timer', turn_on: 'On', turn_off: 'Off', brightness: 'Brightness: {b}%', duration: 'For how long',
  for_none: 'Until the next command', for_1: 'For 1 hour', for_2: 'For 2 hours', for_4: 'For 4 hours',
  for_8: 'For 8 hours',
  sending: 'Sending the command…', command_failed: 'The command could not be sent. Please try again.',
  faults_title: 'Light faults', faults_none: 'No open faults.', fault_since: 'Since {t}',
  fault_seen_button: 'Seen', fault_seen: 'Seen at {t}',
  schedule_title: 'Lighting schedule', preset_applied: 'Schedule “{name}” applied.',
  preview_title: 'The next 7 days', preview_none: 'No change.',
  step_level: 'on at {b}%', step_off: 'off',
  rules_title: 'Current schedules', rules_none: 'No schedule yet.',
  rule_delete: 'Delete', rule_delete_confirm: 'Delete the schedule “{name}”?',
  rule_saved: 'Schedule “{name}” saved.', rule_deleted: 'Schedule “{name}” deleted.',
  rule_step: '{at} {what}', rule_until: 'off {at}',
  at_sunset: 'at sunset', at_sunrise: 'at sunrise',
  at_sunset_after: '{m} min after sunset', at_sunset_before: '{m} min before sunset',
  at_sunrise_after: '{m} min after sunrise', at_sunrise_before: '{m} min before sunrise',
  days_every: 'Every day', days_lunar: 'Full moon and new moon days', days_lunar_list: 'Lunar day {d}',
  days_special: 'Special days',
  wd_0: 'Mon', wd_1: 'Tue', wd_2: 'Wed', wd_3: 'Thu', wd_4: 'Fri', wd_5: 'Sat', wd_6: 'Sun',
  target_all: 'The whole hamlet',
  rule_add: 'Add a schedule', rule_target: 'Road or alley', rule_step_n: 'Step {n}', rule_at: 'At',
  rule_time: 'Time', rule_offset: 'Earlier or later',
  anchor_clock: 'A fixed time', anchor_sunset: 'At sunset', anchor_sunrise: 'At sunrise',
  offset_zero: 'Right then', offset_after: '{m} min later', offset_before: '{m} min earlier',
  rule_brightness: 'Brightness', level_off: 'Off',
  rule_add_step: 'Add a step', rule_remove_step: 'Remove this step',
  rule_until_hint: 'Unless the last step is “Off”, the lights go off at sunrise.',
  rule_days: 'Days', days_mode_every: 'Every day', days_mode_weekdays: 'Some weekdays',
  days_mode_lunar: 'Full and new moon', days_pick: 'Please choose at least one weekday.',
  rule_priority: 'Priority', priority_normal: 'Normal', priority_high: 'High',
  rule_name: 'Schedule name', rule_name_hint: 'Leave empty to name it automatically',
  rule_save: 'Save the schedule', rule_saving: 'Saving…',
  energy_title: 'Energy this month', energy_none: 'No data yet.',
  energy_row: '{kwh} kWh · {vnd} VND', energy_saved: 'Dimming saved {vnd} VND',
};

export const TABLES = { vi, en };
export const LANGS = ['vi', 'en'];
const KEY = 'hamlet.lang';

let current = LANGS.includes(localStorage.getItem(KEY)) ? localStorage.getItem(KEY) : 'vi';

export function lang() { return current; }

export function setLang(value) {
  if (!LANGS.includes(value)) return;
  current = value;
  localStorage.setItem(KEY, value); // remembered on this phone before login, too
  document.documentElement.lang = value;
}

/** The string for `key` in the current language, with {name} placeholders filled from `params`. */
export function t(key, params = {}) {
  const text = TABLES[current][key] ?? TABLES.vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}

/** A translation that may not exist (e.g. a reason code from the hub): falls back to the raw value. */
export function tOr(key, fallback) {
  return key in TABLES[current] ? t(key) : fallback;
}

document.documentElement.lang = current;
