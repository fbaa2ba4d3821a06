// The hub's JSON API. State-changing requests carry the CSRF token the hub set in the `hamlet_csrf`
// cookie (the session cookie itself is HttpOnly and never readable here).

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.retryAfter = retryAfter;
  }
}

let onUnauthorized = () => {};

/** What to do when the session is gone (expired, logged out elsewhere): the app shows the login page. */
export function whenUnauthorized(handler) { onUnauthorized = handler; }

function csrf() {
  const found = document.cookie.split('; ').find((c) => c.startsWith('hamlet_csrf='));
  return found ? decodeURIComponent(found.slice('hamlet_csrf='.length)) : '';
}

async function send(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && path !== '/api/session') onUnauthorized();
    throw new ApiError(response.status, data, Number(response.headers.get('Retry-After')) || null);
  }
  return { data, response };
}

export async function api(method, path, body) {
  return (await send(method, path, body)).data;
}

/** Every page of a paged list (GET /api/devices), following its `Link: <…>; rel="next"` header. */
export async function getAll(path) {
  const items = [];
  for (let next = path; next;) {
    const { data, response } = await send('GET', next);
    items.push(...data);
    next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('Link') ?? '')?.[1];
  }
  return items;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body ?? {});
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);
