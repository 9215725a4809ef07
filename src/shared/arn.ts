/** Amazon Resource Names: `arn:partition:service:region:account:resource`. */
export interface Arn {
  partition: string;
  service: string;
  region: string;
  accountId: string;
  resource: string;
}

export function parseArn(text: string): Arn | undefined {
  const parts = text.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition, service, region, accountId] = parts;
  return { partition, service, region, accountId, resource: parts.slice(5).join(':') };
}

export function sqsQueueArn(region: string, accountId: string, queueName: string): string {
  return `arn:aws:sqs:${region}:${accountId}:${queueName}`;
}
