/**
 * Seed 000 ("Manage images using cURL") replayed with the real curl binary against a real gateway.
 * Where the 2016 walkthrough is out of date, the test asserts what Glance (Zed) answers
 * (spec v2-api.md): default visibility `shared`; PATCH with `application/json` → 415 + Accept-Patch;
 * `/login-user` names the property `login-user`; upload → 204 (not 201). The walkthrough never
 * sets disk/container formats, so its upload is first refused with 400 exactly as Glance does.
 * The token is a dummy in noauth mode (admin in `admin`), the target's admin token with Keystone.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CURL, describeRun, run, tempDir } from './gateway.js';
import { md5, randomFile } from './http.js';
import type { Target } from './target.js';

const SIZE = 3 * 1024 * 1024 + 99;
const TOKEN = '6583fb17c27b48b4b4a6033fe9cc0fe0';
const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

interface CurlResult {
  status: number;
  /** Status codes of every response head curl saw (100 Continue included). */
  statuses: number[];
  headers: Record<string, string>;
  body: Buffer;
}

const json = (r: CurlResult) => JSON.parse(r.body.toString('utf8'));
const V21 = 'Content-Type: application/openstack-images-v2.1-json-patch';

export function curlWalkthroughScenario(target: () => Target): void {
  describe('curl walkthrough (seed 000)', () => {
    let t: Target;
    let work: string;
    let file: string;
    let fileMd5: string;
    let id = '';
    let n = 0;

    async function curl(args: string[]): Promise<CurlResult> {
      n++;
      const hdr = path.join(work, `h${n}`);
      const out = path.join(work, `b${n}`);
      const token = t.auth === 'keystone' ? t.token : TOKEN;
      const r = await run(CURL, ['-sS', '-D', hdr, '-o', out, '-H', `X-Auth-Token: ${token}`, ...args], { timeoutMs: 60_000 });
      if (r.code !== 0) throw new Error(`curl failed: ${describeRun(r)}`);
      const blocks = readFileSync(hdr, 'latin1').split(/\r\n\r\n/).filter((b) => b.startsWith('HTTP/'));
      const statuses = blocks.map((b) => Number(b.split(' ')[1]));
      const headers: Record<string, string> = {};
      for (const line of (blocks[blocks.length - 1] ?? '').split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      return { status: statuses[statuses.length - 1] ?? 0, statuses, headers, body: readFileSync(out) };
    }

    beforeAll(async () => {
      t = target();
      work = tempDir('curl');
      file = path.join(work, 'ubuntu-14.04.qcow2');
      fileMd5 = (await randomFile(file, SIZE)).md5;
    });

    it('create an image: 201, Location, body', async () => {
      const r = await curl(['-X', 'POST', '-H', 'Content-Type: application/json',
        '-d', '{"name": "Ubuntu 14.04", "tags": ["ubuntu", "14.04", "trusty"]}', `${t.url}/v2/images`]);
      expect(r.status).toBe(201);
      const img = json(r);
      id = img.id;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(r.headers.location).toBe(`${t.url}/v2/images/${id}`);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['content-length']).toBe(String(r.body.length));
      expect(r.headers['x-openstack-request-id']).toMatch(/^req-[0-9a-f-]{36}$/);
      expect(img).toMatchObject({
        name: 'Ubuntu 14.04', status: 'queued', visibility: 'shared', protected: false, owner: t.adminProject,
        disk_format: null, container_format: null, size: null, virtual_size: null, checksum: null,
        min_ram: 0, min_disk: 0, os_hidden: false, os_hash_algo: null, os_hash_value: null,
        file: `/v2/images/${id}/file`, self: `/v2/images/${id}`, schema: '/v2/schemas/image',
      });
      expect([...img.tags].sort()).toEqual(['14.04', 'trusty', 'ubuntu']);
      expect(img.created_at).toMatch(TS);
      expect(img.updated_at).toBe(img.created_at);
    });

    it('update with Content-Type application/json: 415 with Accept-Patch, image unchanged', async () => {
      const r = await curl(['-X', 'PATCH', '-H', 'Content-Type: application/json',
        '-d', '[{"op": "add", "path": "/login-user", "value": "root"}]', `${t.url}/v2/images/${id}`]);
      expect(r.status).toBe(415);
      expect(r.headers['accept-patch']).toBe(
        'application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch',
      );
      // curl sends Accept: */* → WebOb's HTML error page (spec §1.6).
      expect(r.headers['content-type']).toBe('text/html; charset=UTF-8');
      const text = r.body.toString('utf8');
      expect(text).toContain('<h1>415 Unsupported Media Type</h1>');
      expect(text).toContain('The request media type application/json is not supported by this server.');
      const img = json(await curl([`${t.url}/v2/images/${id}`]));
      expect(img).not.toHaveProperty('login-user');
      expect(img).not.toHaveProperty('login_user');
    });

    it('update with the json-patch media type adds property "login-user"', async () => {
      const r = await curl(['-X', 'PATCH', '-H', V21,
        '-d', '[{"op": "add", "path": "/login-user", "value": "root"}]', `${t.url}/v2/images/${id}`]);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/json');
      const img = json(r);
      expect(img['login-user']).toBe('root');
      expect(img).not.toHaveProperty('login_user');
      expect(Object.keys(img)[0]).toBe('login-user'); // extra properties serialize first (§3.1)
      expect(img).toMatchObject({ id, name: 'Ubuntu 14.04', status: 'queued', visibility: 'shared' });
      expect(img.updated_at).toMatch(TS);
      expect(img.updated_at >= img.created_at).toBe(true);
      expect(json(await curl([`${t.url}/v2/images/${id}`]))['login-user']).toBe('root');
    });

    it('upload before formats are set: 400, image stays queued', async () => {
      const r = await curl(['-X', 'PUT', '-H', 'Content-Type: application/octet-stream', '--data-binary', `@${file}`,
        `${t.url}/v2/images/${id}/file`]);
      expect(r.status).toBe(400);
      expect(r.body.toString('utf8')).toContain('Properties disk_format, container_format must be set prior to saving data.');
      expect(json(await curl([`${t.url}/v2/images/${id}`])).status).toBe('queued');
    });

    it('upload binary image data: 204 (100 Continue first, as curl asks for it on a large body)', async () => {
      const p = await curl(['-X', 'PATCH', '-H', V21, '-d',
        '[{"op": "add", "path": "/disk_format", "value": "qcow2"}, {"op": "add", "path": "/container_format", "value": "bare"}]',
        `${t.url}/v2/images/${id}`]);
      expect(p.status).toBe(200);
      const r = await curl(['-X', 'PUT', '-H', 'Content-Type: application/octet-stream', '-H', 'Expect: 100-continue',
        '--data-binary', `@${file}`, `${t.url}/v2/images/${id}/file`]);
      expect(r.statuses).toEqual([100, 204]);
      expect(r.body.length).toBe(0);
      const img = json(await curl([`${t.url}/v2/images/${id}`]));
      expect(img).toMatchObject({ status: 'active', size: SIZE, checksum: fileMd5, os_hash_algo: 'sha512' });
    });

    it('upload without Expect: 100-continue: 204 straight away', async () => {
      const c = await curl(['-X', 'POST', '-H', 'Content-Type: application/json',
        '-d', '{"name": "no-expect", "disk_format": "raw", "container_format": "bare"}', `${t.url}/v2/images`]);
      expect(c.status).toBe(201);
      const other = json(c).id;
      const r = await curl(['-X', 'PUT', '-H', 'Content-Type: application/octet-stream', '-H', 'Expect:',
        '--data-binary', `@${file}`, `${t.url}/v2/images/${other}/file`]);
      expect(r.statuses).toEqual([204]);
      expect(json(await curl([`${t.url}/v2/images/${other}`]))).toMatchObject({ status: 'active', size: SIZE, checksum: fileMd5 });
    });

    it('download binary image data: 200, Content-MD5, same bytes', async () => {
      const r = await curl(['-X', 'GET', `${t.url}/v2/images/${id}/file`]);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/octet-stream');
      expect(r.headers['content-md5']).toBe(fileMd5);
      expect(r.body.length).toBe(SIZE);
      expect(md5(r.body)).toBe(fileMd5);
    });

    it('delete an image: 204, then GET answers 404', async () => {
      const r = await curl(['-X', 'DELETE', `${t.url}/v2/images/${id}`]);
      expect(r.status).toBe(204);
      expect(r.body.length).toBe(0);
      expect(r.headers['content-length'] ?? '0').toBe('0');
      const g = await curl([`${t.url}/v2/images/${id}`]);
      expect(g.status).toBe(404);
      expect(g.headers['content-type']).toBe('text/html; charset=UTF-8');
      expect(g.body.toString('utf8')).toContain(`<h1>404 Not Found</h1>\n  No image found with ID ${id}`);
      expect((await curl(['-X', 'DELETE', `${t.url}/v2/images/${id}`])).status).toBe(404);
      expect((await curl([`${t.url}/v2/images/${id}/file`])).status).toBe(404);
    });
  });
}
