import type { Task, TaskStatus } from '../../core/task.js';
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

  constructor(db: Db) {
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
