import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../../src/core/errors.js';
import { StaticTokenAuthenticator, StaticTokenFileError } from '../../src/http/auth/static-tokens.js';

const never = new AbortController().signal;
let dir: string;
let file: string;

const write = (doc: unknown): void => writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'static-tokens-'));
  file = join(dir, 'tokens.json');
  write({
    'tok-alice-SECRET': { project_id: 'proj-a', user_id: 'alice', roles: ['Member'] },
    'tok-root-SECRET': { project_id: 'proj-admin', user_id: 'root', roles: ['admin', 'member'] },
    'tok-anon-SECRET': { project_id: null, user_id: null, roles: [] },
  });
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('StaticTokenAuthenticator', () => {
  it('maps a known token to its context', async () => {
    const a = new StaticTokenAuthenticator(file);
    expect(a.mode).toBe('static');
    expect(a.size).toBe(3);
    expect(await a.authenticate({ 'x-auth-token': 'tok-alice-SECRET' }, 'r1', never)).toEqual({
      projectId: 'proj-a',
      userId: 'alice',
      roles: ['member'],
      isAdmin: false,
      requestId: 'r1',
      readOnly: false,
      authToken: 'tok-alice-SECRET',
    });
    const root = await a.authenticate({ 'x-auth-token': 'tok-root-SECRET' }, 'r2', never);
    expect(root.isAdmin).toBe(true);
    const anon = await a.authenticate({ 'x-auth-token': 'tok-anon-SECRET' }, 'r3', never);
    expect(anon.projectId).toBeNull();
  });

  it('unknown or missing token → 401 with WWW-Authenticate: Static', async () => {
    const a = new StaticTokenAuthenticator(file);
    for (const headers of [{}, { 'x-auth-token': 'nope' }, { 'x-auth-token': '' }]) {
      const e = (await caught(a.authenticate(headers, 'r', never))) as UnauthorizedError;
      expect(e).toBeInstanceOf(UnauthorizedError);
      expect(e.status).toBe(401);
      expect(e.headers).toEqual({ 'WWW-Authenticate': 'Static' });
      expect(e.message).toMatch(/^This server could not verify/);
      expect(e.message).not.toContain('nope');
    }
    const quiet = new StaticTokenAuthenticator(file, { wwwAuthenticate: null });
    expect(((await caught(quiet.authenticate({}, 'r', never))) as UnauthorizedError).headers).toEqual({});
  });

  it('reload() picks up changes (added, changed and removed tokens)', async () => {
    const a = new StaticTokenAuthenticator(file);
    write({
      'tok-alice-SECRET': { project_id: 'proj-a', user_id: 'alice', roles: ['admin'] },
      'tok-bob-SECRET': { project_id: 'proj-b', user_id: 'bob', roles: ['reader'] },
    });
    expect(a.reload()).toBe(2);
    expect((await a.authenticate({ 'x-auth-token': 'tok-alice-SECRET' }, 'r', never)).isAdmin).toBe(true);
    expect((await a.authenticate({ 'x-auth-token': 'tok-bob-SECRET' }, 'r', never)).userId).toBe('bob');
    expect(await caught(a.authenticate({ 'x-auth-token': 'tok-root-SECRET' }, 'r', never))).toBeInstanceOf(UnauthorizedError);
  });

  it('a bad reload keeps the old table and throws an error naming the file', async () => {
    const a = new StaticTokenAuthenticator(file);
    write('{ "tok-new-SECRET": { "project_id": "p", ');
    const e = thrown(() => a.reload());
    expect(e).toBeInstanceOf(StaticTokenFileError);
    expect(e.message).toContain(file);
    expect(e.message).not.toContain('SECRET');
    expect((await a.authenticate({ 'x-auth-token': 'tok-alice-SECRET' }, 'r', never)).userId).toBe('alice');
    rmSync(file);
    expect(thrown(() => a.reload()).message).toMatch(/cannot read \(ENOENT\)/);
    expect(a.size).toBe(3);
  });

  it('validates strictly, naming the file and the entry but never the token', () => {
    const cases: Array<[unknown, RegExp]> = [
      [[], /must be a JSON object/],
      [{ 'tok-x-SECRET': 'member' }, /entry #1: must be an object/],
      [{ 'tok-a-SECRET': { project_id: 'p', user_id: 'u', roles: [] }, 'tok-x-SECRET': { user_id: 'u', roles: [] } }, /entry #2: project_id is required/],
      [{ 'tok-x-SECRET': { project_id: 5, user_id: 'u', roles: [] } }, /entry #1: project_id must be a non-empty string or null/],
      [{ 'tok-x-SECRET': { project_id: 'p', user_id: '', roles: [] } }, /entry #1: user_id must be/],
      [{ 'tok-x-SECRET': { project_id: 'p', user_id: 'u', roles: 'admin' } }, /entry #1: roles must be an array/],
      [{ 'tok-x-SECRET': { project_id: 'p', user_id: 'u', roles: [''] } }, /entry #1: roles must be an array of non-empty strings/],
      [{ 'tok-x-SECRET': { project_id: 'p', user_id: 'u', roles: [], is_admin: true } }, /entry #1: unknown key "is_admin"/],
      [{ 'tok x SECRET': { project_id: 'p', user_id: 'u', roles: [] } }, /entry #1: the token must be/],
      ['not json SECRET', /not valid JSON/],
    ];
    for (const [doc, re] of cases) {
      write(doc);
      const e = thrown(() => new StaticTokenAuthenticator(file));
      expect(e).toBeInstanceOf(StaticTokenFileError);
      expect(e.message).toMatch(re);
      expect(e.message).toContain(file);
      expect(e.message).not.toContain('SECRET');
    }
  });
});
