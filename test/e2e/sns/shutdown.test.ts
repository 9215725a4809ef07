import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../../support/sealq.js';
import { Sns, clientsFor, snsQueue, subscribe, topic } from './helpers.js';

/**
 * SNS delivers after Publish has answered. A server closed while a delivery is still on its way
 * (here: the first delivery, still making the signing key) must not leave a rejected promise behind.
 */

const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);

afterEach(() => {
  process.off('unhandledRejection', onRejection);
});

describe('SNS delivery across shutdown', () => {
  it('a delivery still loading the signing key when the server closes fails quietly', async () => {
    process.on('unhandledRejection', onRejection);
    const server = await startTestServer();
    const c = clientsFor(server);
    const topicArn = await topic(c);
    const queue = await snsQueue(c);
    await subscribe(c, topicArn, queue.arn);
    await c.sns.send(new Sns.PublishCommand({ TopicArn: topicArn, Message: 'in flight at shutdown' }));
    await server.stop();
    // The signing key takes a moment to make; wait past it so a late rejection would be seen.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(rejections).toEqual([]);
  });
});
