/** A JSON client for a listening API in e2e tests: status and parsed body (text when not JSON). */
export function apiCaller(baseUrl: () => string, defaultKey: () => string) {
  return async function call(method: string, route: string, body?: unknown, key = defaultKey()) {
    const res = await fetch(new URL(route, baseUrl()), {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, type, body: /json/.test(type) && text ? JSON.parse(text) : text };
  };
}
