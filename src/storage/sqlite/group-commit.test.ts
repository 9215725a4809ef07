import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';

describe('group commit', () => {
  const open = () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v INTEGER NOT NULL)');
    const rollbacks: number[] = [];
    const group = new GroupCommit(db, () => undefined, () => rollbacks.push(rollbacks.length));
    return { db, group, rollbacks, count: () => (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n };
  };

  it('commits the writes of one turn together and undoes only the one that failed', async () => {
    const { db, group, rollbacks, count } = open();
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const first = group.write(() => insert.run(1));
    const failing = group.write(() => {
      insert.run(2);
      throw new Error('refused');
    });
    const third = group.write(() => insert.run(3));
    await expect(failing).rejects.toThrow('refused');
    await Promise.all([first, third]);
    expect(count()).toBe(2);
    expect(db.prepare('SELECT v FROM t ORDER BY v').pluck().all()).toEqual([1, 3]);
    // Whoever caches state next to the database learns of the rollback.
    expect(rollbacks).toHaveLength(1);
  });

  it('reports a failed commit as a rollback and rejects every write of the turn', async () => {
    const { db, group, rollbacks, count } = open();
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    // A deferred constraint fails only at COMMIT.
    db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)');
    db.pragma('foreign_keys = ON');
    const a = group.write(() => insert.run(1));
    const b = group.write(() => db.prepare('INSERT INTO child (p) VALUES (42)').run());
    await expect(a).rejects.toThrow();
    await expect(b).rejects.toThrow();
    expect(count()).toBe(0);
    expect(rollbacks).toHaveLength(1);
  });
});
