/** Canonical-request edge cases the published vectors do not reach. */
import { describe, expect, it } from 'vitest';
import { canonicalHeaderValue, canonicalQuery, canonicalUri, parseQuery } from './canonical-request.js';
import { readSignature } from './credential-scope.js';
import { parseAmzDate } from './request-time.js';

const query = (raw: string, presigned = false) => canonicalQuery(parseQuery(raw), presigned);

describe('canonical URI', () => {
  it('normalises and encodes the raw path once more for every service but S3', () => {
    expect(canonicalUri('/000000000000/a%20b/./c/../d/', 'normalised')).toBe('/000000000000/a%2520b/d/');
    expect(canonicalUri('', 'normalised')).toBe('/');
    expect(canonicalUri('/a:b@c!', 'normalised')).toBe('/a%3Ab%40c%21');
  });

  it('keeps an S3 path as sent, only encoding what the client left unencoded', () => {
    expect(canonicalUri('/bucket/a%20b//./c/..', 's3')).toBe('/bucket/a%20b//./c/..');
    expect(canonicalUri('/bucket/a b/ሴ', 's3')).toBe('/bucket/a%20b/%E1%88%B4');
    expect(canonicalUri('/bucket/50%', 's3')).toBe('/bucket/50%25');
  });
});

describe('canonical query', () => {
  it('sorts by encoded key, then value', () => {
    expect(query('b=2&a=1&a=0&B=3')).toBe('B=3&a=0&a=1&b=2');
  });

  it('re-encodes each component as RFC 3986, whatever encoding the client chose', () => {
    expect(query('x=%7e&y=*&z=a+b&w&k=%c3%a9')).toBe('k=%C3%A9&w=&x=~&y=%2A&z=a%2Bb');
  });

  it('keeps stray percent signs and bytes that are not UTF-8', () => {
    expect(query('p=100%&q=%FF%fe&r=%2')).toBe('p=100%25&q=%FF%FE&r=%252');
  });

  it('leaves out X-Amz-Signature only for presigned requests', () => {
    expect(query('X-Amz-Signature=abc&a=1', true)).toBe('a=1');
    expect(query('X-Amz-Signature=abc&a=1')).toBe('X-Amz-Signature=abc&a=1');
  });
});

describe('canonical header values', () => {
  it('trims, collapses runs of spaces and tabs, and joins repeats with commas', () => {
    expect(canonicalHeaderValue('  a \t  b  ')).toBe('a b');
    expect(canonicalHeaderValue(['x', ' y  z '])).toBe('x,y z');
    expect(canonicalHeaderValue(undefined)).toBe('');
  });
});

describe('request time', () => {
  it('accepts only real instants in the basic ISO 8601 form', () => {
    expect(parseAmzDate('20150830T123600Z')).toBe(Date.UTC(2015, 7, 30, 12, 36));
    expect(parseAmzDate('20150230T123600Z')).toBeUndefined();
    expect(parseAmzDate('2015-08-30T12:36:00Z')).toBeUndefined();
  });
});

describe('readSignature (scope only, no verification)', () => {
  it('reads the header form and the presigned form', () => {
    const header =
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc';
    expect(readSignature(header, null)).toEqual({
      accessKeyId: 'AKIDEXAMPLE',
      date: '20150830',
      region: 'us-east-1',
      service: 'sqs',
      signedHeaders: ['host', 'x-amz-date'],
      signature: 'abc',
    });
    const presigned = new URLSearchParams(
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Feu-west-1%2Fsqs%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=abc',
    );
    expect(readSignature(undefined, presigned)).toMatchObject({ accessKeyId: 'AKID', region: 'eu-west-1' });
  });

  it('answers a missing or malformed signature as before', () => {
    expect(() => readSignature(undefined, new URLSearchParams('Action=ListQueues'))).toThrow(
      expect.objectContaining({ code: 'MissingAuthenticationToken' }),
    );
    expect(() => readSignature('AWS4-HMAC-SHA256 Credential=AKID/bad, SignedHeaders=host, Signature=abc', null)).toThrow(
      expect.objectContaining({ code: 'IncompleteSignature' }),
    );
  });
});
