import { describe, expect, it } from 'vitest';
import { v1RouteLabel } from '../../src/http/v1/router.js';

const ID = '6bd3b2c5-2b8b-4d1a-9a52-bb1c1e9b3a11';

describe('v1RouteLabel: the telemetry route of a v1 request, ids replaced', () => {
  const cases: Array<[string, string, string]> = [
    ['HEAD', `/v1/images/${ID}`, 'HEAD /v1/images/{id}'],
    ['GET', `/v1/images/${ID}`, 'GET /v1/images/{id}'],
    ['PUT', `/v1/images/${ID}`, 'PUT /v1/images/{id}'],
    ['DELETE', `/v1/images/${ID}`, 'DELETE /v1/images/{id}'],
    ['PATCH', `/v1/images/${ID}`, 'PATCH /v1/images/{id}'],
    ['GET', '/v1/images/detail', 'GET /v1/images/detail'],
    ['HEAD', '/v1/images/detail', 'HEAD /v1/images/detail'],
    ['GET', '/v1/images', 'GET /v1/images'],
    ['POST', '/v1/images', 'POST /v1/images'],
    ['GET', `/v1/images/${ID}/file`, 'GET /v1/images/{id}/file'],
    ['GET', `/v1/images/${ID}/members`, 'GET /v1/images/{id}/members'],
    ['PUT', `/v1/images/${ID}/members/tenant-b`, 'PUT /v1/images/{id}/members/{member}'],
    ['GET', '/v1/shared-images/tenant-b', 'GET /v1/shared-images/{member}'],
    ['GET', '/v1/', 'GET /v1/'],
  ];
  it.each(cases)('%s %s -> %s', (method, path, label) => {
    expect(v1RouteLabel(method, path)).toBe(label);
  });
});
