import { apiErrors } from './errors.ts';
import { labelsOf, metadataOf, stringField, type JsonObject } from './types.ts';

/** One label requirement, as in k8s.io/apimachinery/pkg/labels. */
export type LabelRequirement =
  | { key: string; op: 'exists' | '!exists' }
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] };

export type LabelSelector = LabelRequirement[];

const keyPattern = /^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;
const valuePattern = /^([a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?)?$/;

function checkKey(key: string, text: string): string {
  if (!keyPattern.test(key))
    throw apiErrors.badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${text}"`);
  return key;
}

function checkValue(value: string, text: string): string {
  if (!valuePattern.test(value))
    throw apiErrors.badRequest(`unable to parse requirement: invalid label value "${value}" in selector "${text}"`);
  return value;
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim());
}

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`; throws a 400 BadRequest naming the bad part. */
export function parseLabelSelector(text: string): LabelSelector {
  if (text.trim() === '') return [];
  return splitTopLevel(text).map((part): LabelRequirement => {
    if (part === '') throw apiErrors.badRequest(`unable to parse requirement: empty requirement in selector "${text}"`);
    const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (setMatch) {
      const values = (setMatch[3] ?? '').split(',').map((value) => checkValue(value.trim(), text));
      return { key: checkKey(setMatch[1] ?? '', text), op: setMatch[2] === 'in' ? 'in' : 'notin', values };
    }
    const compareMatch = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (compareMatch) {
      const op = compareMatch[2] === '!=' ? '!=' : '=';
      return {
        key: checkKey(compareMatch[1] ?? '', text),
        op,
        value: checkValue((compareMatch[3] ?? '').trim(), text),
      };
    }
    if (part.startsWith('!')) return { key: checkKey(part.slice(1).trim(), text), op: '!exists' };
    return { key: checkKey(part, text), op: 'exists' };
  });
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string>): boolean {
  return selector.every((requirement) => {
    const has = Object.hasOwn(labels, requirement.key);
    const value = labels[requirement.key];
    switch (requirement.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case '=':
        return has && value === requirement.value;
      case '!=':
        return !has || value !== requirement.value;
      case 'in':
        return has && value !== undefined && requirement.values.includes(value);
      case 'notin':
        return !has || value === undefined || !requirement.values.includes(value);
    }
    return false;
  });
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Field labels every resource supports; some kinds add their own (as the real API server does). */
const commonFields = ['metadata.name', 'metadata.namespace'];
const extraFieldsByKind: Record<string, string[]> = {
  Pod: [
    'spec.nodeName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'spec.restartPolicy',
    'spec.schedulerName',
    'status.nominatedNodeName',
  ],
  Secret: ['type'],
  Node: ['spec.unschedulable'],
  Namespace: ['status.phase'],
  EndpointSlice: ['addressType'],
};

export function parseFieldSelector(text: string, kind: string): FieldRequirement[] {
  if (text.trim() === '') return [];
  const allowed = [...commonFields, ...(extraFieldsByKind[kind] ?? [])];
  return text.split(',').map((part): FieldRequirement => {
    const match = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!match) throw apiErrors.badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const field = match[1] ?? '';
    if (!allowed.includes(field)) {
      throw apiErrors.badRequest(`field label not supported: ${field} (supported for ${kind}: ${allowed.join(', ')})`);
    }
    return { field, op: match[2] === '!=' ? '!=' : '=', value: match[3] ?? '' };
  });
}

function fieldValue(object: JsonObject, path: string): string {
  let current: JsonObject | undefined = object;
  const segments = path.split('.');
  for (let index = 0; index < segments.length; index += 1) {
    const segment = segments[index] ?? '';
    const value: unknown = current?.[segment];
    if (index === segments.length - 1) {
      if (typeof value === 'string') return value;
      if (typeof value === 'boolean' || typeof value === 'number') return String(value);
      return '';
    }
    current = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
  }
  return '';
}

export function matchesFields(requirements: FieldRequirement[], object: JsonObject): boolean {
  return requirements.every((requirement) => {
    const actual =
      requirement.field === 'metadata.namespace'
        ? (stringField(metadataOf(object), 'namespace') ?? '')
        : fieldValue(object, requirement.field);
    return requirement.op === '=' ? actual === requirement.value : actual !== requirement.value;
  });
}

/** Both selectors of a list or watch request. */
export interface ObjectFilter {
  labels: LabelSelector;
  fields: FieldRequirement[];
}

export function matchesFilter(filter: ObjectFilter, object: JsonObject): boolean {
  return matchesLabels(filter.labels, labelsOf(object)) && matchesFields(filter.fields, object);
}
