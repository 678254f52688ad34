// aws-chunked payloads: the chunk-signature chain checked against AWS's own worked example
// (S3 API Reference, "Signature calculations for the Authorization header: transferring payload
// in multiple chunks": 64 KiB + 1 KiB of 'a', seed signature from the example's headers).
import { describe, expect, it } from 'vitest';
import { decodeChunked } from '../../../src/sandbox/s3/signing.js';
import { S3Error } from '../../../src/sandbox/s3/xml.js';
import { signingKey } from '../../../src/sandbox/sigv4.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const signing = {
  key: signingKey(SECRET, { date: '20130524', region: 'us-east-1', service: 's3' }),
  amzDate: '20130524T000000Z',
  scope: '20130524/us-east-1/s3/aws4_request',
  seed: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
};
const SIGS = [
  'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
  '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
  'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
];

function body(sigs: string[], sizes = [65536, 1024, 0]): Buffer {
  const parts: Buffer[] = [];
  sizes.forEach((n, i) => parts.push(Buffer.from(`${n.toString(16)};chunk-signature=${sigs[i]}\r\n`), Buffer.alloc(n, 'a'), Buffer.from('\r\n')));
  return Buffer.concat(parts);
}

describe('aws-chunked decoding (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)', () => {
  it("accepts AWS's example chain and returns the 66,560 bytes", () => {
    const out = decodeChunked(body(SIGS), signing);
    expect(out.length).toBe(65536 + 1024);
    expect(out.every((b) => b === 0x61)).toBe(true);
  });

  it('refuses a chunk whose signature is not the chain (SignatureDoesNotMatch), and a truncated body (IncompleteBody)', () => {
    const swapped = [SIGS[1]!, SIGS[0]!, SIGS[2]!];
    expect(() => decodeChunked(body(swapped), signing)).toThrow(S3Error);
    try {
      decodeChunked(body(swapped), signing);
    } catch (err) {
      expect((err as S3Error).code).toBe('SignatureDoesNotMatch');
    }
    const tampered = body(SIGS);
    tampered[100] = 0x62;
    expect(() => decodeChunked(tampered, signing)).toThrow(/signature we calculated/);
    expect(() => decodeChunked(body(SIGS).subarray(0, 60_000), signing)).toThrow(/terminated unexpectedly/);
  });

  it('unsigned trailer mode (STREAMING-UNSIGNED-PAYLOAD-TRAILER): chunks without signatures, trailing checksum ignored', () => {
    const raw = Buffer.from('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n');
    expect(decodeChunked(raw, undefined).toString()).toBe('hello world');
  });
});
