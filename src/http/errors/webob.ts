/**
 * Error bodies exactly as WebOb 1.8 `WSGIHTTPException` renders them (spec v2 §1.6), so that
 * clients which scrape the text (glanceclient) or the JSON `message` (openstacksdk) see what a
 * real Glance sends. Pure: the caller adds status, headers and Content-Length.
 */
import { STATUS_CODES } from 'node:http';

export type ErrorForm = 'explanation' | 'detail';
export type ErrorTemplate = 'default' | '405' | '415' | '501' | 'explanation-only';

export interface RenderErrorInput {
  status: number;
  /** Overrides the class title (the reason phrase after the code). */
  title?: string;
  message?: string;
  form: ErrorForm;
  /** Raw request Accept header. */
  accept: string | undefined;
  /** Request method: fills `${REQUEST_METHOD}` and makes HEAD bodies empty. */
  method?: string;
  /** Omitted: 405, 415 and 501 use their WebOb templates, everything else the default one. */
  template?: ErrorTemplate;
  /** Raw request Content-Type (415 template). Absent leaves `${CONTENT_TYPE}` literally, as WebOb does. */
  contentType?: string;
}

export interface RenderedError {
  contentType: string;
  body: string;
}

interface ClassDefault {
  title: string;
  explanation: string;
}

// WebOb's class attributes after its module-level whitespace normalisation. 405/415/501 inherit
// the 400/500 explanation but their templates never show it. 508 has no WebOb class: invented.
const CLIENT_ERROR = 'The server could not comply with the request since it is either malformed or otherwise incorrect.';
const SERVER_ERROR = 'The server has either erred or is incapable of performing the requested operation.';
const CLASS_DEFAULTS: Readonly<Record<number, ClassDefault>> = {
  400: { title: 'Bad Request', explanation: CLIENT_ERROR },
  401: {
    title: 'Unauthorized',
    explanation:
      'This server could not verify that you are authorized to access the document you requested. ' +
      'Either you supplied the wrong credentials (e.g., bad password), or your browser does not ' +
      'understand how to supply the credentials required.',
  },
  403: { title: 'Forbidden', explanation: 'Access was denied to this resource.' },
  404: { title: 'Not Found', explanation: 'The resource could not be found.' },
  405: { title: 'Method Not Allowed', explanation: CLIENT_ERROR },
  409: { title: 'Conflict', explanation: 'There was a conflict when trying to complete your request.' },
  410: { title: 'Gone', explanation: 'This resource is no longer available. No forwarding address is given.' },
  413: { title: 'Request Entity Too Large', explanation: 'The body of your request was too large for this server.' },
  414: { title: 'Request-URI Too Long', explanation: 'The request URI was too long for this server.' },
  415: { title: 'Unsupported Media Type', explanation: CLIENT_ERROR },
  416: { title: 'Request Range Not Satisfiable', explanation: 'The Range requested is not available.' },
  431: { title: 'Request Header Fields Too Large', explanation: 'The request header fields were too large' },
  500: { title: 'Internal Server Error', explanation: SERVER_ERROR },
  501: { title: 'Not Implemented', explanation: SERVER_ERROR },
  502: { title: 'Bad Gateway', explanation: 'Bad gateway.' },
  503: { title: 'Service Unavailable', explanation: 'The server is currently unavailable. Please try again at a later time.' },
  504: { title: 'Gateway Timeout', explanation: 'The gateway has timed out.' },
  508: { title: 'Loop Detected', explanation: 'The server detected an infinite loop while processing the request.' },
};

export function classDefault(status: number): ClassDefault {
  const known = CLASS_DEFAULTS[status];
  if (known) return known;
  // Unknown codes behave like WebOb's base classes (HTTPClientError / HTTPServerError).
  return {
    title: STATUS_CODES[status] ?? (status < 500 ? 'Bad Request' : 'Internal Server Error'),
    explanation: status < 500 ? CLIENT_ERROR : SERVER_ERROR,
  };
}

// ---------------------------------------------------------------------------------------------
// Accept negotiation (WebOb 1.8 acceptparse: AcceptValidHeader / AcceptInvalidHeader)

export interface MediaRange {
  type: string;
  subtype: string;
  /** Media type parameters (those before `q`), names lower-cased. */
  params: Array<[string, string]>;
  q: number;
}

const OWS = '[ \\t]*';
const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
const PARAM = `${TOKEN}=(?:${TOKEN}|${QUOTED})`;
const QVALUE = '0(?:\\.[0-9]{0,3})?|1(?:\\.0{0,3})?';
const ELEMENT =
  `(${TOKEN})/(${TOKEN})((?:${OWS};${OWS}(?![qQ]=)${PARAM})*)` +
  `(?:${OWS};${OWS}[qQ]=(${QVALUE})(?:${OWS};${OWS}${TOKEN}(?:=(?:${TOKEN}|${QUOTED}))?)*)?`;
const HEADER_RE = new RegExp(`^(?:|(?:,|${ELEMENT})(?:${OWS},(?:${OWS}${ELEMENT})?)*)$`);
const ELEMENT_RE = new RegExp(ELEMENT, 'g');
const PARAM_RE = new RegExp(`(${TOKEN})=(${TOKEN}|${QUOTED})`, 'g');

