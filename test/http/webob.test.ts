import { describe, expect, it } from 'vitest';
import {
  chooseRepresentation,
  classDefault,
  htmlEscape,
  parseAccept,
  renderErrorBody,
  type RenderErrorInput,
} from '../../src/http/errors/webob.js';

const ID = '00000000-0000-0000-0000-000000000000';
const PLAIN = 'text/plain; charset=UTF-8';
const HTML = 'text/html; charset=UTF-8';
const JSON_CT = 'application/json';

describe('chooseRepresentation (spec §1.6 table)', () => {
  it.each<[string | undefined, 'html' | 'json' | 'plain']>([
    [undefined, 'plain'],
    ['', 'plain'],
    ['text/plain', 'plain'],
    ['image/png', 'plain'],
    ['application/octet-stream', 'plain'],
    ['*/*', 'html'],
    ['text/html', 'html'],
    ['application/json', 'json'],
    ['application/json, */*', 'html'],
    ['APPLICATION/JSON', 'json'],
    ['text/*', 'html'],
    ['application/*', 'json'],
    ['application/json;q=0.5, text/html;q=0.4', 'json'],
    ['text/html;q=0, */*', 'json'],
    ['text/html;q=0, application/json;q=0', 'plain'],
    ['application/json, */*;q=0.1', 'json'],
    ['*/*;q=0.5, application/json', 'json'],
    // A range with media-type parameters never matches the parameterless offers exactly.
    ['application/json;charset=utf-8', 'plain'],
    ['application/json;q=1;foo=bar', 'json'],
    ['application/vnd.openstack.images-v2', 'plain'],
    // Invalid headers make every offer acceptable, so html (offered first) wins.
    ['foo', 'html'],
    ['application/json;q=2', 'html'],
    [',, application/json ,', 'json'],
  ])('Accept %j → %s', (accept, expected) => {
    expect(chooseRepresentation(accept)).toBe(expected);
  });
});

describe('parseAccept', () => {
  it('parses ranges, parameters and q', () => {
    expect(parseAccept('text/html;level=1;q=0.7;ext, application/JSON')).toEqual([
      { type: 'text', subtype: 'html', params: [['level', '1']], q: 0.7 },
      { type: 'application', subtype: 'json', params: [], q: 1 },
    ]);
  });
  it('decodes quoted parameter values', () => {
    expect(parseAccept('a/b;x="y\\"z"')?.[0]?.params).toEqual([['x', 'y"z']]);
  });
  it.each(['foo', 'text/', 'text/html;q=1.5', 'text/html;', 'a b/c'])('rejects %j', (h) => {
    expect(parseAccept(h)).toBeNull();
  });
  it('accepts an empty header as an empty list', () => {
    expect(parseAccept('')).toEqual([]);
  });
});

function render(partial: Partial<RenderErrorInput> & { status: number }): { contentType: string; body: string } {
  return renderErrorBody({ form: 'explanation', accept: undefined, ...partial });
}

