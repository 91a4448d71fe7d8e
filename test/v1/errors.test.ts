import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ForbiddenError,
  MethodNotAllowedError,
  NotFoundError,
  UnsupportedMediaTypeError,
} from '../../src/core/errors.js';
import { renderV1Conflict, renderV1CoreError, renderV1Error, V1_CONFLICT_BODY } from '../../src/http/v1/errors.js';

const PLAIN = 'text/plain; charset=UTF-8';
const NOT_FOUND = 'Image with identifier 0c9a not found';

/** tempest's accepted error content types (§1.6) */
const TEMPEST_OK = /^(application\/json|text\/plain|text\/html)(; ?charset=utf-8)?$/i;

describe('renderV1Error (§1.6)', () => {
  it.each([undefined, '', '*/*', 'text/html', 'text/plain', 'application/json; charset=utf-8', 'application/json, text/plain', 'garbage'])(
    'Accept %j → text/plain',
    (accept) => {
      expect(renderV1Error({ status: 404, message: NOT_FOUND, form: 'explanation', accept })).toEqual({
        contentType: PLAIN,
        body: `404 Not Found\n\n${NOT_FOUND}\n\n   `,
      });
    },
  );

  it.each(['application/json', ' Application/JSON '])('Accept %j → webob JSON', (accept) => {
    const out = renderV1Error({ status: 404, message: NOT_FOUND, form: 'explanation', accept });
    expect(out.contentType).toBe('application/json');
    expect(JSON.parse(out.body)).toEqual({
      message: `${NOT_FOUND}<br /><br />\n\n\n`,
      code: '404 Not Found',
      title: 'Not Found',
    });
  });

  // WebOb's strip_tags turns the template's newlines into spaces, hence the odd spacing.
  it('detail form keeps the class explanation', () => {
    const out = renderV1Error({ status: 403, message: 'Image is protected', form: 'detail', accept: undefined });
    expect(out.body).toBe('403 Forbidden\n\nAccess was denied to this resource.\n\n Image is protected  ');
  });

  it('HEAD answers have an empty body [T]', () => {
    const out = renderV1Error({ status: 404, message: NOT_FOUND, form: 'explanation', accept: undefined, method: 'HEAD' });
    expect(out).toEqual({ contentType: PLAIN, body: '' });
  });

  it('every content type satisfies tempest', () => {
    for (const accept of [undefined, '*/*', 'application/json']) {
      expect(renderV1Error({ status: 400, form: 'explanation', accept }).contentType).toMatch(TEMPEST_OK);
    }
  });
});

describe('renderV1Conflict', () => {
  it('the literal registry conflict body, whatever the Accept', () => {
    expect(V1_CONFLICT_BODY).toBe('Image operation conflicts');
    expect(renderV1Conflict('PUT')).toEqual({ contentType: PLAIN, body: 'Image operation conflicts' });
    expect(renderV1Conflict('HEAD')).toEqual({ contentType: PLAIN, body: '' });
  });
});

describe('renderV1CoreError', () => {
  it.each([
    [new NotFoundError(NOT_FOUND), `404 Not Found\n\n${NOT_FOUND}\n\n   `],
    [new ForbiddenError('Image is protected', { form: 'detail' }), '403 Forbidden\n\nAccess was denied to this resource.\n\n Image is protected  '],
    [new ConflictError('Cannot upload to an unqueued image'), '409 Conflict\n\nCannot upload to an unqueued image\n\n   '],
    [new MethodNotAllowedError('x'), '405 Method Not Allowed\n\nThe method GET is not allowed for this resource. \n\n '],
    [new UnsupportedMediaTypeError('x'), '415 Unsupported Media Type\n\nThe request media type text/xml is not supported by this server. \n\n '],
  ])('%s', (err, body) => {
    expect(renderV1CoreError(err, { accept: '*/*', method: 'GET', contentType: 'text/xml' })).toEqual({ contentType: PLAIN, body });
  });
});
