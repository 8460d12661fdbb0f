import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiStatusError, apiErrors } from './errors.ts';
import { errorMessage } from '../common/error-message.ts';
import type { JsonObject, JsonValue } from './types.ts';

const maxBodyBytes = 3 * 1024 * 1024;

export function sendJson(response: ServerResponse, status: number, body: JsonValue): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  response.end(text);
}

export function sendStatusError(response: ServerResponse, error: ApiStatusError): void {
  sendJson(response, error.httpCode, error.toStatus());
}

/** Reads the request body (3 MiB at most, like the real API server's limit). */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBodyBytes)
      throw new ApiStatusError(413, 'RequestEntityTooLarge', `the request body is larger than ${maxBodyBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON body (or YAML for application/yaml and apply-patch+yaml), naming what is wrong. */
export function parseBody(text: string, contentType: string): JsonValue {
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  try {
    if (mediaType === 'application/yaml' || mediaType === 'application/apply-patch+yaml')
      return parseYaml(text) as JsonValue;
    return JSON.parse(text) as JsonValue;
  } catch (error: unknown) {
    throw apiErrors.badRequest(
      `the request body is not valid ${mediaType.includes('yaml') ? 'YAML' : 'JSON'}: ${errorMessage(error)}`,
    );
  }
}

export function mediaTypeOf(request: IncomingMessage): string {
  return (request.headers['content-type'] ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function asObject(value: JsonValue, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw apiErrors.badRequest(`${what} must be a JSON object`);
  return value;
}
