import type { Readable } from 'node:stream';

/** Reads `length` bytes at `offset` of the stored image. */
export type ReadAt = (offset: number, length: number) => Promise<Buffer>;

/**
 * Glance computes virtual_size on upload for bare containers from the disk format's header
 * (spec v2 §3.1). A header we cannot read gives null, never an error: the upload stands.
 */
export async function inspectVirtualSize(
  diskFormat: string | null,
  containerFormat: string | null,
  size: number,
  readAt: ReadAt,
): Promise<number | null> {
  if (containerFormat !== 'bare' || size === 0) return null;
  try {
    switch (diskFormat) {
      case 'raw':
        return size;
      case 'qcow2': {
        const h = await readAt(0, 32);
        if (h.length < 32 || h.readUInt32BE(0) !== 0x514649fb) return null;
        return safe(h.readBigUInt64BE(24));
      }
      case 'vdi': {
        const h = await readAt(0, 384);
        if (h.length < 384 || h.readUInt32LE(64) !== 0xbeda107f) return null;
        return safe(h.readBigUInt64LE(368));
      }
      case 'vmdk': {
        const h = await readAt(0, 20);
        if (h.length < 20 || h.toString('latin1', 0, 4) !== 'KDMV') return null;
        return safe(h.readBigUInt64LE(12) * 512n);
      }
      case 'vhd': {
        if (size < 512) return null;
        const footer = await readAt(size - 512, 512);
        if (footer.toString('latin1', 0, 8) !== 'conectix') return null;
        return safe(footer.readBigUInt64BE(48));
      }
      default:
        return null;
    }
  } catch {
    return null;
  }
}

function safe(n: bigint): number | null {
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(n);
}

export async function readAll(stream: Readable, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    parts.push(b);
    n += b.length;
    if (n >= max) break;
  }
  stream.destroy();
  return Buffer.concat(parts).subarray(0, max);
}
