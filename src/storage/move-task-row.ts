import type { MoveTaskRecord } from './ports.js';

/** A row of `sqs_move_tasks`: both engines name its columns alike. */
export interface MoveTaskRow {
  handle: string;
  source_queue_id: number;
  source_arn: string;
  destination_arn: string | null;
  max_messages_per_second: number | null;
  status: MoveTaskRecord['status'];
  moved: number;
  to_move: number;
  failure_reason: string | null;
  started_at: number;
  updated_at: number;
}

export const toMoveTask = (row: MoveTaskRow): MoveTaskRecord => ({
  handle: row.handle,
  sourceQueueId: row.source_queue_id,
  sourceArn: row.source_arn,
  destinationArn: row.destination_arn,
  maxMessagesPerSecond: row.max_messages_per_second,
  status: row.status,
  moved: row.moved,
  toMove: row.to_move,
  failureReason: row.failure_reason,
  startedAt: row.started_at,
  updatedAt: row.updated_at,
});
