import type { Task, TaskQuery, TaskStatus } from '../../core/task.js';
import type { Db } from './database.js';

interface TaskRow {
  id: string;
  type: string;
  status: string;
  owner: string | null;
  image_id: string | null;
  user_id: string | null;
  request_id: string | null;
  input: string | null;
  result: string | null;
  message: string;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  deleted: number;
  deleted_at: number | null;
}

const toTask = (r: TaskRow): Task => ({
  ...r,
  status: r.status as TaskStatus,
  input: r.input === null ? null : (JSON.parse(r.input) as Record<string, unknown>),
  result: r.result === null ? null : (JSON.parse(r.result) as Record<string, unknown>),
  deleted: r.deleted === 1,
});

export class TaskRepo {
  private readonly insertStmt;
  private readonly finishStmt;
  private readonly statusStmt;
  private readonly byImageStmt;
  private readonly unfinishedStmt;
  private readonly getStmt;
  private readonly imageStmt;
  private readonly purgeStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO tasks (id, type, status, owner, image_id, user_id, request_id, input, result, message, created_at, updated_at)
       VALUES (@id, @type, @status, @owner, @image_id, @user_id, @request_id, @input, NULL, '', @created_at, @created_at)`,
    );
    this.finishStmt = db.prepare(
      'UPDATE tasks SET status = ?, result = ?, message = ?, updated_at = ?, expires_at = ? WHERE id = ?',
    );
    this.statusStmt = db.prepare('UPDATE tasks SET status = ?, message = ?, updated_at = ? WHERE id = ?');
    this.byImageStmt = db.prepare<[string, number], TaskRow>(
      `SELECT * FROM tasks WHERE image_id = ? AND deleted = 0 AND (expires_at IS NULL OR expires_at > ?)
       ORDER BY created_at, id`,
    );
    this.unfinishedStmt = db.prepare<[], TaskRow>(
      "SELECT * FROM tasks WHERE status IN ('pending', 'processing') AND deleted = 0",
    );
    this.getStmt = db.prepare<[string], TaskRow>('SELECT * FROM tasks WHERE id = ?');
    this.imageStmt = db.prepare('UPDATE tasks SET image_id = ?, updated_at = ? WHERE id = ?');
    this.purgeStmt = db.prepare(
      'UPDATE tasks SET deleted = 1, deleted_at = ? WHERE deleted = 0 AND expires_at IS NOT NULL AND expires_at <= ?',
    );
  }

  /** The task, deleted or not (callers decide). */
  get(id: string): Task | undefined {
    const row = this.getStmt.get(id);
    return row === undefined ? undefined : toTask(row);
  }

  setImage(id: string, imageId: string, now: number): void {
    this.imageStmt.run(imageId, now, id);
  }

  /** Soft-deletes the tasks whose expires_at has passed (Glance keeps the rows, hidden). */
  purgeExpired(now: number): number {
    return this.purgeStmt.run(now, now).changes;
  }

  /**
   * One page of live tasks, keyset-paginated after `marker` (a task row) in the query's order;
   * `owner` restricts to one project (non-admin callers).
   */
  list(query: TaskQuery, owner: string | null | undefined, marker: Task | null): Task[] {
    const where = ['deleted = 0'];
    const args: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(query.filters)) {
      where.push(`${k} = @f_${k}`);
      args[`f_${k}`] = v;
    }
    if (owner !== undefined) {
      where.push(owner === null ? 'owner IS NULL' : 'owner = @owner');
      args.owner = owner;
    }
    // Sort by the key, then created_at and id as tie-breakers, all in the one direction.
    const keys = [...new Set([query.sortKey, 'created_at', 'id'])];
    const op = query.sortDir === 'asc' ? '>' : '<';
    if (marker !== null) {
      // (k1, k2, k3) > (m1, m2, m3) spelled out, NULLs sorting first as in SQLite.
      const ors: string[] = [];
      keys.forEach((k, i) => {
        const eqs = keys.slice(0, i).map((p) => `${p} IS @m_${p}`);
        const after = op === '>' ? `(@m_${k} IS NULL AND ${k} IS NOT NULL) OR ${k} > @m_${k}` : `(${k} IS NULL AND @m_${k} IS NOT NULL) OR ${k} < @m_${k}`;
        ors.push(`(${[...eqs, `(${after})`].join(' AND ')})`);
      });
      where.push(`(${ors.join(' OR ')})`);
      for (const k of keys) args[`m_${k}`] = (marker as unknown as Record<string, unknown>)[k] ?? null;
    }
    const order = keys.map((k) => `${k} ${query.sortDir.toUpperCase()}`).join(', ');
    const sql = `SELECT * FROM tasks WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT @limit`;
    return this.db.prepare<[Record<string, unknown>], TaskRow>(sql).all({ ...args, limit: query.limit }).map(toTask);
  }

  insert(t: Omit<Task, 'result' | 'message' | 'updated_at' | 'expires_at' | 'deleted' | 'deleted_at'>): void {
    this.insertStmt.run({ ...t, input: t.input === null ? null : JSON.stringify(t.input) });
  }

  setStatus(id: string, status: TaskStatus, message: string, now: number): void {
    this.statusStmt.run(status, message, now, id);
  }

  finish(id: string, status: 'success' | 'failure', result: Record<string, unknown> | null, message: string, now: number, expiresAt: number): void {
    this.finishStmt.run(status, result === null ? null : JSON.stringify(result), message, now, expiresAt, id);
  }

  forImage(imageId: string, now: number): Task[] {
    return this.byImageStmt.all(imageId, now).map(toTask);
  }

  unfinished(): Task[] {
    return this.unfinishedStmt.all().map(toTask);
  }
}
