import { close as closeCb, fsync as fsyncCb, open as openCb } from 'node:fs';
import { promisify } from 'node:util';

// The callback API with numeric fds: fs streams built on a FileHandle go through the promise
// API, which measured slower per write, and a FileHandle will not close while a stream holds it.
export const openFd = promisify(openCb);
export const fsyncFd = promisify(fsyncCb);
export const closeFd = promisify(closeCb);

/** fsyncs a directory so that a rename or create inside it survives a crash. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const fd = await openFd(dir, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    await closeFd(fd);
  }
}

/** True for the errors that mean "there is nothing at this path". */
export function isNoEntry(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
