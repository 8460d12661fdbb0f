import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { decodeMessage, encodeMessage } from '../../protos/any.ts';
import type { XdsResource } from '../resource.ts';

/** Golden files under translators/testdata/: rewrite them with `UPDATE_GOLDEN=1 npx vitest run translators`. */

export const TESTDATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'testdata');

/** What a client receives: the resource encoded, decoded back, as plain JSON (enums as names, Any as `@type`). */
export function onTheWire(resource: XdsResource): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(decodeMessage(resource.typeUrl, encodeMessage(resource.typeUrl, resource.object))),
  ) as Record<string, unknown>;
}

export function wireResources(
  resources: readonly XdsResource[],
): { name: string; resource: Record<string, unknown> }[] {
  return resources.map((r) => ({ name: r.name, resource: onTheWire(r) }));
}

/** Compares `value` with testdata/<file>, or writes it there when UPDATE_GOLDEN=1. */
export function expectGolden(file: string, value: unknown): void {
  const path = join(TESTDATA_DIR, file);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return;
  }
  if (!existsSync(path))
    throw new Error(`golden file ${path} is missing: run UPDATE_GOLDEN=1 npx vitest run translators`);
  expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(path, 'utf8')));
}
