import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiErrors, failureStatus } from './errors.ts';
import type { FaultState } from './faults.ts';
import { apiVersionOf, typeKey, type ResourceType } from './resources.ts';
import { matchesFilter, type ObjectFilter } from './selectors.ts';
import type { ObjectStore, StoreEvent } from './store.ts';
import { tableFor } from './table.ts';
import type { JsonObject, KubeObject, WatchEventType } from './types.ts';

export interface WatchParams {
  type: ResourceType;
  namespace: string | undefined;
  filter: ObjectFilter;
  resourceVersion: string | undefined;
  allowBookmarks: boolean;
  sendInitialEvents: boolean | undefined;
  timeoutSeconds: number | undefined;
  /** kubectl get -w asks for each object as a one-row meta.k8s.io/v1 Table. */
  asTable: boolean;
}

interface OpenWatch {
  request: IncomingMessage;
  response: ServerResponse;
}

/** Parses a resourceVersion query value; 400 BadRequest names the bad value. */
export function parseResourceVersion(value: string): number {
  if (!/^\d+$/.test(value))
    throw apiErrors.badRequest(
      `resourceVersion: Invalid value: "${value}": must be a non-negative integer (the simulator's resourceVersions are decimal counters)`,
    );
  return Number(value);
}

/** Serves `?watch=true` as the real API server does: chunked newline-delimited JSON events. */
export class WatchHub {
  private readonly open = new Set<OpenWatch>();

  constructor(
    private readonly store: ObjectStore,
    private readonly faults: FaultState,
    private readonly bookmarkIntervalMs: number,
  ) {}

  openCount(): number {
    return this.open.size;
  }

  /** Drops every watch connection without a final event. */
  cutAll(): number {
    const count = this.open.size;
    for (const watch of [...this.open]) {
      watch.request.socket.destroy();
      this.open.delete(watch);
    }
    return count;
  }

  serve(request: IncomingMessage, response: ServerResponse, params: WatchParams): void {
    const start = this.startingPoint(params);
    response.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    response.flushHeaders();
    const send = (type: WatchEventType, object: JsonObject): void => {
      if (!response.writableEnded && !response.destroyed) response.write(`${JSON.stringify({ type, object })}\n`);
    };
    const sendObject = (type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): void =>
      send(type, params.asTable ? tableFor(params.type, [object], object.metadata['resourceVersion']) : object);
    if (start.kind === 'gone') {
      send('ERROR', failureStatus(410, 'Expired', start.message));
      response.end();
      return;
    }

    const watch: OpenWatch = { request, response };
    this.open.add(watch);
    const matchesScope = (event: StoreEvent): boolean =>
      event.typeKey === typeKey(params.type) &&
      (params.namespace === undefined || event.namespace === params.namespace);
    const deliver = (event: StoreEvent): void => {
      if (!matchesScope(event)) return;
      const now = matchesFilter(params.filter, event.object);
      const before = event.previous !== undefined && matchesFilter(params.filter, event.previous);
      if (event.type === 'MODIFIED') {
        if (now && before) sendObject('MODIFIED', event.object);
        else if (now) sendObject('ADDED', event.object);
        else if (before) sendObject('DELETED', event.object);
      } else if (now) {
        sendObject(event.type, event.object);
      }
    };
    const unsubscribe = this.store.subscribe(deliver);
    const bookmark = (annotations?: Record<string, string>): void => {
      const metadata: JsonObject = { resourceVersion: String(this.store.currentRevision()) };
      if (annotations) metadata['annotations'] = annotations;
      send('BOOKMARK', { kind: params.type.kind, apiVersion: apiVersionOf(params.type), metadata });
    };

    if (start.kind === 'initial-state') {
      for (const { object } of this.store.list(params.type, params.namespace)) {
        if (matchesFilter(params.filter, object)) sendObject('ADDED', object);
      }
      if (params.sendInitialEvents && params.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else {
      for (const event of start.replay) deliver(event);
    }

    const timers: NodeJS.Timeout[] = [];
    if (params.allowBookmarks) timers.push(setInterval(() => bookmark(), this.bookmarkIntervalMs));
    if (params.timeoutSeconds !== undefined && params.timeoutSeconds > 0) {
      timers.push(setTimeout(() => response.end(), params.timeoutSeconds * 1000));
    }
    response.on('close', () => {
      unsubscribe();
      for (const timer of timers) clearTimeout(timer);
      this.open.delete(watch);
    });
  }

  private startingPoint(
    params: WatchParams,
  ): { kind: 'initial-state' } | { kind: 'replay'; replay: StoreEvent[] } | { kind: 'gone'; message: string } {
    const requested = params.resourceVersion;
    if (this.faults.takeForced410()) {
      return {
        kind: 'gone',
        message: `too old resource version: ${requested ?? ''} (${this.store.currentRevision()}) (forced by kube-sim fault)`,
      };
    }
    const fromNow = requested === undefined || requested === '' || requested === '0';
    // sendInitialEvents=false with no resourceVersion means "only changes from now on".
    if (fromNow && params.sendInitialEvents === false) return { kind: 'replay', replay: [] };
    if (fromNow) return { kind: 'initial-state' };
    const revision = parseResourceVersion(requested);
    const events = this.store.eventsSince(revision);
    if (events === 'expired') {
      return {
        kind: 'gone',
        message: `too old resource version: ${revision} (${this.store.oldestWatchableRevision()})`,
      };
    }
    return { kind: 'replay', replay: events };
  }
}