describe('renderErrorBody — observed Glance bodies', () => {
  const notFound = { status: 404, message: `No image found with ID ${ID}` };
  it.each<[string | undefined, string, string]>([
    [undefined, PLAIN, `404 Not Found\n\nNo image found with ID ${ID}\n\n   `],
    [
      'application/json',
      JSON_CT,
      `{"message": "No image found with ID ${ID}<br /><br />\\n\\n\\n", "code": "404 Not Found", "title": "Not Found"}`,
    ],
    [
      '*/*',
      HTML,
      `<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  ` +
        `No image found with ID ${ID}<br /><br />\n\n\n\n </body>\n</html>`,
    ],
  ])('404 explanation form, Accept %j', (accept, contentType, body) => {
    expect(render({ ...notFound, accept })).toEqual({ contentType, body });
  });

  const reserved = { status: 403, form: 'detail' as const, message: "Attribute 'location' is reserved." };
  it.each<[string | undefined, string, string]>([
    [undefined, PLAIN, "403 Forbidden\n\nAccess was denied to this resource.\n\n Attribute 'location' is reserved.  "],
    [
      'application/json',
      JSON_CT,
      `{"message": "Access was denied to this resource.<br /><br />\\nAttribute 'location' is reserved.\\n\\n", ` +
        '"code": "403 Forbidden", "title": "Forbidden"}',
    ],
    [
      '*/*',
      HTML,
      '<html>\n <head>\n  <title>403 Forbidden</title>\n </head>\n <body>\n  <h1>403 Forbidden</h1>\n  ' +
        'Access was denied to this resource.<br /><br />\nAttribute &#x27;location&#x27; is reserved.\n\n\n </body>\n</html>',
    ],
  ])('403 detail form, Accept %j', (accept, contentType, body) => {
    expect(render({ ...reserved, accept })).toEqual({ contentType, body });
  });

  it.each<[Partial<RenderErrorInput> & { status: number }, string]>([
    [{ status: 405, method: 'PUT' }, '405 Method Not Allowed\n\nThe method PUT is not allowed for this resource. \n\n '],
    // The 405 template ignores an explanation-form message, as WebOb does.
    [{ status: 405, method: 'PUT', message: 'ignored' }, '405 Method Not Allowed\n\nThe method PUT is not allowed for this resource. \n\n '],
    [{ status: 405, method: 'PUT', message: 'why', form: 'detail' }, '405 Method Not Allowed\n\nThe method PUT is not allowed for this resource. \n\n why'],
    [
      { status: 415, contentType: 'application/json' },
      '415 Unsupported Media Type\n\nThe request media type application/json is not supported by this server. \n\n ',
    ],
    [
      { status: 415 },
      '415 Unsupported Media Type\n\nThe request media type ${CONTENT_TYPE} is not supported by this server. \n\n ',
    ],
    [{ status: 415, contentType: '' }, '415 Unsupported Media Type\n\nThe request media type  is not supported by this server. \n\n '],
    [{ status: 501, method: 'FOO' }, '501 Not Implemented\n\n The request method FOO is not implemented for this server. \n\n '],
    [{ status: 405 }, '405 Method Not Allowed\n\nThe method ${REQUEST_METHOD} is not allowed for this resource. \n\n '],
    [
      {
        status: 405,
        template: 'explanation-only',
        method: 'DELETE',
        message:
          'This operation is currently not permitted on Glance Tasks. They are auto deleted after reaching the time based on their expires_at property.',
      },
      '405 Method Not Allowed\n\nThis operation is currently not permitted on Glance Tasks. They are auto deleted after reaching the time based on their expires_at property.',
    ],
    [
      { status: 401 },
      '401 Unauthorized\n\nThis server could not verify that you are authorized to access the document you requested. ' +
        'Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply ' +
        'the credentials required.\n\n   ',
    ],
    [
      { status: 400 },
      '400 Bad Request\n\nThe server could not comply with the request since it is either malformed or otherwise incorrect.\n\n   ',
    ],
    [{ status: 404 }, '404 Not Found\n\nThe resource could not be found.\n\n   '],
    [
      { status: 416, form: 'detail', message: 'Invalid Range header.' },
      '416 Request Range Not Satisfiable\n\nThe Range requested is not available.\n\n Invalid Range header.  ',
    ],
    [{ status: 400, message: 'Malformed JSON in request body.' }, '400 Bad Request\n\nMalformed JSON in request body.\n\n   '],
    // Newlines inside the message become spaces, tags are stripped in text/plain.
    [{ status: 400, message: 'a\nb <i>c</i>' }, '400 Bad Request\n\na b c\n\n   '],
    [{ status: 404, title: 'Nope' }, '404 Nope\n\nThe resource could not be found.\n\n   '],
  ])('plain %j', (input, body) => {
    expect(render(input)).toEqual({ contentType: PLAIN, body });
  });

  it('405 as JSON keeps the template markup', () => {
    expect(render({ status: 405, method: 'PUT', accept: 'application/json' }).body).toBe(
      '{"message": "The method PUT is not allowed for this resource. <br /><br />\\n", "code": "405 Method Not Allowed", "title": "Method Not Allowed"}',
    );
  });

  it('501 as html escapes the method', () => {
    expect(render({ status: 501, method: '<X>', accept: 'text/html' }).body).toContain(
      '  \nThe request method &lt;X&gt; is not implemented for this server. <br /><br />\n\n </body>',
    );
  });

  it('escapes non-ASCII like Python json.dumps and html xmlcharrefreplace', () => {
    const input = { status: 404, message: 'café “x” 😀' };
    expect(render({ ...input, accept: 'application/json' }).body).toBe(
      '{"message": "caf\\u00e9 \\u201cx\\u201d \\ud83d\\ude00<br /><br />\\n\\n\\n", "code": "404 Not Found", "title": "Not Found"}',
    );
    expect(render({ ...input, accept: '*/*' }).body).toContain('caf&#233; &#8220;x&#8221; &#128512;<br />');
    expect(render(input).body).toBe('404 Not Found\n\ncafé “x” 😀\n\n   ');
  });

  it.each([undefined, '*/*', 'application/json'])('HEAD has an empty body (Accept %j)', (accept) => {
    const out = render({ status: 404, method: 'HEAD', accept });
    expect(out.body).toBe('');
    expect(out.contentType).not.toBe('');
  });
});

