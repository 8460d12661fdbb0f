import { NO_LOCALITY, type Locality } from './types.ts';

export const REGION_LABEL = 'topology.kubernetes.io/region';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const SUBZONE_LABEL = 'topology.istio.io/subzone';
/** Pod label overriding the node's locality: `region.zone.subzone` (dots, since labels cannot hold '/'). */
export const POD_LOCALITY_LABEL = 'istio-locality';

export function localityFromNodeLabels(labels: Readonly<Record<string, string>>): Locality {
  return {
    region: labels[REGION_LABEL] ?? labels['failure-domain.beta.kubernetes.io/region'] ?? '',
    zone: labels[ZONE_LABEL] ?? labels['failure-domain.beta.kubernetes.io/zone'] ?? '',
    subZone: labels[SUBZONE_LABEL] ?? '',
  };
}

export function localityFromPodLabel(value: string | undefined): Locality | undefined {
  if (!value) return undefined;
  const [region = '', zone = '', subZone = ''] = value.split('.');
  return { region, zone, subZone };
}

export function localityKey(locality: Locality): string {
  return `${locality.region}/${locality.zone}/${locality.subZone}`;
}

export function isEmptyLocality(locality: Locality): boolean {
  return locality.region === '' && locality.zone === '' && locality.subZone === '';
}

export function parseLocalityKey(key: string): Locality {
  const [region = '', zone = '', subZone = ''] = key.split('/');
  return { region, zone, subZone };
}

/**
 * Istio's locality priority of an endpoint for a proxy: 0 same region+zone+subzone, 1 same
 * region+zone, 2 same region, 3 otherwise. A proxy without a locality sees everything at 0.
 */
export function localityPriority(proxy: Locality, endpoint: Locality): number {
  if (isEmptyLocality(proxy)) return 0;
  if (proxy.region !== endpoint.region) return 3;
  if (proxy.zone !== endpoint.zone) return 2;
  if (proxy.subZone !== endpoint.subZone) return 1;
  return 0;
}

export { NO_LOCALITY };
