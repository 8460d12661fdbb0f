import type { XdsTypeUrl } from '../../protos/type-urls.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { SnapshotDelta } from '../../model/snapshot-delta.ts';
import type { MeshService, MeshSnapshot } from '../../model/types.ts';
import type { XdsResource } from '../../translators/resource.ts';

export type Translator = (snapshot: MeshSnapshot, view: ProxyView) => XdsResource[];
export type ServiceTranslator = (snapshot: MeshSnapshot, view: ProxyView, service: MeshService) => XdsResource[];

/** What a change touched of one type: every resource, none, or the resources of these services (hostnames). */
export type TouchedServices = 'all' | 'none' | ReadonlySet<string>;

/**
 * One xDS type's generator (istiod's per-type generator): how its resources are translated, and,
 * beside it, which of them a change touches (istiod's cdsNeedsPush, edsNeedsPush, ...).
 *
 * The view's resources are translated either whole (`shared`) or service by service (`perService`,
 * so one service's change re-translates only that service); `perWorkload`, when present, adds what
 * depends on the proxy's own workload (inbound clusters and listeners).
 */
export type TypeGenerator = {
  readonly typeUrl: XdsTypeUrl;
  readonly perWorkload?: Translator;
  /** Which of this type's resources `change` may have touched, for any proxy. */
  touchedBy(change: SnapshotDelta): TouchedServices;
} & (
  | { readonly shared: Translator; readonly perService?: undefined }
  | { readonly perService: ServiceTranslator; readonly shared?: undefined }
);

/** Istio config (routes, subsets, policies) and services can change any resource of any type. */
export function touchesEverything(change: SnapshotDelta): boolean {
  return change.full || change.config || change.services.size > 0;
}
