import type { Image } from '../../core/image.js';
import type { Db } from './database.js';

interface ImageRow {
  id: string;
  name: string | null;
  disk_format: string | null;
  container_format: string | null;
  visibility: string;
  size: number | null;
  virtual_size: number | null;
  status: string;
  checksum: string | null;
  protected: number;
  min_ram: number;
  min_disk: number;
  owner: string | null;
  os_hidden: number;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  created_at: number;
  updated_at: number;
  deleted: number;
  deleted_at: number | null;
  properties: string;
  tags: string;
  locations: string;
  stores: string;
}

export function rowToImage(r: ImageRow): Image {
  return {
    id: r.id,
    name: r.name,
    disk_format: r.disk_format,
    container_format: r.container_format,
    visibility: r.visibility as Image['visibility'],
    size: r.size,
    virtual_size: r.virtual_size,
    status: r.status as Image['status'],
    checksum: r.checksum,
    protected: r.protected === 1,
    min_ram: r.min_ram,
    min_disk: r.min_disk,
    owner: r.owner,
    os_hidden: r.os_hidden === 1,
    os_hash_algo: r.os_hash_algo,
    os_hash_value: r.os_hash_value,
    created_at: r.created_at,
    updated_at: r.updated_at,
    deleted: r.deleted === 1,
    deleted_at: r.deleted_at,
    properties: JSON.parse(r.properties) as Record<string, string>,
    tags: JSON.parse(r.tags) as string[],
    locations: JSON.parse(r.locations) as Image['locations'],
    stores: JSON.parse(r.stores) as string[],
  };
}

function imageParams(i: Image): Record<string, unknown> {
  return {
    id: i.id,
    name: i.name,
    disk_format: i.disk_format,
    container_format: i.container_format,
    visibility: i.visibility,
    size: i.size,
    virtual_size: i.virtual_size,
    status: i.status,
    checksum: i.checksum,
    protected: i.protected ? 1 : 0,
    min_ram: i.min_ram,
    min_disk: i.min_disk,
    owner: i.owner,
    os_hidden: i.os_hidden ? 1 : 0,
    os_hash_algo: i.os_hash_algo,
    os_hash_value: i.os_hash_value,
    created_at: i.created_at,
    updated_at: i.updated_at,
    deleted: i.deleted ? 1 : 0,
    deleted_at: i.deleted_at,
    properties: JSON.stringify(i.properties),
    tags: JSON.stringify(i.tags),
    locations: JSON.stringify(i.locations),
    stores: JSON.stringify(i.stores),
  };
}

const COLUMNS = [
  'id', 'name', 'disk_format', 'container_format', 'visibility', 'size', 'virtual_size', 'status',
  'checksum', 'protected', 'min_ram', 'min_disk', 'owner', 'os_hidden', 'os_hash_algo', 'os_hash_value',
  'created_at', 'updated_at', 'deleted', 'deleted_at', 'properties', 'tags', 'locations', 'stores',
];

/**
 * Image rows and their filter side tables. All methods are synchronous: callers compose
 * them inside one db.transaction so a read-modify-write can never interleave with another.
 */
export class ImageRepo {
  private readonly getStmt;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly deletePropsStmt;
  private readonly insertPropStmt;
  private readonly deleteTagsStmt;
  private readonly insertTagStmt;
  private readonly usageStmt;

  constructor(readonly db: Db) {
    this.getStmt = db.prepare<[string], ImageRow>('SELECT * FROM images WHERE id = ?');
    this.insertStmt = db.prepare(
      `INSERT INTO images (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => '@' + c).join(', ')})`,
    );
    this.updateStmt = db.prepare(
      `UPDATE images SET ${COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`,
    );
    this.deletePropsStmt = db.prepare('DELETE FROM image_properties WHERE image_id = ?');
    this.insertPropStmt = db.prepare('INSERT INTO image_properties (image_id, name, value) VALUES (?, ?, ?)');
    this.deleteTagsStmt = db.prepare('DELETE FROM image_tags WHERE image_id = ?');
    this.insertTagStmt = db.prepare('INSERT INTO image_tags (image_id, tag) VALUES (?, ?)');
    this.usageStmt = db.prepare<[string], { total: number | null }>(
      `SELECT SUM(size) AS total FROM images
       WHERE owner = ? AND deleted = 0 AND status IN ('active', 'deactivated', 'saving', 'uploading', 'importing')`,
    );
  }

  /** Any row, deleted ones included: ids are never reused. */
  get(id: string): Image | undefined {
    const row = this.getStmt.get(id);
    return row === undefined ? undefined : rowToImage(row);
  }

  insert(image: Image): void {
    this.insertStmt.run(imageParams(image));
    this.writeSideTables(image);
  }

  /** Saves the whole record. `sideTables` false skips the filter rows when props/tags are unchanged. */
  save(image: Image, sideTables = true): void {
    this.updateStmt.run(imageParams(image));
    if (sideTables) {
      this.deletePropsStmt.run(image.id);
      this.deleteTagsStmt.run(image.id);
      if (!image.deleted) this.writeSideTables(image);
    }
  }

  /** Bytes counted against the owner's storage quota. */
  usage(owner: string): number {
    return this.usageStmt.get(owner)?.total ?? 0;
  }

  private writeSideTables(image: Image): void {
    for (const [k, v] of Object.entries(image.properties)) this.insertPropStmt.run(image.id, k, v);
    for (const t of image.tags) this.insertTagStmt.run(image.id, t);
  }
}

export type { ImageRow };
