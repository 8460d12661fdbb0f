import { ApiStatusError, apiErrors } from './errors.ts';
import { apiVersionOf, type ResourceType } from './resources.ts';
import { matchesFilter, type ObjectFilter } from './selectors.ts';
import type { ObjectStore } from './store.ts';
import { isJsonObject, type JsonObject } from './types.ts';
import { parseResourceVersion } from './watch.ts';

export interface ListParams {
  type: ResourceType;
  namespace: string | undefined;
  filter: ObjectFilter;
  limit: number | undefined;
  continueToken: string | undefined;
  resourceVersion: string | undefined;
  resourceVersionMatch: string | undefined;
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start })).toString('base64url');
}

function decodeContinue(text: string): ContinueToken {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (isJsonObject(decoded) && typeof decoded['rv'] === 'number' && typeof decoded['start'] === 'string') {
      return { rv: decoded['rv'], start: decoded['start'] };
    }
  } catch {
    // fall through to the error below
  }
  throw apiErrors.badRequest(`continue key is not valid: "${text}" was not issued by this server`);
}

/**
 * A list answer with the collection's resourceVersion, ordered by key like etcd, paginated with
 * `limit`/`continue`. Later pages show current objects (the simulator keeps no snapshots) but carry
 * the first page's resourceVersion, and a token older than the history window is 410 Expired.
 */
export function listObjects(store: ObjectStore, params: ListParams): JsonObject {
  const current = store.currentRevision();
  let listRevision = current;
  let startAfter: string | undefined;
  if (params.continueToken) {
    const token = decodeContinue(params.continueToken);
    if (token.rv < store.oldestWatchableRevision()) {
      throw apiErrors.expired(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      );
    }
    listRevision = token.rv;
    startAfter = token.start;
  } else if (params.resourceVersion !== undefined && params.resourceVersion !== '' && params.resourceVersion !== '0') {
    const requested = parseResourceVersion(params.resourceVersion);
    if (requested > current) {
      throw new ApiStatusError(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      });
    }
    if (params.resourceVersionMatch === 'Exact' && requested !== current) {
      throw apiErrors.expired(
        `too old resource version: ${requested} (${current}); kube-sim serves only the current state for resourceVersionMatch=Exact`,
      );
    }
    if (requested < store.oldestWatchableRevision()) {
      throw apiErrors.expired(`too old resource version: ${requested} (${store.oldestWatchableRevision()})`);
    }
  }
  const matching = store
    .list(params.type, params.namespace)
    .filter(
      ({ key, object }) => (startAfter === undefined || key > startAfter) && matchesFilter(params.filter, object),
    );
  const limit = params.limit !== undefined && params.limit > 0 ? params.limit : matching.length;
  const page = matching.slice(0, limit);
  const metadata: JsonObject = { resourceVersion: String(listRevision) };
  const last = page[page.length - 1];
  if (matching.length > page.length && last) {
    metadata['continue'] = encodeContinue({ rv: listRevision, start: last.key });
    if (params.filter.labels.length === 0 && params.filter.fields.length === 0)
      metadata['remainingItemCount'] = matching.length - page.length;
  }
  return {
    kind: `${params.type.kind}List`,
    apiVersion: apiVersionOf(params.type),
    metadata,
    items: page.map(({ object }) => object),
  };
}
