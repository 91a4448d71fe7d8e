/**
 * Image data: upload, download with ranges, size cap, aborts, stage + glance-direct import,
 * and the deactivate/reactivate state rules (spec v2 §4, §5.6, §6, §7.2).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeContext, type RequestContext } from '../../src/core/context.js';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  RangeNotSatisfiableError,
} from '../../src/core/errors.js';
import type { ByteRangeRequest } from '../../src/core/range.js';
import {
  bytesStream,
  CONFORMANCE_REQUIREMENTS,
  expectReject,
  md5,
  NO_ABORT,
  op,
  readAll,
  sha512,
  sleep,
  slowStream,
  type Harness,
} from './harness.js';

const CAP = CONFORMANCE_REQUIREMENTS.imageSizeCap;
const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
const RAW = { disk_format: 'raw', container_format: 'bare' };

const range = (start: number, end: number | null): ByteRangeRequest => ({ kind: 'range', start, end, source: 'range' });
const suffix = (length: number): ByteRangeRequest => ({ kind: 'suffix', length, source: 'range' });

export function dataTests(h: () => Harness): void {
  const owner = (): RequestContext => h().user(h().project('data'));

  describe('upload and download', () => {
    it('upload from a Readable → active with size, md5, sha512; full download returns the bytes', async () => {
      const ctx = owner();
      const data = randomBytes(20_000);
      const img = await h().create(ctx, h().scope(), RAW);
      const out = await h().core.uploadImageData(ctx, img.id, bytesStream(data, 3000), {}, NO_ABORT);
      const expected = {
        status: 'active',
        size: data.length,
        checksum: md5(data),
        os_hash_algo: 'sha512',
        os_hash_value: sha512(data),
        virtual_size: data.length,
      };
      expect(out).toMatchObject(expected);
      expect(await h().core.getImage(ctx, img.id, NO_ABORT)).toMatchObject(expected);
      const dl = await h().core.openImageData(ctx, img.id, null, NO_ABORT);
      expect(dl).not.toBeNull();
      expect(dl!.range).toBeNull();
      expect(dl!.size).toBe(data.length);
      expect(dl!.length).toBe(data.length);
      expect(dl!.image.checksum).toBe(md5(data));
      expect((await readAll(dl!.stream)).equals(data)).toBe(true);
    });

    it('members and public viewers may download; the owner of a queued image gets null', async () => {
      const ctx = owner();
      const img = await h().create(ctx, h().scope(), { ...RAW, visibility: 'community' });
      expect(await h().core.openImageData(ctx, img.id, null, NO_ABORT)).toBeNull();
      expect(await h().core.openImageData(ctx, img.id, range(0, 4), NO_ABORT)).toBeNull();
      expect(await h().core.openImageData(ctx, img.id, suffix(3), NO_ABORT)).toBeNull();
      await h().upload(ctx, img.id, Buffer.from('community'));
      const dl = await h().core.openImageData(h().user(h().project('any')), img.id, null, NO_ABORT);
      expect((await readAll(dl!.stream)).toString()).toBe('community');
    });

    it('a zero-byte upload is valid', async () => {
      const ctx = owner();
      const img = await h().create(ctx, h().scope(), RAW);
      const out = await h().upload(ctx, img.id, Buffer.alloc(0));
      expect(out).toMatchObject({ status: 'active', size: 0, checksum: EMPTY_MD5, virtual_size: null, os_hash_value: sha512(Buffer.alloc(0)) });
      const dl = await h().core.openImageData(ctx, img.id, null, NO_ABORT);
      expect(dl!.length).toBe(0);
      expect((await readAll(dl!.stream)).length).toBe(0);
      await expectReject(h().core.openImageData(ctx, img.id, range(0, 0), NO_ABORT), RangeNotSatisfiableError);
      await expectReject(h().core.openImageData(ctx, img.id, suffix(1), NO_ABORT), RangeNotSatisfiableError);
    });

    describe('ranges on "hello" (spec v2 §6.2 table)', () => {
      let id = '';
      let ctx: RequestContext;
      const ready = async () => {
        if (id !== '') return;
        ctx = owner();
        const img = await h().create(ctx, h().scope(), RAW);
        await h().upload(ctx, img.id, Buffer.from('hello'));
        id = img.id;
      };
      it.each<[string, ByteRangeRequest, number, number, string]>([
        ['bytes=0-4', range(0, 4), 0, 4, 'hello'],
        ['bytes=4-', range(4, null), 4, 4, 'o'],
        ['bytes=-3', suffix(3), 2, 4, 'llo'],
        ['bytes=-100', suffix(100), 0, 4, 'hello'],
        ['bytes=0-15', range(0, 15), 0, 4, 'hello'],
        ['bytes=1-2', range(1, 2), 1, 2, 'el'],
        ['bytes=0-0', range(0, 0), 0, 0, 'h'],
        ['Content-Range bytes 0-4/*', { kind: 'range', start: 0, end: 4, source: 'content-range', totalUnknown: true }, 0, 4, 'hello'],
        ['Content-Range bytes 1-3/5', { kind: 'range', start: 1, end: 3, source: 'content-range' }, 1, 3, 'ell'],
      ])('%s', async (_what, req, start, end, body) => {
        await ready();
        const dl = await h().core.openImageData(ctx, id, req, NO_ABORT);
        expect(dl!.range).toEqual({ start, end });
        expect(dl!.size).toBe(5);
        expect(dl!.length).toBe(end - start + 1);
        expect(dl!.image.checksum).toBe(md5(Buffer.from('hello')));
        expect((await readAll(dl!.stream)).toString()).toBe(body);
      });
      it.each<[string, ByteRangeRequest]>([
        ['bytes=5-', range(5, null)],
        ['bytes=16-', range(16, null)],
        ['bytes=5-9', range(5, 9)],
        ['Content-Range bytes 0-5/* (stop beyond the end)', { kind: 'range', start: 0, end: 5, source: 'content-range', totalUnknown: true }],
        ['Content-Range bytes 7-9/10', { kind: 'range', start: 7, end: 9, source: 'content-range' }],
      ])('%s → RangeNotSatisfiable', async (_what, req) => {
        await ready();
        await expectReject(h().core.openImageData(ctx, id, req, NO_ABORT), RangeNotSatisfiableError);
      });
    });

    it('upload to a non-queued image → Conflict; without formats → BadRequest and still queued', async () => {
      const ctx = owner();
      const img = await h().create(ctx, h().scope(), RAW);
      await h().upload(ctx, img.id, Buffer.from('once'));
      await expectReject(h().upload(ctx, img.id, Buffer.from('twice')), ConflictError);
      expect((await h().core.getImage(ctx, img.id, NO_ABORT)).checksum).toBe(md5(Buffer.from('once')));
      for (const input of [{}, { disk_format: 'raw' }, { container_format: 'bare' }]) {
        const bare = await h().create(ctx, h().scope(), input);
        await expectReject(h().upload(ctx, bare.id, Buffer.from('x')), BadRequestError, /must be set prior to saving data\.$/);
        expect(await h().core.getImage(ctx, bare.id, NO_ABORT)).toMatchObject({ status: 'queued', size: null });
      }
      await expectReject(h().upload(ctx, '00000000-0000-0000-0000-000000000000', Buffer.from('x')), NotFoundError);
    });

    it('formats are frozen once the image has data', async () => {
      const ctx = owner();
      const img = await h().create(ctx, h().scope(), RAW);
      expect((await h().patch(ctx, img.id, op('replace', 'disk_format', 'qcow2'))).disk_format).toBe('qcow2');
      await h().upload(ctx, img.id, Buffer.from('data'));
      await expectReject(h().patch(ctx, img.id, op('replace', 'disk_format', 'raw')), ForbiddenError);
      await expectReject(h().patch(ctx, img.id, op('replace', 'container_format', 'ovf')), ForbiddenError);
    });

    it(`an upload over the size cap (${CAP} bytes) → PayloadTooLarge, image back to queued, retry works`, async () => {
      const ctx = owner();
      const img = await h().create(ctx, h().scope(), RAW);
      await expectReject(h().upload(ctx, img.id, Buffer.alloc(CAP + 1, 7)), PayloadTooLargeError);
      expect(await h().core.getImage(ctx, img.id, NO_ABORT)).toMatchObject({ status: 'queued', size: null, checksum: null });
      expect(await h().core.openImageData(ctx, img.id, null, NO_ABORT)).toBeNull();
      const declared = h().core.uploadImageData(ctx, img.id, bytesStream(Buffer.from('x')), { contentLength: CAP + 1 }, NO_ABORT);
      await expectReject(declared, PayloadTooLargeError);
      expect((await h().core.getImage(ctx, img.id, NO_ABORT)).status).toBe('queued');
      const exact = Buffer.alloc(CAP, 3);
      expect(await h().upload(ctx, img.id, exact)).toMatchObject({ status: 'active', size: CAP, checksum: md5(exact) });
    });

    it('an aborted upload rejects, the image returns to queued, and a second upload works', async () => {
      const ctx = owner();
      const img = await h().create(ctx, h().scope(), RAW);
      const ac = new AbortController();
      const pending = h().core.uploadImageData(ctx, img.id, slowStream(200, 1024, 10), {}, ac.signal);
      await sleep(120);
      ac.abort();
      let failed = false;
      await pending.catch(() => (failed = true));
      expect(failed).toBe(true);
      const after = await h().waitFor(ctx, img.id, (i) => i.status === 'queued', 5000);
      expect(after).toMatchObject({ status: 'queued', size: null, checksum: null });
      const data = randomBytes(5000);
      expect(await h().upload(ctx, img.id, data)).toMatchObject({ status: 'active', size: 5000, checksum: md5(data) });
      const dl = await h().core.openImageData(ctx, img.id, null, NO_ABORT);
      expect((await readAll(dl!.stream)).equals(data)).toBe(true);
    });
  });

  describe('upload lifecycle', () => {
    it('a second upload while the first is running → Conflict; the first still completes', async () => {
      const ctx = owner();
      const img = await h().create(ctx, h().scope(), RAW);
      const first = h().core.uploadImageData(ctx, img.id, slowStream(10, 100, 20), {}, NO_ABORT);
      await sleep(60);
      expect((await h().core.getImage(ctx, img.id, NO_ABORT)).status).toBe('saving');
      await expectReject(h().upload(ctx, img.id, Buffer.from('second')), ConflictError);
      await expectReject(h().core.stageImageData(ctx, img.id, bytesStream(Buffer.from('s')), {}, NO_ABORT), ConflictError);
      expect(await first).toMatchObject({ status: 'active', size: 1000 });
      expect(await h().core.getImage(ctx, img.id, NO_ABORT)).toMatchObject({ status: 'active', size: 1000 });
    });

    it('deleting the image during an upload makes the upload fail and leaves nothing behind', async () => {
      const ctx = owner();
      const scope = h().scope();
      const img = await h().create(ctx, scope, RAW);
      const pending = h().core.uploadImageData(ctx, img.id, slowStream(10, 100, 20), {}, NO_ABORT);
      await sleep(60);
      await h().core.deleteImage(ctx, img.id, NO_ABORT);
      let failed = false;
      await pending.catch(() => (failed = true));
      expect(failed).toBe(true);
      await expectReject(h().core.getImage(ctx, img.id, NO_ABORT), NotFoundError);
      await expectReject(h().core.openImageData(h().admin(), img.id, null, NO_ABORT), NotFoundError);
      expect(await h().listIds(h().admin(), scope, { visibility: 'all' })).toEqual([]);
    });

    it('an upload with an already aborted signal fails and leaves the image queued', async () => {
      const ctx = owner();
      const img = await h().create(ctx, h().scope(), RAW);
      const ac = new AbortController();
      ac.abort();
      let failed = false;
      await h().core.uploadImageData(ctx, img.id, bytesStream(Buffer.from('x')), {}, ac.signal).catch(() => (failed = true));
      expect(failed).toBe(true);
      expect((await h().waitFor(ctx, img.id, (i) => i.status === 'queued', 5000)).status).toBe('queued');
      expect((await h().upload(ctx, img.id, Buffer.from('ok'))).status).toBe('active');
    });

    it('a read-only (anonymous) context may read but not write', async () => {
      const p = h().project('ro');
      const img = await h().create(h().admin(), h().scope(), { ...RAW, visibility: 'public', owner: p });
      const ro = makeContext({ projectId: p, roles: ['member'], requestId: 'req-ro', readOnly: true });
      expect((await h().core.getImage(ro, img.id, NO_ABORT)).id).toBe(img.id);
      await expectReject(h().core.createImage(ro, {}, NO_ABORT), ForbiddenError, 'Read-only access');
      await expectReject(h().patch(ro, img.id, op('replace', 'name', 'x')), ForbiddenError, 'Read-only access');
      await expectReject(h().core.addTag(ro, img.id, 't', NO_ABORT), ForbiddenError, 'Read-only access');
      await expectReject(h().core.deleteImage(ro, img.id, NO_ABORT), ForbiddenError, 'Read-only access');
      await expectReject(h().upload(ro, img.id, Buffer.from('x')), ForbiddenError, 'Read-only access');
      expect((await h().core.getImage(ro, img.id, NO_ABORT)).status).toBe('queued');
    });

    it('hidden images are readable by id; admins can read deleted ones with includeDeleted', async () => {
      const ctx = owner();
      const img = await h().create(ctx, h().scope(), { os_hidden: true });
      expect((await h().core.getImage(ctx, img.id, NO_ABORT)).os_hidden).toBe(true);
      await h().core.deleteImage(ctx, img.id, NO_ABORT);
      if (!h().capabilities.showsDeletedImages) {
        await expectReject(h().core.getImage(h().admin(), img.id, NO_ABORT, { includeDeleted: true }), NotFoundError);
        return;
      }
      const deleted = await h().core.getImage(h().admin(), img.id, NO_ABORT, { includeDeleted: true });
      expect(deleted).toMatchObject({ id: img.id, deleted: true, status: 'deleted' });
      expect(deleted.deleted_at).not.toBeNull();
      await expectReject(h().core.getImage(ctx, img.id, NO_ABORT, { includeDeleted: true }), NotFoundError);
    });
  });

  describe('deactivate / reactivate', () => {
    it('follows the state rules and gates non-admin downloads', async () => {
      const p = h().project('deact');
      const ctx = h().user(p);
      const img = await h().create(h().admin(), h().scope(), { ...RAW, visibility: 'public', owner: p });
      await expectReject(h().core.deactivateImage(ctx, img.id, NO_ABORT), ForbiddenError);
      await expectReject(h().core.reactivateImage(ctx, img.id, NO_ABORT), ForbiddenError);
      await h().upload(ctx, img.id, Buffer.from('payload'));
      await h().core.reactivateImage(ctx, img.id, NO_ABORT); // no-op on active
      expect((await h().core.getImage(ctx, img.id, NO_ABORT)).status).toBe('active');
      await h().core.deactivateImage(ctx, img.id, NO_ABORT);
      await h().core.deactivateImage(ctx, img.id, NO_ABORT); // no-op
      expect((await h().core.getImage(ctx, img.id, NO_ABORT)).status).toBe('deactivated');
      await expectReject(h().core.openImageData(ctx, img.id, null, NO_ABORT), ForbiddenError);
      await expectReject(h().core.openImageData(h().user(h().project('viewer')), img.id, range(0, 1), NO_ABORT), ForbiddenError);
      const adminDl = await h().core.openImageData(h().admin(), img.id, null, NO_ABORT);
      expect((await readAll(adminDl!.stream)).toString()).toBe('payload');
      expect((await h().patch(ctx, img.id, op('replace', 'name', 'still-editable'))).name).toBe('still-editable');
      await h().core.addTag(ctx, img.id, 'while-deactivated', NO_ABORT);
      await expectReject(h().upload(ctx, img.id, Buffer.from('again')), ConflictError);
      await expectReject(h().core.deactivateImage(h().user(h().project('viewer')), img.id, NO_ABORT), ForbiddenError);
      await h().core.reactivateImage(ctx, img.id, NO_ABORT);
      expect((await h().core.getImage(ctx, img.id, NO_ABORT)).status).toBe('active');
      const dl = await h().core.openImageData(ctx, img.id, null, NO_ABORT);
      expect((await readAll(dl!.stream)).toString()).toBe('payload');
      await h().core.deactivateImage(h().admin(), img.id, NO_ABORT);
      await h().core.deleteImage(ctx, img.id, NO_ABORT);
      await expectReject(h().core.getImage(ctx, img.id, NO_ABORT), NotFoundError);
    });
  });

  describe('stage + glance-direct import', () => {
    it('stages, imports asynchronously, ends active with the staged bytes', async () => {
      const ctx = owner();
      expect(h().core.importMethods()).toContain(CONFORMANCE_REQUIREMENTS.importMethod);
      const data = randomBytes(30_000);
      const img = await h().create(ctx, h().scope(), RAW);
      await expectReject(h().core.importImage(ctx, img.id, { method: { name: 'glance-direct' } }, NO_ABORT), ConflictError);
      await h().core.stageImageData(ctx, img.id, bytesStream(data), {}, NO_ABORT);
      const staged = await h().core.getImage(ctx, img.id, NO_ABORT);
      expect(staged).toMatchObject({ status: 'uploading', size: data.length, checksum: null, os_hash_value: null });
      expect(await h().core.openImageData(ctx, img.id, null, NO_ABORT)).toBeNull();
      await expectReject(h().upload(ctx, img.id, Buffer.from('x')), ConflictError);
      await expectReject(h().core.stageImageData(ctx, img.id, bytesStream(Buffer.from('x')), {}, NO_ABORT), ConflictError);
      await expectReject(h().core.importImage(ctx, img.id, { method: { name: 'bogus-method' } }, NO_ABORT), BadRequestError);
      await expectReject(
        h().core.importImage(h().user(h().project('other')), img.id, { method: { name: 'glance-direct' } }, NO_ABORT),
        NotFoundError,
      );
      await h().core.importImage(ctx, img.id, { method: { name: 'glance-direct' } }, NO_ABORT);
      const done = await h().waitFor(ctx, img.id, (i) => i.status === 'active' || i.status === 'queued');
      expect(done).toMatchObject({
        status: 'active',
        size: data.length,
        checksum: md5(data),
        os_hash_algo: 'sha512',
        os_hash_value: sha512(data),
      });
      expect(done.properties).not.toHaveProperty('os_glance_import_task');
      const dl = await h().core.openImageData(ctx, img.id, null, NO_ABORT);
      expect((await readAll(dl!.stream)).equals(data)).toBe(true);
      await expectReject(h().core.importImage(ctx, img.id, { method: { name: 'glance-direct' } }, NO_ABORT), ConflictError);
      const tasks = await h().core.listImageTasks(ctx, img.id, NO_ABORT);
      expect(tasks.map((t) => [t.type, t.status, t.image_id])).toEqual([['api_image_import', 'success', img.id]]);
    });

    it('stage needs formats only at import time; import without formats → Conflict', async () => {
      const ctx = owner();
      const img = await h().create(ctx, h().scope());
      await h().core.stageImageData(ctx, img.id, bytesStream(Buffer.from('abc')), {}, NO_ABORT);
      expect((await h().core.getImage(ctx, img.id, NO_ABORT)).status).toBe('uploading');
      await expectReject(h().core.importImage(ctx, img.id, { method: { name: 'glance-direct' } }, NO_ABORT), ConflictError);
      await h().core.deleteImage(ctx, img.id, NO_ABORT);
      await expectReject(h().core.getImage(ctx, img.id, NO_ABORT), NotFoundError);
    });

    it(`staging over the size cap → PayloadTooLarge and back to queued`, async () => {
      const ctx = owner();
      const img = await h().create(ctx, h().scope(), RAW);
      await expectReject(h().core.stageImageData(ctx, img.id, bytesStream(Buffer.alloc(CAP + 1)), {}, NO_ABORT), PayloadTooLargeError);
      expect(await h().core.getImage(ctx, img.id, NO_ABORT)).toMatchObject({ status: 'queued', size: null });
      await h().core.stageImageData(ctx, img.id, bytesStream(Buffer.from('fits')), {}, NO_ABORT);
      expect((await h().core.getImage(ctx, img.id, NO_ABORT)).status).toBe('uploading');
    });
  });
}
