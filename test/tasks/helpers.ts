import { expect } from 'vitest';
import { ADMIN, sleep, type Api } from '../support/api-gateway.js';

export const TERMINAL = new Set(['success', 'failure']);

/** POST /v2/tasks, asserting 201. */
export async function createTask(api: Api, body: object, headers: Record<string, string> = ADMIN) {
  const r = await api.call('POST', '/v2/tasks', { headers: { ...headers, 'Content-Type': 'application/json' }, body });
  expect(r.status, r.text).toBe(201);
  return r.json();
}

/** Polls GET /v2/tasks/{id} until success or failure. */
export async function waitForTask(api: Api, id: string, headers: Record<string, string> = ADMIN, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await api.call('GET', `/v2/tasks/${id}`, { headers });
    expect(r.status, r.text).toBe(200);
    const t = r.json();
    if (TERMINAL.has(t.status) || Date.now() > deadline) return t;
    await sleep(25);
  }
}

export async function putObject(api: Api, container: string, object: string, data: Buffer, headers: Record<string, string> = ADMIN) {
  await api.call('PUT', `/containers/${container}`, { headers });
  const r = await api.call('PUT', `/containers/${container}/${object}`, { headers, body: data });
  expect(r.status, r.text).toBe(201);
  return r.json();
}
