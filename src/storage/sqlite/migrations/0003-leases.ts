/** Leases on background work (see SqsStore.tryLease): one row per named lease. */
export const sql = `
CREATE TABLE sqs_leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT    NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
`;