describe('classDefault', () => {
  it.each<[number, string]>([
    [400, 'Bad Request'],
    [401, 'Unauthorized'],
    [403, 'Forbidden'],
    [404, 'Not Found'],
    [405, 'Method Not Allowed'],
    [409, 'Conflict'],
    [410, 'Gone'],
    [413, 'Request Entity Too Large'],
    [414, 'Request-URI Too Long'],
    [415, 'Unsupported Media Type'],
    [416, 'Request Range Not Satisfiable'],
    [431, 'Request Header Fields Too Large'],
    [500, 'Internal Server Error'],
    [501, 'Not Implemented'],
    [502, 'Bad Gateway'],
    [503, 'Service Unavailable'],
    [504, 'Gateway Timeout'],
    [508, 'Loop Detected'],
    [418, "I'm a Teapot"],
  ])('%i → %s', (status, title) => {
    expect(classDefault(status).title).toBe(title);
    expect(classDefault(status).explanation.length).toBeGreaterThan(0);
  });

  it.each<[number, string]>([
    [409, 'There was a conflict when trying to complete your request.'],
    [410, 'This resource is no longer available. No forwarding address is given.'],
    [413, 'The body of your request was too large for this server.'],
    [414, 'The request URI was too long for this server.'],
    [500, 'The server has either erred or is incapable of performing the requested operation.'],
    [503, 'The server is currently unavailable. Please try again at a later time.'],
  ])('%i explanation', (status, explanation) => {
    expect(classDefault(status).explanation).toBe(explanation);
  });
});

describe('htmlEscape', () => {
  it.each([
    [`a&b<c>"d'`, 'a&amp;b&lt;c&gt;&quot;d&#x27;'],
    ['plain', 'plain'],
    ['é', '&#233;'],
  ])('%j', (input, out) => {
    expect(htmlEscape(input)).toBe(out);
  });
});

describe('Accept parsing cost', () => {
  it.each([
    `a/b${';x=y'.repeat(20000)}!`,
    `a/b;q=1${';x'.repeat(20000)}"`,
    `${', '.repeat(20000)}/`,
    `a/b;x="${'\\"'.repeat(20000)}`,
    `${'a'.repeat(50000)}/`,
  ])('stays linear on hostile header #%#', (accept) => {
    const t = performance.now();
    chooseRepresentation(accept);
    expect(performance.now() - t).toBeLessThan(250);
  });
});
