import { describe, expect, it } from 'vitest';
import { IMAGE_STATUSES, type ImageStatus } from '../../src/core/image.js';
import {
  acceptsData,
  assertFormatsForData,
  assertTransition,
  canTransition,
  formatsMutable,
  isGone,
  isListable,
  STATUS_TRANSITIONS,
} from '../../src/core/state.js';
import { expectCoreError } from './fixtures.js';

/** Spec v2 §4, transcribed independently of the module's table. */
const ALLOWED = new Set([
  'queued>saving', 'queued>uploading', 'queued>importing', 'queued>active', 'queued>deleted',
  'saving>active', 'saving>killed', 'saving>deleted', 'saving>queued',
  'uploading>importing', 'uploading>queued', 'uploading>deleted',
  'importing>active', 'importing>deleted', 'importing>queued',
  'active>pending_delete', 'active>deleted', 'active>deactivated',
  'deactivated>active', 'deactivated>deleted',
  'killed>deleted',
  'pending_delete>deleted', 'pending_delete>active',
]);

describe('status transitions', () => {
  const pairs = IMAGE_STATUSES.flatMap((from) => IMAGE_STATUSES.map((to) => [from, to] as const));

  it.each(pairs)('%s → %s', (from, to) => {
    const allowed = ALLOWED.has(`${from}>${to}`);
    expect(canTransition(from, to)).toBe(allowed);
    if (allowed) expect(() => assertTransition(from, to)).not.toThrow();
    else {
      expectCoreError(() => assertTransition(from, to), {
        status: 409,
        message: `Image status transition from ${from} to ${to} is not allowed`,
      });
    }
  });

  it('has an entry for every status and nothing leaves deleted', () => {
    expect(Object.keys(STATUS_TRANSITIONS).sort()).toEqual([...IMAGE_STATUSES].sort());
    expect(STATUS_TRANSITIONS.deleted).toEqual([]);
  });

  it('lets the caller reword the message but keeps 409 and the reason', () => {
    try {
      assertTransition('active', 'saving', (f, t) => `cannot go ${f}->${t}`);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ status: 409, message: 'cannot go active->saving', reason: 'status_transition' });
    }
  });
});

describe('status predicates', () => {
  const table: [ImageStatus, { gone: boolean; listable: boolean; data: boolean; formats: boolean }][] = [
    ['queued', { gone: false, listable: true, data: true, formats: true }],
    ['saving', { gone: false, listable: true, data: false, formats: false }],
    ['uploading', { gone: false, listable: true, data: false, formats: false }],
    ['importing', { gone: false, listable: true, data: false, formats: true }],
    ['active', { gone: false, listable: true, data: false, formats: false }],
    ['deactivated', { gone: false, listable: true, data: false, formats: false }],
    ['killed', { gone: false, listable: false, data: false, formats: false }],
    ['pending_delete', { gone: true, listable: false, data: false, formats: false }],
    ['deleted', { gone: true, listable: false, data: false, formats: false }],
  ];
  it.each(table)('%s', (status, want) => {
    expect({
      gone: isGone(status),
      listable: isListable(status),
      data: acceptsData(status),
      formats: formatsMutable(status),
    }).toEqual(want);
  });
});

describe('assertFormatsForData', () => {
  const none = { disk_format: null, container_format: null };
  it.each([
    [{ status: 'queued', ...none }, 'saving', 'Properties disk_format, container_format must be set prior to saving data.'],
    [{ status: 'queued', disk_format: 'raw', container_format: null }, 'active', 'Property container_format must be set prior to saving data.'],
    [{ status: 'uploading', disk_format: null, container_format: 'bare' }, 'importing', 'Property disk_format must be set prior to saving data.'],
  ] as const)('%j → %s refused', (image, to, message) => {
    expectCoreError(() => assertFormatsForData(image, to), { status: 400, message });
  });

  it.each([
    [{ status: 'queued', disk_format: 'raw', container_format: 'bare' }, 'saving'],
    [{ status: 'queued', ...none }, 'deleted'],
    [{ status: 'saving', ...none }, 'active'],
    [{ status: 'uploading', ...none }, 'queued'],
  ] as const)('%j → %s allowed', (image, to) => {
    expect(() => assertFormatsForData(image, to)).not.toThrow();
  });
});
