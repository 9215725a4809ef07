/** The KMS audit log, kept across restarts (it was in memory only). */
export const sql = `
CREATE TABLE kms_calls (
  id     INTEGER PRIMARY KEY,
  time   INTEGER NOT NULL,
  record TEXT    NOT NULL
);
CREATE INDEX kms_calls_by_time ON kms_calls (time);
`;
