import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/**
 * The schema. Images keep their properties, tags, locations and stores as JSON for rendering
 * in one read; image_properties and image_tags duplicate them as rows so list filters use
 * indexes. Both are always written in the same transaction.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE images (
     id TEXT PRIMARY KEY,
     name TEXT,
     disk_format TEXT,
     container_format TEXT,
     visibility TEXT NOT NULL,
     size INTEGER,
     virtual_size INTEGER,
     status TEXT NOT NULL,
     checksum TEXT,
     protected INTEGER NOT NULL DEFAULT 0,
     min_ram INTEGER NOT NULL DEFAULT 0,
     min_disk INTEGER NOT NULL DEFAULT 0,
     owner TEXT,
     os_hidden INTEGER NOT NULL DEFAULT 0,
     os_hash_algo TEXT,
     os_hash_value TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     deleted INTEGER NOT NULL DEFAULT 0,
     deleted_at INTEGER,
     properties TEXT NOT NULL DEFAULT '{}',
     tags TEXT NOT NULL DEFAULT '[]',
     locations TEXT NOT NULL DEFAULT '[]',
     stores TEXT NOT NULL DEFAULT '[]'
   ) WITHOUT ROWID;
   CREATE INDEX images_created ON images (created_at, id);
   CREATE INDEX images_updated ON images (updated_at);
   CREATE INDEX images_owner ON images (owner, created_at);
   CREATE INDEX images_visibility ON images (visibility, created_at);
   CREATE INDEX images_status ON images (status);
   CREATE INDEX images_name ON images (name);
   CREATE TABLE image_properties (
     image_id TEXT NOT NULL,
     name TEXT NOT NULL,
     value TEXT NOT NULL,
     PRIMARY KEY (image_id, name)
   ) WITHOUT ROWID;
   CREATE INDEX image_properties_lookup ON image_properties (name, value);
   CREATE TABLE image_tags (
     image_id TEXT NOT NULL,
     tag TEXT NOT NULL,
     PRIMARY KEY (image_id, tag)
   ) WITHOUT ROWID;
   CREATE INDEX image_tags_lookup ON image_tags (tag);
   CREATE TABLE image_members (
     image_id TEXT NOT NULL,
     member_id TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     deleted INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (image_id, member_id)
   ) WITHOUT ROWID;
   CREATE INDEX image_members_member ON image_members (member_id, status);
   CREATE TABLE staging (
     image_id TEXT PRIMARY KEY,
     size INTEGER NOT NULL,
     checksum TEXT NOT NULL,
     os_hash_value TEXT NOT NULL,
     created_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE tasks (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     status TEXT NOT NULL,
     owner TEXT,
     image_id TEXT,
     user_id TEXT,
     request_id TEXT,
     input TEXT,
     result TEXT,
     message TEXT NOT NULL DEFAULT '',
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     expires_at INTEGER,
     deleted INTEGER NOT NULL DEFAULT 0,
     deleted_at INTEGER
   ) WITHOUT ROWID;
   CREATE INDEX tasks_image ON tasks (image_id);
   CREATE INDEX tasks_created ON tasks (created_at, id);`,
];

export function openDatabase(file: string, synchronous: 'NORMAL' | 'FULL'): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
