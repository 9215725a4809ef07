import type Database from 'better-sqlite3';

/** Message rows scanned per step of a sweep: a few milliseconds of the event loop at a time. */
const SWEEP_STEP = 5000;

/**
 * The envelopes of sealed messages, stored once each (see migration 0004) and referred to by id.
 * Ids are looked up in memory; a new envelope is inserted in the caller's open transaction.
 *
 * Envelopes no message refers to any more are removed by a sweep that walks the messages in id
 * order, a step at a time, noting the envelopes in use, and then deletes the older unused ones.
 * A message written during the sweep has a higher id than any walked so far, so a later step
 * sees it; the last step and the deletion run in one synchronous write, so nothing comes between.
 */
export class Envelopes {
  private readonly ids = new Map<string, number>();
  private readonly find: Database.Statement<[string], number>;
  private readonly insert: Database.Statement<[string]>;
  private readonly newest: Database.Statement<[], number | null>;
  private readonly walk: Database.Statement<[number, number], { id: number; envelope_id: number | null }>;
  private readonly upTo: Database.Statement<[number], { id: number; text: string }>;
  private readonly remove: Database.Statement<[number]>;

  constructor(db: Database.Database) {
    this.find = db.prepare<[string], number>('SELECT id FROM sqs_envelopes WHERE text = ?').pluck();
    this.insert = db.prepare<[string]>('INSERT INTO sqs_envelopes (text) VALUES (?)');
    this.newest = db.prepare<[], number | null>('SELECT max(id) FROM sqs_envelopes').pluck();
    this.walk = db.prepare<[number, number], { id: number; envelope_id: number | null }>(
      'SELECT id, envelope_id FROM sqs_messages WHERE id > ? ORDER BY id LIMIT ?',
    );
    this.upTo = db.prepare<[number], { id: number; text: string }>('SELECT id, text FROM sqs_envelopes WHERE id <= ?');
    this.remove = db.prepare<[number]>('DELETE FROM sqs_envelopes WHERE id = ?');
  }

  /** The id of an envelope; call inside a write, which stores a new one. */
  idOf(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.find.get(text) ?? Number(this.insert.run(text).lastInsertRowid);
      this.ids.set(text, id);
    }
    return id;
  }

  /** After a rollback: an id handed out in the undone work may not exist. */
  forget(): void {
    this.ids.clear();
  }

  /**
   * Runs one sweep. `write` runs a function inside the store's group transaction; `pause` lets
   * the event loop serve requests between steps. Resolves to the number of envelopes deleted.
   */
  async sweep(write: <T>(operation: () => T) => Promise<T>, pause: () => Promise<void>): Promise<number> {
    const candidates = this.newest.get() ?? 0;
    if (candidates === 0) return 0;
    const used = new Set<number>();
    let after = 0;
    const step = (): boolean => {
      const rows = this.walk.all(after, SWEEP_STEP);
      for (const row of rows) if (row.envelope_id !== null) used.add(row.envelope_id);
      if (rows.length > 0) after = rows[rows.length - 1].id;
      return rows.length < SWEEP_STEP;
    };
    for (;;) {
      const deleted = await write(() => {
        if (!step()) return undefined;
        let count = 0;
        for (const envelope of this.upTo.all(candidates)) {
          if (used.has(envelope.id)) continue;
          this.remove.run(envelope.id);
          this.ids.delete(envelope.text);
          count++;
        }
        return count;
      });
      if (deleted !== undefined) return deleted;
      await pause();
    }
  }
}
