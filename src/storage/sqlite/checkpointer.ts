import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * Runs SQLite WAL checkpoints on a worker thread with its own connection. A checkpoint copies the
 * WAL into the database file and fsyncs it; done by the serving thread (SQLite's default, every
 * 1,000 pages) it blocked every request for milliseconds at a time, which with 4 KiB bodies
 * happened every few hundred messages. PASSIVE checkpoints never block the writer.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  private stopping = false;

  /** `onFailure` runs if the worker dies on its own, so the caller can checkpoint itself again. */
  constructor(file: string, onFailure: () => void, intervalMs = 250) {
    const source = `
      const { workerData, parentPort } = require('node:worker_threads');
      const Database = require(workerData.driver);
      const db = new Database(workerData.file);
      db.pragma('busy_timeout = 1000');
      const timer = setInterval(() => {
        try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* the next round retries */ }
      }, workerData.intervalMs);
      parentPort.on('message', () => { clearInterval(timer); try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} db.close(); process.exit(0); });
    `;
    this.worker = new Worker(source, {
      eval: true,
      workerData: { file, intervalMs, driver },
    });
    this.exited = new Promise<void>((resolve) =>
      this.worker.once('exit', () => {
        if (!this.stopping) onFailure();
        resolve();
      }),
    );
    // A checkpointer that fails to start costs WAL growth, never correctness: ignore its errors.
    this.worker.on('error', () => undefined);
    this.worker.unref();
  }

  async stop(): Promise<void> {
    // An unreferenced worker's exit is not delivered while nothing else keeps the loop alive.
    this.stopping = true;
    this.worker.ref();
    this.worker.postMessage('stop');
    const timer = setTimeout(() => void this.worker.terminate(), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}
