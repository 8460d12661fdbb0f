import { isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

function startOf(node: unknown): number | undefined {
  if (typeof node !== 'object' || node === null || !('range' in node)) return undefined;
  const range = node.range;
  return Array.isArray(range) && typeof range[0] === 'number' ? range[0] : undefined;
}

/**
 * The 1-based line of the deepest YAML node on `segments` that exists in the document: the key itself
 * for a mapping entry, the item for a list entry, the nearest parent for a key that is missing.
 */
export function lineOfPath(
  doc: Document,
  lineCounter: LineCounter,
  segments: readonly PropertyKey[],
): number | undefined {
  let node: unknown = doc.contents;
  let best = startOf(node);
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) break;
      best = startOf(pair.key) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      best = startOf(node) ?? best;
    } else {
      break;
    }
  }
  return best === undefined ? undefined : lineCounter.linePos(best).line;
}
