import type { Member, MemberStatus } from '../../core/member.js';
import type { Db } from './database.js';

interface MemberRow {
  image_id: string;
  member_id: string;
  status: string;
  created_at: number;
  updated_at: number;
  deleted: number;
}

const toMember = (r: MemberRow): Member => ({
  image_id: r.image_id,
  member_id: r.member_id,
  status: r.status as MemberStatus,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

/** Image members. Deleted rows are kept so that re-adding a member revives its row. */
export class MemberRepo {
  private readonly getStmt;
  private readonly listStmt;
  private readonly upsertStmt;
  private readonly statusStmt;
  private readonly deleteStmt;
  private readonly deleteAllStmt;
  private readonly countStmt;
  private readonly byMemberStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string, string], MemberRow>(
      'SELECT * FROM image_members WHERE image_id = ? AND member_id = ? AND deleted = 0',
    );
    this.listStmt = db.prepare<[string], MemberRow>(
      'SELECT * FROM image_members WHERE image_id = ? AND deleted = 0 ORDER BY created_at, member_id',
    );
    this.upsertStmt = db.prepare(
      `INSERT INTO image_members (image_id, member_id, status, created_at, updated_at, deleted)
       VALUES (@image_id, @member_id, 'pending', @now, @now, 0)
       ON CONFLICT (image_id, member_id) DO UPDATE SET status = 'pending', created_at = @now, updated_at = @now, deleted = 0`,
    );
    this.statusStmt = db.prepare(
      'UPDATE image_members SET status = ?, updated_at = ? WHERE image_id = ? AND member_id = ? AND deleted = 0',
    );
    this.deleteStmt = db.prepare('UPDATE image_members SET deleted = 1 WHERE image_id = ? AND member_id = ?');
    this.deleteAllStmt = db.prepare('UPDATE image_members SET deleted = 1 WHERE image_id = ?');
    this.byMemberStmt = db.prepare<[string], MemberRow>(
      `SELECT m.* FROM image_members m JOIN images i ON i.id = m.image_id
       WHERE m.member_id = ? AND m.deleted = 0 AND i.deleted = 0 ORDER BY m.created_at, m.image_id`,
    );
    this.countStmt = db.prepare<[string], { n: number }>(
      'SELECT COUNT(*) AS n FROM image_members WHERE image_id = ? AND deleted = 0',
    );
  }

  get(imageId: string, memberId: string): Member | undefined {
    const row = this.getStmt.get(imageId, memberId);
    return row === undefined ? undefined : toMember(row);
  }

  list(imageId: string): Member[] {
    return this.listStmt.all(imageId).map(toMember);
  }

  /** Live memberships of one project, on images that are not deleted. */
  byMember(memberId: string): Member[] {
    return this.byMemberStmt.all(memberId).map(toMember);
  }

  count(imageId: string): number {
    return this.countStmt.get(imageId)?.n ?? 0;
  }

  add(imageId: string, memberId: string, now: number): Member {
    this.upsertStmt.run({ image_id: imageId, member_id: memberId, now });
    return this.get(imageId, memberId)!;
  }

  setStatus(imageId: string, memberId: string, status: MemberStatus, now: number): Member | undefined {
    this.statusStmt.run(status, now, imageId, memberId);
    return this.get(imageId, memberId);
  }

  remove(imageId: string, memberId: string): void {
    this.deleteStmt.run(imageId, memberId);
  }

  removeAll(imageId: string): void {
    this.deleteAllStmt.run(imageId);
  }
}
