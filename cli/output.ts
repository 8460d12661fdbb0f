import { stringify } from 'yaml';

/** `-o` of every command that prints data, as istioctl: short (the table), json or yaml. */
export const OUTPUT_FORMATS = ['short', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Parses `-o`; `table` stays accepted as the old name of `short`. */
export function parseOutputFormat(value: string): OutputFormat | undefined {
  if (value === 'table') return 'short';
  return (OUTPUT_FORMATS as readonly string[]).includes(value) ? (value as OutputFormat) : undefined;
}

/** Writes `value` as JSON or YAML; false for `short` (the caller prints its table). */
export function writeStructured(out: { write(text: string): void }, format: OutputFormat, value: unknown): boolean {
  if (format === 'json') out.write(`${JSON.stringify(value, null, 2)}\n`);
  else if (format === 'yaml') out.write(stringify(value));
  return format !== 'short';
}
