import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueue, eventually, queueArn, queueAttributes, receiveAll, sleep } from '../support/e2e.js';
import { clientFor, errorOf, protocols, startTestServer, uniqueName, type Sdk, type TestServer } from '../support/sealq.js';

// Move tasks run on the server's own timer, so this file uses the real clock.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

describe.each(protocols)('message move tasks over $name', ({ sdk }) => {
  const client = () => clientFor(sdk, server.url);
  const count = async (url: string) =>
    Number((await queueAttributes(client(), sdk, url, ['ApproximateNumberOfMessages'])).ApproximateNumberOfMessages);
  const list = async (SourceArn: string, MaxResults?: number) =>
    (await client().send(new sdk.ListMessageMoveTasksCommand({ SourceArn, MaxResults }))).Results ?? [];
  const finished = (arn: string) =>
    eventually(async () => {
      const [task] = await list(arn);
      return task && task.Status !== 'RUNNING' ? task : undefined;
    }, 10_000);

  it('moves dead letters back to their source queue and reports the completed task', async () => {
    const { source, dlq, dlqArn } = await deadLettered(sdk, client(), 3);
    const before = Date.now();
    const { TaskHandle } = await client().send(new sdk.StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    expect(TaskHandle).toEqual(expect.any(String));
    const task = await finished(dlqArn);
    expect(task).toMatchObject({
      Status: 'COMPLETED',
      SourceArn: dlqArn,
      ApproximateNumberOfMessagesMoved: 3,
      ApproximateNumberOfMessagesToMove: 3,
    });
    expect(task.TaskHandle).toBeUndefined();
    expect(task.DestinationArn).toBeUndefined();
    expect(task.StartedTimestamp).toBeGreaterThanOrEqual(before - 1000);
    expect(task.StartedTimestamp).toBeLessThanOrEqual(Date.now());
    expect(await count(dlq)).toBe(0);
    const home = await receiveAll(client(), sdk, source);
    expect(home.map((m) => m.Body).sort()).toEqual(['dead-0', 'dead-1', 'dead-2']);
  });

  it('moves dead letters to a DestinationArn when one is given', async () => {
    const { source, dlq, dlqArn } = await deadLettered(sdk, client(), 2);
    const destination = await createQueue(client(), sdk);
    const destinationArn = await queueArn(client(), sdk, destination);
    await client().send(new sdk.StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: destinationArn }));
    const task = await finished(dlqArn);
    expect(task).toMatchObject({ Status: 'COMPLETED', DestinationArn: destinationArn, ApproximateNumberOfMessagesMoved: 2 });
    expect(await count(dlq)).toBe(0);
    expect(await count(source)).toBe(0);
    expect((await receiveAll(client(), sdk, destination)).map((m) => m.Body).sort()).toEqual(['dead-0', 'dead-1']);
  });

  it('moves at MaxNumberOfMessagesPerSecond', async () => {
    const { source, dlqArn } = await deadLettered(sdk, client(), 4);
    const started = Date.now();
    const { TaskHandle } = await client().send(
      new sdk.StartMessageMoveTaskCommand({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 2 }),
    );
    const [running] = await list(dlqArn);
    expect(running).toMatchObject({ Status: 'RUNNING', TaskHandle, MaxNumberOfMessagesPerSecond: 2 });
    await sleep(700);
    // At 2 per second, at most the first message and the next one or two have moved by now.
    expect(await count(source)).toBeLessThan(4);
    const task = await finished(dlqArn);
    const elapsed = Date.now() - started;
    expect(task).toMatchObject({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 4, MaxNumberOfMessagesPerSecond: 2 });
    // 4 messages at 2/s take about 1.5 s (the first moves at once).
    expect(elapsed).toBeGreaterThanOrEqual(1200);
    expect(await count(source)).toBe(4);
  });

  it('cancels a running task, which then moves nothing more', async () => {
    const { source, dlq, dlqArn } = await deadLettered(sdk, client(), 6);
    const { TaskHandle } = await client().send(
      new sdk.StartMessageMoveTaskCommand({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 1 }),
    );
    await sleep(300);
    const cancelled = await client().send(new sdk.CancelMessageMoveTaskCommand({ TaskHandle }));
    expect(cancelled.ApproximateNumberOfMessagesMoved).toBeGreaterThanOrEqual(0);
    expect(cancelled.ApproximateNumberOfMessagesMoved).toBeLessThanOrEqual(2);
    const task = await eventually(async () => {
      const [t] = await list(dlqArn);
      return t.Status === 'CANCELLED' ? t : undefined;
    });
    expect(task.TaskHandle).toBeUndefined();
    const moved = await count(source);
    await sleep(1200);
    expect(await count(source)).toBe(moved);
    expect(await count(dlq)).toBe(6 - moved);
    expect(moved).toBeLessThanOrEqual(2);

    // A new task may start once the old one is over; the list shows the newest first.
    await client().send(new sdk.StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    await finished(dlqArn);
    const both = await list(dlqArn, 10);
    expect(both.map((t) => t.Status)).toEqual(['COMPLETED', 'CANCELLED']);
    expect(await count(source)).toBe(6);
  });

  it('answers the move-task errors', async () => {
    const plain = await createQueue(client(), sdk);
    const plainArn = await queueArn(client(), sdk, plain);
    expect(await errorOf(client().send(new sdk.StartMessageMoveTaskCommand({ SourceArn: plainArn })))).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
      message: 'Source queue must be configured as a Dead Letter Queue.',
    });
    const missingArn = `arn:aws:sqs:us-east-1:000000000000:${uniqueName('missing')}`;
    expect(await errorOf(client().send(new sdk.StartMessageMoveTaskCommand({ SourceArn: missingArn })))).toEqual({
      code: 'ResourceNotFoundException',
      status: 404,
      message: "The resource that you specified for the SourceArn parameter doesn't exist.",
    });

    const { dlqArn } = await deadLettered(sdk, client(), 3);
    expect(
      await errorOf(client().send(new sdk.StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: missingArn }))),
    ).toEqual({
      code: 'ResourceNotFoundException',
      status: 404,
      message: "The resource that you specified for the DestinationArn parameter doesn't exist.",
    });
    expect(
      await errorOf(client().send(new sdk.StartMessageMoveTaskCommand({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 501 }))),
    ).toMatchObject({ code: 'InvalidParameterValue', status: 400 });

    const { TaskHandle } = await client().send(
      new sdk.StartMessageMoveTaskCommand({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 1 }),
    );
    expect(await errorOf(client().send(new sdk.StartMessageMoveTaskCommand({ SourceArn: dlqArn })))).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
      message: 'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
    });
    await client().send(new sdk.CancelMessageMoveTaskCommand({ TaskHandle }));

    expect(await errorOf(client().send(new sdk.CancelMessageMoveTaskCommand({ TaskHandle: 'not a handle' })))).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
      message: 'Value for parameter TaskHandle is invalid.',
    });
    const unknown = Buffer.from(JSON.stringify({ taskId: '00000000-0000-4000-8000-000000000000', sourceArn: dlqArn })).toString('base64');
    expect(await errorOf(client().send(new sdk.CancelMessageMoveTaskCommand({ TaskHandle: unknown })))).toEqual({
      code: 'ResourceNotFoundException',
      status: 404,
      message: 'Task does not exist.',
    });
    expect(await errorOf(client().send(new sdk.ListMessageMoveTasksCommand({ SourceArn: 'not-an-arn' })))).toMatchObject({
      code: 'InvalidParameterValue',
      status: 400,
    });
    expect(await errorOf(client().send(new sdk.ListMessageMoveTasksCommand({ SourceArn: missingArn })))).toMatchObject({
      code: 'ResourceNotFoundException',
      status: 404,
    });
  });
});

/** A source queue whose `n` (≤ 10) messages were each received once too often and now sit in its DLQ. */
async function deadLettered(sdk: Sdk, client: ReturnType<typeof clientFor>, n: number) {
  const dlq = await createQueue(client, sdk);
  const dlqArn = await queueArn(client, sdk, dlq);
  const source = await createQueue(client, sdk, { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) });
  await client.send(
    new sdk.SendMessageBatchCommand({
      QueueUrl: source,
      Entries: Array.from({ length: n }, (_, i) => ({ Id: `m${i}`, MessageBody: `dead-${i}` })),
    }),
  );
  expect(await receiveAll(client, sdk, source, { visibility: 0 })).toHaveLength(n);
  expect(await receiveAll(client, sdk, source)).toEqual([]);
  const inDlq = await queueAttributes(client, sdk, dlq, ['ApproximateNumberOfMessages']);
  expect(inDlq.ApproximateNumberOfMessages).toBe(String(n));
  return { source, dlq, dlqArn };
}
