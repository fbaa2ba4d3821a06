// Live updates from GET /api/events (server-sent events). EventSource reconnects by itself; after a
// reconnect the page reloads its data, since changes may have been missed while the stream was down.

let source = null;
let opened = 0;
let lostTimer = null;

/**
 * handlers: health({broker, store}), devices([{id, online, state}]), resync(), connection(ok), ended(),
 * lights(kind, data) for 'light_command' (a command's roll-up) and 'light_fault' (head and technician only)
 * ended() is called when the hub refuses the stream (e.g. the session expired): no automatic retry then.
 */
export function connect(handlers) {
  disconnect();
  opened = 0;
  const es = new EventSource('/api/events');
  source = es;
  let fresh = false;
  es.addEventListener('open', () => {
    opened += 1;
    fresh = true;
    clearTimeout(lostTimer);
    handlers.connection(true);
  });
  es.addEventListener('health', (event) => {
    handlers.health(JSON.parse(event.data));
    if (fresh && opened > 1) handlers.resync();
    fresh = false;
  });
  es.addEventListener('devices', (event) => handlers.devices(JSON.parse(event.data)));
  for (const kind of ['light_command', 'light_fault']) {
    es.addEventListener(kind, (event) => handlers.lights?.(kind, JSON.parse(event.data)));
  }
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED) {
      handlers.ended();
      return;
    }
    // A short blip is normal on 4G: say so only if the stream stays down.
    clearTimeout(lostTimer);
    lostTimer = setTimeout(() => { if (es.readyState !== EventSource.OPEN) handlers.connection(false); }, 3000);
  });
}

export function disconnect() {
  clearTimeout(lostTimer);
  if (source) source.close();
  source = null;
}
