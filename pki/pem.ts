/**
 * PEM text ⇄ DER blocks and certificates. Errors name the block type and position, never the content.
 */
import { x509 } from './x509-library.ts';
import { errorMessage } from '../common/error-message.ts';

export interface PemBlock {
  type: string;
  der: Uint8Array<ArrayBuffer>;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const PEM_BLOCK_PATTERN = /-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\s]*)-----END \1-----/g;
const BASE64_LINE_LENGTH = 64;

export function decodePemBlocks(text: string): ParseResult<PemBlock[]> {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(PEM_BLOCK_PATTERN)) {
    const type = match[1] ?? '';
    const body = (match[2] ?? '').replace(/\s+/g, '');
    if (body.length === 0) return { ok: false, reason: `PEM block ${blocks.length + 1} (${type}) is empty` };
    blocks.push({ type, der: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  const beginMarkers = text.match(/-----BEGIN /g)?.length ?? 0;
  if (beginMarkers !== blocks.length) {
    return {
      ok: false,
      reason: `found ${beginMarkers} PEM BEGIN markers but only ${blocks.length} well-formed blocks (truncated or corrupted PEM)`,
    };
  }
  return { ok: true, value: blocks };
}

export function encodePem(type: string, der: Uint8Array | ArrayBuffer): string {
  const base64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString('base64');
  const lines: string[] = [];
  for (let offset = 0; offset < base64.length; offset += BASE64_LINE_LENGTH) {
    lines.push(base64.slice(offset, offset + BASE64_LINE_LENGTH));
  }
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

/** Parses one or more CERTIFICATE blocks; anything else (a key, a CSR) is an error naming its type. */
export function parseCertificates(text: string): ParseResult<x509.X509Certificate[]> {
  const decoded = decodePemBlocks(text);
  if (!decoded.ok) return decoded;
  if (decoded.value.length === 0) return { ok: false, reason: 'no PEM CERTIFICATE block found' };
  const certificates: x509.X509Certificate[] = [];
  for (const [index, block] of decoded.value.entries()) {
    const parsed = parseCertificateDer(block, index);
    if (!parsed.ok) return parsed;
    certificates.push(parsed.value);
  }
  return { ok: true, value: certificates };
}

function parseCertificateDer(block: PemBlock, index: number): ParseResult<x509.X509Certificate> {
  if (block.type !== 'CERTIFICATE') {
    return { ok: false, reason: `PEM block ${index + 1} is a ${block.type}, expected a CERTIFICATE` };
  }
  try {
    return { ok: true, value: new x509.X509Certificate(block.der) };
  } catch (error: unknown) {
    return { ok: false, reason: `certificate ${index + 1} is not valid DER X.509 (${errorMessage(error)})` };
  }
}

export function certificateToPem(certificate: x509.X509Certificate): string {
  return encodePem('CERTIFICATE', certificate.rawData);
}

export function certificatesToPem(certificates: readonly x509.X509Certificate[]): string {
  return certificates.map(certificateToPem).join('');
}

export function sameCertificate(a: x509.X509Certificate, b: x509.X509Certificate): boolean {
  return Buffer.from(a.rawData).equals(Buffer.from(b.rawData));
}