/** Parses an Accept header; null when WebOb would consider it invalid. */
export function parseAccept(header: string): MediaRange[] | null {
  if (!HEADER_RE.test(header)) return null;
  const ranges: MediaRange[] = [];
  for (const m of header.matchAll(ELEMENT_RE)) {
    const params: Array<[string, string]> = [];
    for (const p of (m[3] ?? '').matchAll(PARAM_RE)) {
      const raw = p[2] ?? '';
      const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
      params.push([(p[1] ?? '').toLowerCase(), value]);
    }
    ranges.push({
      type: (m[1] ?? '').toLowerCase(),
      subtype: (m[2] ?? '').toLowerCase(),
      params,
      q: m[4] !== undefined ? Number(m[4]) : 1,
    });
  }
  return ranges;
}

export type Representation = 'html' | 'json' | 'plain';
const OFFERS = [
  ['text', 'html'],
  ['application', 'json'],
] as const;

/** WebOb `acceptable_offers(['text/html', 'application/json'])[0]`, mapped to a body format. */
export function chooseRepresentation(accept: string | undefined): Representation {
  const ranges = parseAccept(accept ?? '');
  // An invalid header makes every offer acceptable at q=1, so the first offer (html) wins.
  if (ranges === null) return 'html';
  let bestIndex = -1;
  let bestQ = 0;
  for (const [index, [type, subtype]] of OFFERS.entries()) {
    // The most specific matching range decides the offer's quality; ties keep the first range.
    let q = 0;
    let specificity = 0;
    for (const r of ranges) {
      let s: number;
      if (r.type === type && r.subtype === subtype) {
        // The offers carry no parameters, so a range with parameters cannot match exactly.
        if (r.params.length > 0) continue;
        s = 3;
      } else if (r.subtype === '*' && r.type === type) {
        s = 2;
      } else if (r.type === '*' && r.subtype === '*') {
        s = 1;
      } else {
        continue;
      }
      if (s <= specificity) continue;
      specificity = s;
      q = r.q;
    }
    // Strictly greater: on equal quality the earlier offer (html) wins.
    if (q > bestQ) {
      bestQ = q;
      bestIndex = index;
    }
  }
  if (bestIndex === -1) return 'plain';
  return bestIndex === 0 ? 'html' : 'json';
}

// ---------------------------------------------------------------------------------------------
// Body construction

/** Python `html.escape(s, quote=True)` then `encode('ascii', 'xmlcharrefreplace')`. */
export function htmlEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    switch (ch) {
      case '&': out += '&amp;'; break;
      case '<': out += '&lt;'; break;
      case '>': out += '&gt;'; break;
      case '"': out += '&quot;'; break;
      case "'": out += '&#x27;'; break;
      default: {
        const cp = ch.codePointAt(0) ?? 0;
        out += cp > 0x7f ? `&#${cp};` : ch;
      }
    }
  }
  return out;
}

/** WebOb `strip_tags`, used for the text/plain rendering. */
function stripTags(value: string): string {
  return value
    .replace(/\n/g, ' ')
    .replace(/\r/g, '')
    .replace(/<br[\s\S]*?>/gi, '\n')
    .replace(/<!--|-->/g, '')
    .replace(/<[\s\S]*?>/g, '');
}

/** Python `json.dumps` string escaping (ensure_ascii=True). */
function pyJsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function innerTemplate(template: ErrorTemplate, x: string, d: string, method: string, contentType: string): string {
  switch (template) {
    case '405':
      return `The method ${method} is not allowed for this resource. <br /><br />\n${d}`;
    case '415':
      return `The request media type ${contentType} is not supported by this server.\n<br /><br />\n${d}`;
    case '501':
      return `\nThe request method ${method} is not implemented for this server. <br /><br />\n${d}`;
    case 'explanation-only':
      return x;
    case 'default':
      // The trailing "" is WebOb's html_comment slot, always empty for Glance.
      return `${x}<br /><br />\n${d}\n\n`;
  }
}

function defaultTemplateFor(status: number): ErrorTemplate {
  if (status === 405) return '405';
  if (status === 415) return '415';
  if (status === 501) return '501';
  return 'default';
}

export function renderErrorBody(input: RenderErrorInput): RenderedError {
  const defaults = classDefault(input.status);
  const title = input.title ?? defaults.title;
  const status = `${input.status} ${title}`;
  const template = input.template ?? defaultTemplateFor(input.status);
  const message = input.message ?? '';
  // Explanation form replaces the class explanation; detail form keeps it and adds the message.
  // The custom templates (405/415/501) show only the detail, so an explanation-form message is
  // dropped there, exactly as WebOb drops it.
  const explanation = input.form === 'explanation' && message !== '' ? message : defaults.explanation;
  const detail = input.form === 'detail' ? message : '';
  const method = input.method ?? '${REQUEST_METHOD}';
  const contentType = input.contentType ?? '${CONTENT_TYPE}';
  const representation = chooseRepresentation(input.accept);
  const head = (input.method ?? '').toUpperCase() === 'HEAD';

  if (representation === 'html') {
    const inner = innerTemplate(template, htmlEscape(explanation), htmlEscape(detail), htmlEscape(method), htmlEscape(contentType));
    const body =
      `<html>\n <head>\n  <title>${status}</title>\n </head>\n <body>\n  <h1>${status}</h1>\n  ${inner}\n </body>\n</html>`;
    return { contentType: 'text/html; charset=UTF-8', body: head ? '' : body };
  }
  const inner = innerTemplate(template, explanation, detail, method, contentType);
  if (representation === 'json') {
    const body = `{"message": ${pyJsonString(inner)}, "code": ${pyJsonString(status)}, "title": ${pyJsonString(title)}}`;
    return { contentType: 'application/json', body: head ? '' : body };
  }
  const body = `${status}\n\n${stripTags(inner)}`;
  return { contentType: 'text/plain; charset=UTF-8', body: head ? '' : body };
}
