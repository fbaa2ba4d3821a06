// Live updates from GET /api/events (server-sent events). EventSource reconnects by itself; after a
// reconnect the page reloads its data, since changes may have been missed while the stream was down.

let source = null;
let opened = 0;
let lostTimer = null;

/**
 * events: a table { name: handler(data, name) } of the server's event names (EventSource hears a named
 * event only through a listener of that name, so the table is the list). 'health' is always first on a
 * stream; after a reconnect it also triggers resync().
 * resync(), connection(ok), ended(): the stream's life. ended() is called when the hub refuses the stream
 * (e.g. the session expired): no automatic retry then.
 */
export function connect({ events, resync, connection, ended }) {
  disconnect();
  opened = 0;
  const es = new EventSource('/api/events');
  source = es;
  let fresh = false;
  es.addEventListener('open', () => {
    opened += 1;
    fresh = true;
    clearTimeout(lostTimer);
    connection(true);
  });
  for (const [name, handler] of Object.entries(events)) {
    es.addEventListener(name, (event) => {
      handler(JSON.parse(event.data), name);
      if (name === 'health') {
        if (fresh && opened > 1) resync();
        fresh = false;
      }
    });
  }
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED) {
      ended();
      return;
    }
    // A short blip is normal on 4G: say so only if the stream stays down.
    clearTimeout(lostTimer);
    lostTimer = setTimeout(() => { if (es.readyState !== EventSource.OPEN) connection(false); }, 3000);
  });
}

export function disconnect() {
  clearTimeout(lostTimer);
  if (source) source.close();
  source = null;
}
