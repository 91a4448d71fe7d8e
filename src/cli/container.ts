/**
 * `glance-gateway container put|list|get|delete`: the container area of a data dir, without a
 * running gateway (same names, limits and atomic writes as the HTTP API).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { resolve } from 'node:path';
import type { Config } from '../config/config.js';
import { ContainerStore } from '../containers/container-store.js';
import { CoreError } from '../core/errors.js';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

export const CONTAINER_USAGE = `usage: glance-gateway container [--config FILE] --project PROJECT <command>
  put <container> <object> [FILE|-]   store FILE (default stdin) as container/object (container created if missing)
  list [<container>]                   list the project's containers, or the objects of one (JSON)
  get <container> <object> [FILE|-]    write the object to FILE (default stdout)
  delete <container> [<object>]        delete an object, or an empty container
`;

class UsageError extends Error {}

/** Runs one container command; resolves with the process exit code (0 ok, 1 failed, 2 usage). */
export async function runContainerCli(args: string[], config: Config, io: CliIo): Promise<number> {
  const signal = new AbortController().signal;
  try {
    const { project, rest } = parseArgs(args);
    const store = new ContainerStore({
      root: join(resolve(config.dataDir), 'containers'),
      maxObjectBytes: config.limits.imageSizeCap,
      projectQuota: config.containers.projectQuota,
    });
    const [command, container, object, file] = rest;
    const need = (v: string | undefined, what: string): string => {
      if (v === undefined) throw new UsageError(`${command}: missing ${what}`);
      return v;
    };
    switch (command) {
      case 'put': {
        const c = need(container, '<container>');
        const o = need(object, '<object>');
        const source = file === undefined || file === '-' ? io.stdin : createReadStream(file);
        await store.createContainer(project, c, signal);
        const put = await store.write(project, c, o, source, { signal }).finally(() => {
          if (source !== io.stdin) source.destroy();
        });
        io.stdout.write(`${JSON.stringify({ name: `${c}/${put.name}`, bytes: put.bytes, md5: put.md5 })}\n`);
        return 0;
      }
      case 'list': {
        const listing = container === undefined ? await store.listContainers(project, signal) : await store.listObjects(project, container, signal);
        io.stdout.write(`${JSON.stringify(listing.map((e) => ('last_modified' in e ? { ...e, last_modified: new Date(e.last_modified).toISOString() } : e)), null, 1)}\n`);
        return 0;
      }
      case 'get': {
        const { stream } = await store.open(project, need(container, '<container>'), need(object, '<object>'), signal);
        if (file === undefined || file === '-') {
          await pipeline(stream, io.stdout, { end: false });
          return 0;
        }
        // Written beside the target and renamed, so FILE is never half-written.
        const temp = `${file}.part-${process.pid}`;
        try {
          await pipeline(stream, createWriteStream(temp, { flags: 'wx' }));
          await rename(temp, file);
        } catch (e) {
          await rm(temp, { force: true });
          throw e;
        }
        return 0;
      }
      case 'delete': {
        const c = need(container, '<container>');
        if (object === undefined) await store.deleteContainer(project, c, signal);
        else await store.remove(project, c, object, signal);
        return 0;
      }
      default:
        throw new UsageError(command === undefined ? 'missing command' : `unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`glance-gateway container: ${e.message}\n${CONTAINER_USAGE}`);
      return 2;
    }
    const message = e instanceof CoreError ? e.message : (e as Error).message;
    io.stderr.write(`glance-gateway container: ${message}\n`);
    return 1;
  }
}

function parseArgs(args: string[]): { project: string; rest: string[] } {
  const rest: string[] = [];
  let project: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--project') {
      project = args[++i];
      if (project === undefined) throw new UsageError('--project needs a value');
    } else if (a.startsWith('--project=')) {
      project = a.slice('--project='.length);
    } else if (a === '--config') {
      i++; // read by main.ts
    } else {
      rest.push(a);
    }
  }
  if (project === undefined) throw new UsageError('--project is required');
  return { project, rest };
}
