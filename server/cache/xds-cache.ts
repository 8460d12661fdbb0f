import type { XdsTypeUrl } from '../../protos/type-urls.ts';
import { viewKey, type ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { translatorFor } from '../../translators/index.ts';
import { encodeResource, type EncodedResource } from './encoded-resource.ts';

export type ResourceMap = ReadonlyMap<string, EncodedResource>;

const EMPTY: ResourceMap = new Map();

function internKey(resource: EncodedResource): string {
  return `${resource.typeUrl}#${resource.name}#${resource.version}`;
}

/**
 * Resources per proxy view and type, computed and encoded once per snapshot and shared by every
 * stream of that view. Encodings are interned by content across views and snapshots, so a
 * resource that did not change keeps its bytes (and its identity) from one snapshot to the next.
 */
export class XdsCache {
  private snapshot: MeshSnapshot | undefined;
  private memo = new Map<string, ResourceMap>();
  private interned = new Map<string, EncodedResource>();

  setSnapshot(snapshot: MeshSnapshot): void {
    this.snapshot = snapshot;
    // Keep only the encodings the previous snapshot's memos reached: unchanged resources are
    // reused, removed ones are dropped, so the intern table never outgrows one snapshot.
    const live = new Map<string, EncodedResource>();
    for (const map of this.memo.values()) for (const r of map.values()) live.set(internKey(r), r);
    this.interned = live;
    this.memo = new Map();
  }

  currentSnapshot(): MeshSnapshot | undefined {
    return this.snapshot;
  }

  resources(view: ProxyView, typeUrl: XdsTypeUrl): ResourceMap {
    const snapshot = this.snapshot;
    const translate = translatorFor(typeUrl);
    if (!snapshot || !translate) return EMPTY;
    const memoKey = `${typeUrl}#${viewKey(view)}`;
    const cached = this.memo.get(memoKey);
    if (cached) return cached;
    const map = new Map<string, EncodedResource>();
    for (const resource of translate(snapshot, view)) {
      const encoded = encodeResource(resource);
      const key = internKey(encoded);
      const shared = this.interned.get(key) ?? encoded;
      this.interned.set(key, shared);
      map.set(resource.name, shared);
    }
    this.memo.set(memoKey, map);
    return map;
  }

  stats(): { views: number; interned: number } {
    return { views: this.memo.size, interned: this.interned.size };
  }
}
