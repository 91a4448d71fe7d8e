import { LRUCache } from 'lru-cache';

export interface Declared {
  size?: number;
  checksum?: string;
}

/**
 * What v1 knows about an image and v2 cannot hold (spec v1 §7.2, §7.4), kept by this gateway
 * process only: the size and md5 a reserve declared for data still to come, and the `killed`
 * mark of an image whose v1 upload failed (v2 puts it back to `queued`). Bounded; lost on
 * restart; not shared between gateway instances (documented deviation).
 */
export class V1Sidecar {
  private readonly declared = new LRUCache<string, Declared>({ max: 100_000 });
  private readonly killed = new LRUCache<string, true>({ max: 100_000 });
  /** v1 copy-from running as an upstream web-download: back in `queued` means it failed. */
  private readonly copying = new LRUCache<string, true>({ max: 100_000 });

  declare(id: string, d: Declared): void {
    if (d.size !== undefined || d.checksum !== undefined) this.declared.set(id, d);
  }
  declaredFor(id: string): Declared | undefined {
    return this.declared.get(id);
  }
  markKilled(id: string): void {
    this.killed.set(id, true);
  }
  isKilled(id: string): boolean {
    return this.killed.has(id);
  }
  markCopying(id: string): void {
    this.copying.set(id, true);
  }
  isCopying(id: string): boolean {
    return this.copying.has(id);
  }
  /** Data arrived (or the image is gone): nothing declared or failed is left to remember. */
  forget(id: string): void {
    this.declared.delete(id);
    this.killed.delete(id);
    this.copying.delete(id);
  }
}
