/** IpAddress / NotIpAddress over IPv4 and IPv6 CIDR blocks. */
import { describe, expect, it } from 'vitest';
import { holds, type Doc } from './test-support.js';
import type { ContextValue } from './types.js';

type Row = [string, Doc, Record<string, ContextValue>, boolean];

const k = 'aws:SourceIp';

const rows: Row[] = [
  ['IpAddress: inside an IPv4 block', { IpAddress: { [k]: '203.0.113.0/24' } }, { [k]: '203.0.113.77' }, true],
  ['IpAddress: outside an IPv4 block', { IpAddress: { [k]: '203.0.113.0/24' } }, { [k]: '203.0.114.1' }, false],
  ['IpAddress: bare address means /32', { IpAddress: { [k]: '203.0.113.5' } }, { [k]: '203.0.113.5' }, true],
  ['IpAddress: bare address excludes neighbours', { IpAddress: { [k]: '203.0.113.5' } }, { [k]: '203.0.113.6' }, false],
  ['IpAddress: host bits in the block are ignored', { IpAddress: { [k]: '10.1.2.3/8' } }, { [k]: '10.200.0.1' }, true],
  ['IpAddress: /0 matches every IPv4 address', { IpAddress: { [k]: '0.0.0.0/0' } }, { [k]: '198.51.100.1' }, true],
  ['IpAddress: /31 edge', { IpAddress: { [k]: '192.0.2.2/31' } }, { [k]: '192.0.2.3' }, true],
  ['IpAddress: blocks are ORed', { IpAddress: { [k]: ['10.0.0.0/8', '192.0.2.0/24'] } }, { [k]: '192.0.2.9' }, true],
  ['IpAddress: inside an IPv6 block', { IpAddress: { [k]: '2001:DB8:1234:5678::/64' } }, { [k]: '2001:db8:1234:5678:abcd::1' }, true],
  ['IpAddress: outside an IPv6 block', { IpAddress: { [k]: '2001:DB8:1234:5678::/64' } }, { [k]: '2001:db8:1234:5679::1' }, false],
  ['IpAddress: IPv6 bare address means /128', { IpAddress: { [k]: '::1' } }, { [k]: '0:0:0:0:0:0:0:1' }, true],
  ['IpAddress: IPv6 full form', { IpAddress: { [k]: '2001:db8::/32' } }, { [k]: '2001:0db8:0000:0000:0000:0000:0000:0001' }, true],
  ['IpAddress: ::/0 matches every IPv6 address', { IpAddress: { [k]: '::/0' } }, { [k]: '2001:db8::1' }, true],
  ['IpAddress: trailing :: compression', { IpAddress: { [k]: '2001:db8::/48' } }, { [k]: '2001:db8::' }, true],
  ['IpAddress: embedded IPv4 in an IPv6 block', { IpAddress: { [k]: '64:ff9b::/96' } }, { [k]: '64:ff9b::192.0.2.1' }, true],
  ['IpAddress: malformed IPv6 (two ::) is false', { IpAddress: { [k]: '::/0' } }, { [k]: '1::2::3' }, false],
  ['IpAddress: IPv4 with a bad octet is false', { IpAddress: { [k]: '0.0.0.0/0' } }, { [k]: '256.1.1.1' }, false],
  ['IpAddress: IPv4-mapped IPv6 request (as Node reports)', { IpAddress: { [k]: '127.0.0.0/8' } }, { [k]: '::ffff:127.0.0.1' }, true],
  ['IpAddress: IPv4 block never matches IPv6', { IpAddress: { [k]: '0.0.0.0/0' } }, { [k]: '2001:db8::1' }, false],
  ['IpAddress: unparseable request value is false', { IpAddress: { [k]: '0.0.0.0/0' } }, { [k]: 'localhost' }, false],
  ['IpAddress: missing key is false', { IpAddress: { [k]: '0.0.0.0/0' } }, {}, false],
  ['IpAddressIfExists: missing key is true', { IpAddressIfExists: { [k]: '10.0.0.0/8' } }, {}, true],
  ['NotIpAddress: outside', { NotIpAddress: { [k]: '10.0.0.0/8' } }, { [k]: '192.0.2.1' }, true],
  ['NotIpAddress: inside', { NotIpAddress: { [k]: '10.0.0.0/8' } }, { [k]: '10.0.0.1' }, false],
  ['NotIpAddress: blocks are NORed', { NotIpAddress: { [k]: ['10.0.0.0/8', '192.0.2.0/24'] } }, { [k]: '192.0.2.1' }, false],
  ['NotIpAddress: missing key is true', { NotIpAddress: { [k]: '10.0.0.0/8' } }, {}, true],
  ['NotIpAddressIfExists: inside', { NotIpAddressIfExists: { [k]: '10.0.0.0/8' } }, { [k]: '10.9.9.9' }, false],
];

describe('IpAddress / NotIpAddress condition operators', () => {
  it.each(rows)('%s', (_name, condition, keys, expected) => {
    expect(holds(condition, keys)).toBe(expected);
  });
});
