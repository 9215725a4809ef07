/** The AWS SigV4 test-suite vectors (src/auth/fixtures/sigv4-suite.json), typed once for every suite that runs them. */
import { readFileSync } from 'node:fs';
import type { PathStyle } from '../../src/auth/canonical-request.js';

export interface VectorRequest {
  method: string;
  path: string;
  query: string;
  headers: [string, string][];
  body: string;
}

export interface Vector {
  name: string;
  origin: string;
  commit?: string;
  sessionToken?: string;
  signedAt?: string;
  pathStyle?: PathStyle;
  request: VectorRequest;
  canonicalRequest?: string;
  stringToSign?: string;
  authorization?: string;
  erratum?: string;
  signedAs?: { request: VectorRequest; authorization: string };
}

export interface Suite {
  credentials: { accessKeyId: string; secretAccessKey: string };
  stsToken: string;
  signedAt: string;
  region: string;
  service: string;
  header: Vector[];
  presigned: Vector[];
}

export const sigv4Suite = JSON.parse(readFileSync(new URL('../../src/auth/fixtures/sigv4-suite.json', import.meta.url), 'utf8')) as Suite;
