/** What a target receives: the whole event, a constant Input, a part (InputPath), or a template. */
export interface TargetInput {
  input?: string;
  inputPath?: string;
  inputTransformer?: { inputPathsMap?: Record<string, string>; inputTemplate: string };
}

/** `$.detail.state`, `$['detail']`: the subset of JSONPath EventBridge uses for single values. */
export function select(event: unknown, path: string): unknown {
  if (path === '$') return event;
  const parts = path
    .replace(/^\$\.?/, '')
    .replace(/\[['"]?([^'"\]]+)['"]?\]/g, '.$1')
    .split('.')
    .filter((p) => p !== '');
  let value: unknown = event;
  for (const part of parts) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** `rule` fills the reserved `<aws.events.rule-arn>` and `<aws.events.rule-name>` of a template. */
export function applyInput(target: TargetInput, event: Record<string, unknown>, rule?: { arn: string; name: string }): string {
  if (target.input !== undefined) return target.input;
  if (target.inputPath !== undefined) {
    const value = select(event, target.inputPath);
    return value === undefined ? '' : JSON.stringify(value);
  }
  if (target.inputTransformer) {
    const { inputPathsMap = {}, inputTemplate } = target.inputTransformer;
    const values: Record<string, unknown> = {
      'aws.events.event': event,
      'aws.events.event.json': event,
      'aws.events.rule-arn': rule?.arn,
      'aws.events.rule-name': rule?.name,
      ...Object.fromEntries(Object.entries(inputPathsMap).map(([k, p]) => [k, select(event, p)])),
    };
    // AWS: a string value replaces its placeholder as text; other values as JSON.
    return inputTemplate.replace(/<([A-Za-z0-9_.-]+)>/g, (whole, name: string) => {
      if (!(name in values)) return whole;
      const v = values[name];
      return typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);
    });
  }
  return JSON.stringify(event);
}
