import { describe, expect, it } from 'vitest';
import { EventPatternError, matchesEventPattern, parseEventPattern } from './event-pattern.js';

type Row = [name: string, pattern: unknown, event: unknown, expected: boolean];

function check(pattern: unknown, event: unknown): boolean {
  return matchesEventPattern(parseEventPattern(JSON.stringify(pattern)), event);
}

const ec2 = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated', 'c-count': 5, 'source-ip': '10.0.0.33' },
};

const matchRows: Record<string, Row[]> = {
  exact: [
    ['string equal', { source: ['aws.ec2'] }, ec2, true],
    ['string differs', { source: ['aws.s3'] }, ec2, false],
    ['OR within a field', { source: ['aws.s3', 'aws.ec2'] }, ec2, true],
    ['AND across fields, both match', { source: ['aws.ec2'], region: ['us-west-1'] }, ec2, true],
    ['AND across fields, one fails', { source: ['aws.ec2'], region: ['us-east-1'] }, ec2, false],
    ['case-sensitive', { source: ['AWS.EC2'] }, ec2, false],
    ['number equal', { n: [5] }, { n: 5 }, true],
    ['5 matches 5.0', { n: [5] }, JSON.parse('{"n": 5.0}'), true],
    ['3.018e2 matches 301.8', { n: [3.018e2] }, { n: 301.8 }, true],
    ['number differs', { n: [5] }, { n: 6 }, false],
    ['number does not match numeric string', { n: [5] }, { n: '5' }, false],
    ['string does not match number', { n: ['5'] }, { n: 5 }, false],
    ['boolean true', { b: [true] }, { b: true }, true],
    ['boolean false vs true', { b: [false] }, { b: true }, false],
    ['boolean does not match string', { b: [true] }, { b: 'true' }, false],
    ['null matches null', { x: [null] }, { x: null }, true],
    ['null does not match missing', { x: [null] }, {}, false],
    ['null does not match empty string', { x: [null] }, { x: '' }, false],
    ['empty string matches empty string', { x: [''] }, { x: '' }, true],
    ['empty string does not match null', { x: [''] }, { x: null }, false],
    ['missing field', { missing: ['x'] }, ec2, false],
    ['leaf pattern vs object value', { detail: ['terminated'] }, ec2, false],
  ],
  nested: [
    ['nested field matches', { detail: { state: ['terminated'] } }, ec2, true],
    ['nested field differs', { detail: { state: ['running'] } }, ec2, false],
    ['deep nesting', { a: { b: { c: ['x'] } } }, { a: { b: { c: 'x' } } }, true],
    ['missing parent', { a: { b: ['x'] } }, { c: 1 }, false],
    ['parent is scalar', { a: { b: ['x'] } }, { a: 'x' }, false],
    ['structure must follow the event', { state: ['terminated'] }, ec2, false],
    ['full EC2 example', { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated', 'stopped'] } }, ec2, true],
  ],
  arrays: [
    ['event array intersects pattern', { resources: ['arn:x', 'arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'] }, ec2, true],
    ['event array disjoint', { resources: ['arn:x'] }, ec2, false],
    ['any element matches', { tags: ['b'] }, { tags: ['a', 'b', 'c'] }, true],
    ['empty event array', { tags: ['a'] }, { tags: [] }, false],
    ['nested arrays flattened', { tags: ['c'] }, { tags: [['a'], ['b', 'c']] }, true],
    ['numbers in array', { n: [{ numeric: ['>', 10] }] }, { n: [1, 2, 30] }, true],
    ['array of objects, one element matches', { items: { name: ['b'] } }, { items: [{ name: 'a' }, { name: 'b' }] }, true],
    ['array of objects, none matches', { items: { name: ['z'] } }, { items: [{ name: 'a' }, { name: 'b' }] }, false],
    ['array consistency: fields from one element', { e: { first: ['John'], last: ['Doe'] } }, { e: [{ first: 'John', last: 'Doe' }, { first: 'Anna', last: 'Smith' }] }, true],
    ['array consistency: fields across elements do not combine', { e: { first: ['John'], last: ['Smith'] } }, { e: [{ first: 'John', last: 'Doe' }, { first: 'Anna', last: 'Smith' }] }, false],
    ['prefix on array element', { arns: [{ prefix: 'arn:aws:s3' }] }, { arns: ['arn:aws:ec2:x', 'arn:aws:s3:::b'] }, true],
  ],
  prefix: [
    ['prefix matches', { time: [{ prefix: '2017-12-22' }] }, ec2, true],
    ['prefix differs', { time: [{ prefix: '2018' }] }, ec2, false],
    ['prefix is case-sensitive', { source: [{ prefix: 'AWS.' }] }, ec2, false],
    ['prefix on number', { n: [{ prefix: '1' }] }, { n: 12 }, false],
    ['prefix on missing field', { x: [{ prefix: 'a' }] }, {}, false],
    ['prefix ignore case matches', { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] }, { service: 'eventbridge' }, true],
    ['prefix ignore case upper', { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] }, { service: 'EVENTBRIDGE' }, true],
    ['prefix ignore case differs', { service: [{ prefix: { 'equals-ignore-case': 'sqs' } }] }, { service: 'eventbridge' }, false],
    ['prefix ignore case, value shorter', { service: [{ prefix: { 'equals-ignore-case': 'eventbridge-x' } }] }, { service: 'eventbridge' }, false],
  ],
  suffix: [
    ['suffix matches', { FileName: [{ suffix: '.png' }] }, { FileName: 'cat.png' }, true],
    ['suffix differs', { FileName: [{ suffix: '.png' }] }, { FileName: 'cat.jpg' }, false],
    ['suffix is case-sensitive', { FileName: [{ suffix: '.png' }] }, { FileName: 'cat.PNG' }, false],
    ['suffix ignore case', { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { FileName: 'cat.PNG' }, true],
    ['suffix ignore case differs', { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { FileName: 'cat.gif' }, false],
    ['suffix on number', { n: [{ suffix: '5' }] }, { n: 5 }, false],
  ],
  'equals-ignore-case': [
    ['matches other case', { name: [{ 'equals-ignore-case': 'alice' }] }, { name: 'ALICE' }, true],
    ['matches mixed case', { name: [{ 'equals-ignore-case': 'AlIcE' }] }, { name: 'alice' }, true],
    ['differs', { name: [{ 'equals-ignore-case': 'alice' }] }, { name: 'alicia' }, false],
    ['non-string value', { name: [{ 'equals-ignore-case': 'true' }] }, { name: true }, false],
    ['missing field', { name: [{ 'equals-ignore-case': 'alice' }] }, {}, false],
  ],
  'anything-but': [
    ['single string, other value', { detail: { state: [{ 'anything-but': 'initializing' }] } }, ec2, true],
    ['single string, excluded value', { detail: { state: [{ 'anything-but': 'terminated' }] } }, ec2, false],
    ['single number, other value', { n: [{ 'anything-but': 123 }] }, { n: 5 }, true],
    ['single number, excluded value', { n: [{ 'anything-but': 123 }] }, { n: 123.0 }, false],
    ['string list, other value', { s: [{ 'anything-but': ['stopped', 'overloaded'] }] }, { s: 'running' }, true],
    ['string list, excluded value', { s: [{ 'anything-but': ['stopped', 'overloaded'] }] }, { s: 'stopped' }, false],
    ['number list, excluded', { n: [{ 'anything-but': [100, 200, 300] }] }, { n: 200 }, false],
    ['number list, other', { n: [{ 'anything-but': [100, 200, 300] }] }, { n: 250 }, true],
    ['string exclusion vs number value', { n: [{ 'anything-but': '5' }] }, { n: 5 }, true],
    ['missing field does not match', { x: [{ 'anything-but': 'a' }] }, {}, false],
    ['object value does not match', { x: [{ 'anything-but': 'a' }] }, { x: { y: 1 } }, false],
    ['is case-sensitive', { s: [{ 'anything-but': 'stopped' }] }, { s: 'STOPPED' }, true],
    ['array event: some element not excluded', { s: [{ 'anything-but': 'a' }] }, { s: ['a', 'b'] }, true],
    ['array event: all excluded', { s: [{ 'anything-but': ['a', 'b'] }] }, { s: ['a', 'b'] }, false],
    ['prefix: not starting with', { Region: [{ 'anything-but': { prefix: 'us-' } }] }, { Region: 'eu-west-1' }, true],
    ['prefix: starting with', { Region: [{ 'anything-but': { prefix: 'us-' } }] }, { Region: 'us-east-1' }, false],
    ['prefix: missing field', { Region: [{ 'anything-but': { prefix: 'us-' } }] }, {}, false],
    ['suffix: other ending', { FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.txt' }, true],
    ['suffix: excluded ending', { FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.png' }, false],
    ['ignore case: other value', { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] }, { state: 'running' }, true],
    ['ignore case: excluded in other case', { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] }, { state: 'INITIALIZING' }, false],
    ['ignore case list: excluded', { state: [{ 'anything-but': { 'equals-ignore-case': ['a', 'B'] } }] }, { state: 'b' }, false],
    ['wildcard: not matching', { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, { FilePath: '/usr/bin/x' }, true],
    ['wildcard: matching', { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, { FilePath: '/usr/lib/x' }, false],
  ],
  numeric: [
    ['range inside', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, ec2, true],
    ['range upper bound exclusive', { n: [{ numeric: ['>', 0, '<', 5] }] }, { n: 5 }, false],
    ['range lower bound inclusive', { n: [{ numeric: ['>=', 0, '<', 5] }] }, { n: 0 }, true],
    ['range lower bound exclusive', { n: [{ numeric: ['>', 0, '<', 5] }] }, { n: 0 }, false],
    ['range outside', { n: [{ numeric: ['>', 0, '<=', 5] }] }, { n: 6 }, false],
    ['less than', { n: [{ numeric: ['<', 10] }] }, { n: 3 }, true],
    ['less than fails', { n: [{ numeric: ['<', 10] }] }, { n: 10 }, false],
    ['<= boundary', { n: [{ numeric: ['<=', 10] }] }, { n: 10 }, true],
    ['> negative', { n: [{ numeric: ['>', -1.5] }] }, { n: -1 }, true],
    ['>= boundary', { n: [{ numeric: ['>=', 2] }] }, { n: 2 }, true],
    ['equals float', { n: [{ numeric: ['=', 3.018e2] }] }, { n: 301.8 }, true],
    ['equals 5 vs 5.0', { n: [{ numeric: ['=', 5] }] }, JSON.parse('{"n": 5.0}'), true],
    ['equals differs', { n: [{ numeric: ['=', 5] }] }, { n: 5.5 }, false],
    ['numeric string is not a number', { n: [{ numeric: ['>', 0] }] }, { n: '5' }, false],
    ['missing field', { n: [{ numeric: ['>', 0] }] }, {}, false],
    ['null value', { n: [{ numeric: ['>', 0] }] }, { n: null }, false],
  ],
  exists: [
    ['true, present', { detail: { state: [{ exists: true }] } }, ec2, true],
    ['true, missing', { detail: { nope: [{ exists: true }] } }, ec2, false],
    ['true, null value counts as present', { x: [{ exists: true }] }, { x: null }, true],
    ['true, empty string present', { x: [{ exists: true }] }, { x: '' }, true],
    ['true, intermediate object is not a leaf', { x: [{ exists: true }] }, { x: { y: 1 } }, false],
    ['true, empty array', { x: [{ exists: true }] }, { x: [] }, false],
    ['true, array of scalars', { x: [{ exists: true }] }, { x: [1] }, true],
    ['false, missing', { detail: { nope: [{ exists: false }] } }, ec2, true],
    ['false, present', { detail: { state: [{ exists: false }] } }, ec2, false],
    ['false, intermediate object is not a leaf', { detail: { 'c-count': [{ exists: false }] } }, { detail: { 'c-count': { c1: 100 } } }, true],
    ['false, parent missing', { detail: { x: [{ exists: false }] } }, { source: 'a' }, true],
    ['false, null value is present', { x: [{ exists: false }] }, { x: null }, false],
    ['false combined with another field', { source: ['aws.ec2'], detail: { nope: [{ exists: false }] } }, ec2, true],
    ['false in array of objects: one element lacks it', { items: { id: [{ exists: false }] } }, { items: [{ id: 1 }, { other: 2 }] }, true],
  ],
  wildcard: [
    ['star in middle', { source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleQueueService' }, true],
    ['star matches empty run', { source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleService' }, true],
    ['star in middle, no match', { source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleQueue' }, false],
    ['leading and trailing stars', { p: [{ wildcard: '*/lib/*' }] }, { p: '/usr/lib/x.so' }, true],
    ['whole string must match', { p: [{ wildcard: 'dir/*.png' }] }, { p: 'x/dir/a.png' }, false],
    ['multiple stars', { p: [{ wildcard: 'a*b*c' }] }, { p: 'aXXbYYc' }, true],
    ['regex metacharacters are literal', { p: [{ wildcard: 'a.b*' }] }, { p: 'aXb' }, false],
    ['regex metacharacters literal match', { p: [{ wildcard: 'a.(b)*' }] }, { p: 'a.(b)c' }, true],
    ['escaped star is literal', { p: [{ wildcard: 'a\\*b' }] }, { p: 'a*b' }, true],
    ['escaped star is not a wildcard', { p: [{ wildcard: 'a\\*b' }] }, { p: 'aXb' }, false],
    ['escaped backslash', { p: [{ wildcard: 'a\\\\*' }] }, { p: 'a\\zz' }, true],
    ['case-sensitive', { p: [{ wildcard: 'abc*' }] }, { p: 'ABCd' }, false],
    ['number value', { p: [{ wildcard: '1*' }] }, { p: 12 }, false],
    ['star spans newlines', { p: [{ wildcard: 'a*b' }] }, { p: 'a\nb' }, true],
  ],
  cidr: [
    ['ipv4 inside /24', { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, ec2, true],
    ['ipv4 outside /24', { ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.1.1' }, false],
    ['ipv4 /8', { ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '10.255.3.4' }, true],
    ['ipv4 /32 exact', { ip: [{ cidr: '192.168.1.7/32' }] }, { ip: '192.168.1.7' }, true],
    ['ipv4 /32 other', { ip: [{ cidr: '192.168.1.7/32' }] }, { ip: '192.168.1.8' }, false],
    ['ipv4 /0 matches all', { ip: [{ cidr: '0.0.0.0/0' }] }, { ip: '8.8.8.8' }, true],
    ['non-aligned block', { ip: [{ cidr: '10.0.0.77/24' }] }, { ip: '10.0.0.1' }, true],
    ['not an ip', { ip: [{ cidr: '10.0.0.0/24' }] }, { ip: 'hello' }, false],
    ['invalid octet in event', { ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.0.256' }, false],
    ['number value', { ip: [{ cidr: '10.0.0.0/24' }] }, { ip: 10 }, false],
    ['ipv6 inside', { ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db8:1::5' }, true],
    ['ipv6 outside', { ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db9::1' }, false],
    ['ipv6 block vs ipv4 address', { ip: [{ cidr: '::/0' }] }, { ip: '10.0.0.1' }, false],
  ],
  '$or': [
    ['top-level, first alternative', { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] }, { source: 'aws.cloudwatch', metricName: 'CPUUtilization' }, true],
    ['top-level, second alternative', { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] }, { source: 'aws.cloudwatch', namespace: 'AWS/EC2' }, true],
    ['top-level, no alternative', { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] }, { source: 'aws.cloudwatch', namespace: 'AWS/ES' }, false],
    ['top-level, other field fails', { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] }, { source: 'aws.ec2', namespace: 'AWS/EC2' }, false],
    ['nested level', { detail: { $or: [{ a: ['1'] }, { b: ['2'] }] } }, { detail: { b: '2' } }, true],
    ['nested level, none', { detail: { $or: [{ a: ['1'] }, { b: ['2'] }] } }, { detail: { b: '3' } }, false],
    ['alternative with AND inside', { $or: [{ a: ['1'], b: ['2'] }, { c: ['3'] }] }, { a: '1', b: '9' }, false],
    ['alternative with AND inside, satisfied', { $or: [{ a: ['1'], b: ['2'] }, { c: ['3'] }] }, { a: '1', b: '2' }, true],
    ['nested $or inside $or', { $or: [{ a: ['1'], $or: [{ x: [1] }, { y: [2] }] }, { s: ['S'] }] }, { a: '1', y: 2 }, true],
    ['nested $or inside $or, inner fails', { $or: [{ a: ['1'], $or: [{ x: [1] }, { y: [2] }] }, { s: ['S'] }] }, { a: '1', y: 3 }, false],
    ['parallel $or at two levels', { $or: [{ m: ['x'] }, { n: ['y'] }], detail: { $or: [{ source: ['s'] }, { dt: ['d'] }] } }, { n: 'y', detail: { dt: 'd' } }, true],
    ['parallel $or, second level fails', { $or: [{ m: ['x'] }, { n: ['y'] }], detail: { $or: [{ source: ['s'] }, { dt: ['d'] }] } }, { n: 'y', detail: { dt: 'e' } }, false],
    ['$or with operators', { $or: [{ n: [{ numeric: ['>', 10] }] }, { s: [{ prefix: 'ab' }] }] }, { n: 3, s: 'abc' }, true],
    ['$or with exists false', { $or: [{ a: [{ exists: false }] }, { a: ['x'] }] }, { a: 'y' }, false],
    ['"$or" holding operators is an ordinary field', { $or: [{ numeric: ['>', 1] }, { prefix: 'abc' }] }, { $or: 'abcd' }, true],
    ['"$or" holding operators, field absent', { $or: [{ numeric: ['>', 1] }, { prefix: 'abc' }] }, { a: 'abcd' }, false],
    ['$or with exists false, missing', { $or: [{ a: [{ exists: false }] }, { a: ['x'] }] }, {}, true],
  ],
  'mixed operators in one field': [
    ['exact or prefix', { s: ['exact', { prefix: 'pre' }] }, { s: 'prefix' }, true],
    ['numeric or exists false', { n: [{ numeric: ['>', 5] }, { exists: false }] }, {}, true],
    ['numeric or exists false, small number', { n: [{ numeric: ['>', 5] }, { exists: false }] }, { n: 1 }, false],
  ],
};

describe('matchesEventPattern', () => {
  for (const [group, rows] of Object.entries(matchRows)) {
    describe(group, () => {
      it.each(rows)('%s', (_name, pattern, event, expected) => {
        expect(check(pattern, event)).toBe(expected);
      });
    });
  }

  it('treats a non-object event as having no fields', () => {
    expect(check({ a: [{ exists: false }] }, 'text')).toBe(true);
    expect(check({ a: ['x'] }, null)).toBe(false);
  });

  it('ignores inherited properties of the event', () => {
    expect(check({ toString: [{ exists: true }] }, {})).toBe(false);
  });

  it('reuses a parsed pattern across events', () => {
    const p = parseEventPattern('{"detail":{"state":["running"]}}');
    expect(matchesEventPattern(p, { detail: { state: 'running' } })).toBe(true);
    expect(matchesEventPattern(p, { detail: { state: 'stopped' } })).toBe(false);
  });
});

const invalidRows: [name: string, text: string][] = [
  ['not JSON', '{source: ["a"]}'],
  ['top-level array', '[{"source": ["a"]}]'],
  ['top-level string', '"source"'],
  ['top-level null', 'null'],
  ['empty pattern', '{}'],
  ['leaf string not in an array', '{"source": "aws.ec2"}'],
  ['leaf number not in an array', '{"detail": {"n": 5}}'],
  ['leaf null not in an array', '{"source": null}'],
  ['leaf boolean not in an array', '{"source": true}'],
  ['empty array', '{"source": []}'],
  ['empty nested object', '{"detail": {}}'],
  ['nested array in values', '{"source": [["a"]]}'],
  ['operator not in an array', '{"source": {"prefix": "a"}}'],
  ['unknown operator', '{"source": [{"contains": "a"}]}'],
  ['two operators in one object', '{"source": [{"prefix": "a", "suffix": "b"}]}'],
  ['empty operator object', '{"source": [{}]}'],
  ['prefix not a string', '{"source": [{"prefix": 5}]}'],
  ['prefix with unknown inner', '{"source": [{"prefix": {"wildcard": "a*"}}]}'],
  ['suffix not a string', '{"source": [{"suffix": ["a"]}]}'],
  ['equals-ignore-case not a string', '{"source": [{"equals-ignore-case": 1}]}'],
  ['exists not boolean', '{"source": [{"exists": "true"}]}'],
  ['numeric not an array', '{"n": [{"numeric": 5}]}'],
  ['numeric empty', '{"n": [{"numeric": []}]}'],
  ['numeric odd length', '{"n": [{"numeric": [">", 0, "<"]}]}'],
  ['numeric too long', '{"n": [{"numeric": [">", 0, "<", 5, "<", 6]}]}'],
  ['numeric unknown operator', '{"n": [{"numeric": ["!=", 0]}]}'],
  ['numeric value is a string', '{"n": [{"numeric": [">", "0"]}]}'],
  ['numeric range reversed operators', '{"n": [{"numeric": ["<", 5, ">", 0]}]}'],
  ['numeric range with =', '{"n": [{"numeric": ["=", 5, "<", 6]}]}'],
  ['numeric range two lower bounds', '{"n": [{"numeric": [">", 0, ">", 5]}]}'],
  ['numeric range bottom not below top', '{"n": [{"numeric": [">", 5, "<", 5]}]}'],
  ['numeric value out of range', '{"n": [{"numeric": [">", 6e9]}]}'],
  ['anything-but boolean', '{"s": [{"anything-but": true}]}'],
  ['anything-but null', '{"s": [{"anything-but": null}]}'],
  ['anything-but empty list', '{"s": [{"anything-but": []}]}'],
  ['anything-but mixed list', '{"s": [{"anything-but": ["a", 1]}]}'],
  ['anything-but nested list', '{"s": [{"anything-but": [["a"]]}]}'],
  ['anything-but unknown inner operator', '{"s": [{"anything-but": {"numeric": [">", 1]}}]}'],
  ['anything-but two inner operators', '{"s": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}'],
  ['anything-but empty prefix', '{"s": [{"anything-but": {"prefix": ""}}]}'],
  ['anything-but prefix not a string', '{"s": [{"anything-but": {"prefix": 1}}]}'],
  ['anything-but equals-ignore-case number', '{"s": [{"anything-but": {"equals-ignore-case": 1}}]}'],
  ['wildcard consecutive stars', '{"s": [{"wildcard": "a**b"}]}'],
  ['wildcard bad escape', '{"s": [{"wildcard": "a\\\\b"}]}'],
  ['wildcard trailing backslash', '{"s": [{"wildcard": "a\\\\"}]}'],
  ['wildcard not a string', '{"s": [{"wildcard": 1}]}'],
  ['cidr not a string', '{"ip": [{"cidr": 10}]}'],
  ['cidr without prefix length', '{"ip": [{"cidr": "10.0.0.1"}]}'],
  ['cidr bad address', '{"ip": [{"cidr": "10.0.0.300/24"}]}'],
  ['cidr prefix too long', '{"ip": [{"cidr": "10.0.0.0/33"}]}'],
  ['cidr garbage', '{"ip": [{"cidr": "hello/8"}]}'],
  ['$or with one alternative', '{"$or": [{"a": ["1"]}]}'],
  ['$or with an empty alternative', '{"$or": [{"a": ["1"]}, {}]}'],
  ['$or alternative invalid', '{"$or": [{"a": ["1"]}, {"b": "2"}]}'],
  ['invalid deep inside', '{"detail": {"x": {"y": [{"numeric": [">"]}]}}}'],
];

describe('parseEventPattern validation', () => {
  it.each(invalidRows)('rejects %s', (_name, text) => {
    expect(() => parseEventPattern(text)).toThrow(EventPatternError);
    expect(() => parseEventPattern(text)).toThrow(/^Event pattern is not valid\. Reason: /);
  });

  const validRows: [name: string, text: string][] = [
    ['exact values of every JSON scalar type', '{"a": ["s", 1, 1.5, true, false, null, ""]}'],
    ['every operator', '{"a": [{"prefix": "p"}, {"suffix": "s"}, {"equals-ignore-case": "e"}, {"wildcard": "w*"}, {"numeric": ["=", 1]}, {"exists": true}, {"cidr": "10.0.0.0/8"}, {"anything-but": "x"}]}'],
    ['prefix/suffix ignore-case forms', '{"a": [{"prefix": {"equals-ignore-case": "p"}}, {"suffix": {"equals-ignore-case": "s"}}]}'],
    ['anything-but forms', '{"a": [{"anything-but": 1}, {"anything-but": ["a", "b"]}, {"anything-but": [1, 2]}, {"anything-but": {"prefix": "p"}}, {"anything-but": {"suffix": "s"}}, {"anything-but": {"equals-ignore-case": ["a", "B"]}}, {"anything-but": {"wildcard": "*x*"}}]}'],
    ['numeric range bounds', '{"a": [{"numeric": [">=", -5e9, "<=", 5e9]}]}'],
    ['ipv6 cidr', '{"a": [{"cidr": "2001:db8::/32"}]}'],
    ['$or at several levels', '{"$or": [{"a": ["1"]}, {"b": ["2"]}], "d": {"$or": [{"c": ["3"]}, {"e": ["4"]}]}}'],
    ['"$or" holding values is an ordinary field', '{"$or": ["a", "b"]}'],
    ['"$or" holding operator objects is an ordinary field', '{"$or": [{"numeric": [">", 1]}, {"prefix": "abc"}]}'],
  ];
  it.each(validRows)('accepts %s', (_name, text) => {
    expect(() => parseEventPattern(text)).not.toThrow();
  });

  it('names the offending field in the reason', () => {
    expect(() => parseEventPattern('{"detail": {"state": "x"}}')).toThrow(/detail\.state/);
  });
});
