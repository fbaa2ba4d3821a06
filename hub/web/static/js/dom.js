// Small DOM and formatting helpers. Text always goes in as text nodes (never innerHTML), so a device or a
// person's name can never inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** An HTML element: h('p', {class: 'x'}, 'text', h('b', {}, 'bold')). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, same call shape as h(). */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

const PARTS = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

/** dd/mm/yyyy HH:mm in the hamlet's time zone (Asia/Ho_Chi_Minh), whatever the phone's own zone is. */
export function formatTime(value) {
  if (value == null) return null;
  const date = typeof value === 'number' ? new Date(value) : new Date(Date.parse(value));
  if (Number.isNaN(date.getTime())) return null;
  const p = Object.fromEntries(PARTS.formatToParts(date).map((part) => [part.type, part.value]));
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
}

/** Calls `fn` at most once per `ms`, with the latest arguments (live updates arrive in bursts). */
export function throttle(fn, ms) {
  let timer = null;
  let last = 0;
  return (...args) => {
    const wait = last + ms - Date.now();
    clearTimeout(timer);
    timer = setTimeout(() => { last = Date.now(); fn(...args); }, Math.max(0, wait));
  };
}
