import { encodeResourcesField, setVersion, type EncodedResource } from './encoded-resource.ts';

/**
 * Per shared resource map (the same map object many streams send, e.g. a view's CDS): its version
 * and its encoded `resources` field, computed once for every stream that sends it whole.
 */
export class SharedSets {
  private readonly versions = new WeakMap<ReadonlyMap<string, EncodedResource>, string>();
  private readonly resourceFields = new WeakMap<ReadonlyMap<string, EncodedResource>, Buffer>();

  versionOf(resources: ReadonlyMap<string, EncodedResource>): string {
    const known = this.versions.get(resources);
    if (known !== undefined) return known;
    const version = setVersion(resources.values());
    this.versions.set(resources, version);
    return version;
  }

  resourcesFieldOf(resources: ReadonlyMap<string, EncodedResource>): Buffer {
    const known = this.resourceFields.get(resources);
    if (known !== undefined) return known;
    const field = encodeResourcesField(resources.values());
    this.resourceFields.set(resources, field);
    return field;
  }
}
