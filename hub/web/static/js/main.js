// The app shell: session, language, hash routing, the bottom navigation, the health banner and the live
// stream. Pages are separate modules loaded on first visit, so the first screen downloads only what it shows.

import { ApiError, del, get, patch, whenUnauthorized } from './api.js';
import { h } from './dom.js';
import { lang, setLang, t } from './i18n.js';
import * as live from './live.js';

const PAGES = {
  home: { nav: 'nav_home', module: './pages/home.js' },
  map: { nav: 'nav_map', module: './pages/map.js' },
  lights: { nav: 'nav_lights', module: './pages/lights.js' }, // residents see status only
  cameras: { nav: 'nav_cameras', module: './pages/cameras.js' },
  broadcasts: { nav: 'nav_broadcasts', module: './pages/broadcasts.js' }, // residents: schedule, listen again
  devices: { nav: 'nav_devices', module: './pages/devices.js', roles: ['technician'] },
  residents: { nav: 'nav_residents', module: './pages/residents.js', roles: ['head'] },
  audit: { nav: 'nav_audit', module: './pages/audit.js', roles: ['head', 'technician'] },
  login: { module: './pages/login.js', public: true },
  invite: { module: './pages/invite.js', public: true }, // the head's invite link: #/invite/{code}
};
// Residents come for the cameras first; the head and the technician for their own pages.
const NAV = {
  resident: ['home', 'cameras', 'broadcasts', 'map', 'lights'],
  technician: ['home', 'map', 'lights', 'broadcasts', 'cameras', 'devices', 'audit'],
  head: ['home', 'broadcasts', 'map', 'lights', 'cameras', 'residents', 'audit'],
};
// Who may change anything. The hub enforces this on every route; the app only hides what would be refused.
const CONTROL_ROLES = ['head', 'technician'];

const app = {
  me: null,
  siteName: null,
  health: { broker: true, store: true },
  hubReachable: true,
  page: null,
  mountId: 0,
};

const el = {
  title: document.getElementById('title'),
  langButton: document.getElementById('lang'),
  banner: document.getElementById('banner'),
  view: document.getElementById('view'),
  nav: document.getElementById('nav'),
};

function parseHash() {
  const [name, ...args] = location.hash.replace(/^#\/?/, '').split('/');
  return { name: name || 'home', args: args.map(decodeURIComponent) };
}

export function navigate(name) {
  if (location.hash === `#/${name}`) route();
  else location.hash = `#/${name}`;
}

const ctx = {
  get me() { return app.me; },
  get canControl() { return Boolean(app.me && CONTROL_ROLES.includes(app.me.role)); },
  get health() { return app.health; },
  navigate,
  setSiteName(name) { app.siteName = name; renderHeader(); },
  async loggedIn() { await start(); },
  logout,
};

function renderHeader() {
  el.title.textContent = app.me && app.siteName ? app.siteName : t('app_name');
  el.langButton.textContent = t('lang_name');
  el.langButton.setAttribute('aria-label', `${t('lang_name')}: ${t('lang_switch')}`);
  document.title = t('app_name');
}

function renderNav(current) {
  const names = app.me ? NAV[app.me.role] || ['home'] : [];
  el.nav.hidden = names.length === 0;
  el.nav.setAttribute('aria-label', t('nav_label'));
  el.nav.replaceChildren(...names.map((name) => h('a', {
    href: `#/${name}`, 'data-ui': 'nav', 'data-page': name,
    'aria-current': name === current ? 'page' : null,
  }, t(PAGES[name].nav))));
}

function renderBanner() {
  const lines = [];
  if (!app.hubReachable) lines.push(t('banner_hub'));
  else {
    if (!app.health.broker) lines.push(h('span', { 'data-banner': 'broker' }, t('banner_broker')));
    if (!app.health.store) lines.push(h('span', { 'data-banner': 'store' }, t('banner_store')));
  }
  el.banner.hidden = lines.length === 0 || !app.me;
  el.banner.replaceChildren(...lines.map((line) => h('p', {}, line)));
}

async function route() {
  const { name, args } = parseHash();
  const page = PAGES[name];
  if (!app.me && !(page && page.public)) return mount('login', []);
  if (app.me && (!page || page.public)) return navigate('home');
  if (page.roles && !page.roles.includes(app.me.role)) {
    renderNav(name);
    app.page?.destroy?.();
    app.page = { relabel() { el.view.firstChild.textContent = t('forbidden'); } };
    el.view.replaceChildren(h('p', { class: 'notice', 'data-forbidden': '' }, t('forbidden')));
    el.view.dataset.ready = name;
    return undefined;
  }
  return mount(name, args);
}

async function mount(name, args) {
  const id = ++app.mountId;
  delete el.view.dataset.ready; // set again once the page has its data (the browser tests wait for it)
  renderNav(name);
  app.page?.destroy?.();
  app.page = null;
  el.view.replaceChildren(h('p', { class: 'muted' }, t('loading')));
  try {
    const module = await import(PAGES[name].module);
    if (id !== app.mountId) return; // the user moved on while the module loaded
    const page = module.mount(ctx, args);
    app.page = page;
    el.view.replaceChildren(page.el);
    el.view.focus({ preventScroll: true });
    await page.ready;
    if (id === app.mountId) el.view.dataset.ready = name;
  } catch (error) {
    if (id !== app.mountId || (error instanceof ApiError && error.status === 401)) return;
    console.error(error);
    el.view.replaceChildren(h('p', { class: 'notice error' }, t('error')));
  }
}

// The live events by name (hub/events.py): the banner takes 'health'; every other event goes to the page
// shown, as its method of the same name, if it has one. A service's new event is one line here.
const toPage = (data, name) => app.page?.[name]?.(data);
const LIVE = {
  health(health) { app.health = health; renderBanner(); },
  devices: toPage,
  light_command: toPage,
  light_fault: toPage,
  broadcast_changed: toPage,
  broadcast_delivery: toPage,
  broadcast_dead_air: toPage,
  speaker_fault: toPage,
  camera_health: toPage,
  camera_fault: toPage,
};

function startLive() {
  live.connect({
    events: LIVE,
    resync() { route(); },
    connection(ok) { app.hubReachable = ok; renderBanner(); },
    ended() {
      // Refused (the session ended) or the hub went away: /api/me tells which; retry while logged in.
      app.hubReachable = false;
      renderBanner();
      setTimeout(() => { if (app.me) get('/api/me').then(startLive, () => {}); }, 5000);
    },
  });
}

async function start() {
  try {
    app.me = await get('/api/me');
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    app.me = null;
  }
  if (app.me) {
    if (app.me.language && app.me.language !== lang()) setLang(app.me.language);
    startLive();
  }
  renderHeader();
  renderBanner();
  await route();
}

async function logout() {
  live.disconnect();
  await del('/api/session').catch(() => {});
  signedOut();
}

function signedOut() {
  app.me = null;
  app.siteName = null;
  live.disconnect();
  renderHeader();
  renderBanner();
  navigate('login');
}

el.langButton.addEventListener('click', () => {
  const next = lang() === 'vi' ? 'en' : 'vi';
  setLang(next);
  if (app.me) {
    app.me.language = next;
    patch('/api/me', { language: next }).catch((error) => console.error('language not saved', error));
  }
  renderHeader();
  renderBanner();
  if (app.page?.relabel) {
    renderNav(parseHash().name);
    app.page.relabel();
  } else route();
});

whenUnauthorized(() => { if (app.me) signedOut(); });
window.addEventListener('hashchange', route);
start();
