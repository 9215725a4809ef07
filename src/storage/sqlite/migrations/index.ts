import { sql as init } from './0001-init.js';
import { sql as sse } from './0002-sse.js';
import { sql as leases } from './0003-leases.js';
import { sql as envelopes } from './0004-envelopes.js';
import { sql as retentionIndex } from './0005-retention-index.js';
import { sql as receiveAttempts } from './0006-receive-attempts.js';
import { sql as kmsCalls } from './0007-kms-calls.js';

/** Numbered migrations, applied in order, each in its own transaction with its version recorded. */
export const migrations: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  { version: 1, name: 'init', sql: init },
  { version: 2, name: 'sse', sql: sse },
  { version: 3, name: 'leases', sql: leases },
  { version: 4, name: 'envelopes', sql: envelopes },
  { version: 5, name: 'retention-index', sql: retentionIndex },
  { version: 6, name: 'receive-attempts', sql: receiveAttempts },
  { version: 7, name: 'kms-calls', sql: kmsCalls },
];
