import { LRUCache } from 'lru-cache';
import type { Image } from '../core/image.js';

/**
 * Hot reads by id (HEAD/GET). Write-through: every save in the embedded core replaces or
 * drops the entry in the same tick as its transaction, so a hit is never staler than the
 * database. Entries are shared objects: nobody may mutate an Image after it is cached.
 * Visibility is not decided here; the core checks it against the caller on every hit.
 */
export class ImageCache {
  private readonly lru: LRUCache<string, Image> | null;

  constructor(max: number) {
    this.lru = max > 0 ? new LRUCache<string, Image>({ max }) : null;
  }

  get(id: string): Image | undefined {
    return this.lru?.get(id);
  }

  put(image: Image): void {
    if (this.lru === null) return;
    if (image.deleted) this.lru.delete(image.id);
    else this.lru.set(image.id, image);
  }

  drop(id: string): void {
    this.lru?.delete(id);
  }

  clear(): void {
    this.lru?.clear();
  }
}
