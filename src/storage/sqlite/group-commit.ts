import type Database from 'better-sqlite3';

/**
 * Group commit for a synchronous SQLite handle. The first write of an event-loop turn opens a
 * transaction; every write made until the loop reaches its check phase joins it, each inside its
 * own savepoint (so one failing operation undoes only itself); one COMMIT then makes them all
 * durable together, and only then do their promises resolve.
 *
 * Why: SQLite in WAL mode does about 4,400 single-message transactions per second on this class
 * of machine but about 50,000 messages per second at 100 per transaction. Concurrent requests
 * arrive in the same turn, so they share one commit.
 */
export class GroupCommit {
  private pending: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  private scheduled = false;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private readonly savepointOpen: Database.Statement;
  private readonly savepointRelease: Database.Statement;
  private readonly savepointUndo: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    /** Runs inside the transaction just before it commits. */
    private readonly beforeCommit: () => void = () => undefined,
    /** Runs after any rollback (one operation's savepoint or the whole group). */
    private readonly afterRollback: () => void = () => undefined,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepointOpen = db.prepare('SAVEPOINT op');
    this.savepointRelease = db.prepare('RELEASE op');
    this.savepointUndo = db.prepare('ROLLBACK TO op');
  }

  /** Runs `operation` now, inside the open group transaction; resolves once that is committed. */
  write<T>(operation: () => T): Promise<T> {
    if (!this.db.inTransaction) this.begin.run();
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    let result: T;
    try {
      result = this.savepoint(operation);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: () => resolve(result), reject });
    });
  }

  private savepoint<T>(operation: () => T): T {
    this.savepointOpen.run();
    try {
      const result = operation();
      this.savepointRelease.run();
      return result;
    } catch (error) {
      this.savepointUndo.run();
      this.savepointRelease.run();
      this.afterRollback();
      throw error;
    }
  }

  /** Commits what is open now (used at shutdown and by tests). */
  readonly flush = (): void => {
    this.scheduled = false;
    const waiting = this.pending;
    this.pending = [];
    if (!this.db.inTransaction) {
      for (const w of waiting) w.resolve();
      return;
    }
    try {
      this.beforeCommit();
      this.commit.run();
    } catch (error) {
      if (this.db.inTransaction) this.rollback.run();
      this.afterRollback();
      for (const w of waiting) w.reject(error);
      return;
    }
    for (const w of waiting) w.resolve();
  };
}
