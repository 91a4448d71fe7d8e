/**
 * Synchronous checks of `POST /v2/tasks` (spec v2 §10.1), before a task row exists. What can
 * only be known while running (missing object, image state, ...) fails the task instead.
 */
import { BadRequestError } from './errors.js';
import { TASK_TYPES, type TaskType } from './task.js';

export type ImportSource = { kind: 'url'; url: string } | { kind: 'object'; ref: string };

export interface CheckedTask {
  type: TaskType;
  input: Record<string, unknown>;
  /** Import only: where the bytes come from. */
  source?: ImportSource;
}

const SCHEMA_ENUM = "['import', 'api_image_import', 'export']";

export function checkTaskBody(body: Record<string, unknown>): CheckedTask {
  if (!Object.hasOwn(body, 'type')) throw new BadRequestError("Task 'type' is required");
  if (!Object.hasOwn(body, 'input')) throw new BadRequestError("Task 'input' is required");
  const extra = Object.keys(body).filter((k) => k !== 'type' && k !== 'input');
  if (extra.length > 0) {
    throw new BadRequestError(
      `Provided object does not match schema 'task': Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length === 1 ? 'was' : 'were'} unexpected)`,
    );
  }
  const { type, input } = body;
  if (type === 'api_image_import') {
    throw new BadRequestError("Tasks of type 'api_image_import' are created by POST /v2/images/{image_id}/import, not by the tasks API.");
  }
  if (typeof type !== 'string' || !(TASK_TYPES as readonly string[]).includes(type)) {
    throw new BadRequestError(`Provided object does not match schema 'task': ${JSON.stringify(type)} is not one of ${SCHEMA_ENUM}`);
  }
  if (input !== null && (typeof input !== 'object' || Array.isArray(input))) {
    throw new BadRequestError(`Provided object does not match schema 'task': ${JSON.stringify(input)} is not of type 'null', 'object'`);
  }
  const checked = (input ?? {}) as Record<string, unknown>;
  if (type === 'export') {
    for (const key of ['image_uuid', 'receiving_swift_container']) {
      if (typeof checked[key] !== 'string' || checked[key] === '') {
        throw new BadRequestError(`Input does not contain '${key}' field (a non-empty string is required)`);
      }
    }
    return { type, input: checked };
  }
  return { type: type as TaskType, input: checked, source: importSource(checked.import_from) };
}

/**
 * `import_from` is an http(s) URL (Glance) or `<container>/<object>` in the caller's project
 * (Rackspace / Cloud Files). Glance's messages for the refused forms.
 */
export function importSource(from: unknown): ImportSource {
  if (typeof from !== 'string' || from === '') throw new BadRequestError(`Invalid location: ${from === undefined || from === null || from === '' ? 'None' : String(from)}`);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(from)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'object', ref: from };
  if (scheme === 'file' || scheme === 'filesystem') {
    throw new BadRequestError('File based imports are not allowed. Please use a non-local source of image data.');
  }
  if (scheme !== 'http' && scheme !== 'https') {
    throw new BadRequestError("The given uri is not valid. Please specify a valid uri from the following list of supported uri ['http', 'https']");
  }
  return { kind: 'url', url: from };
}
