import type { Locality, WorkloadEndpoint } from '../../model/types.ts';

/**
 * An endpoint for EDS unit tests: ready and serving, Istio mTLS-capable, port 5000 of the service port `grpc`, no
 * labels and no network unless `fields` say otherwise.
 */
export function workloadEndpoint(
  fields: Pick<WorkloadEndpoint, 'kubeCluster' | 'address'> & {
    readonly locality: Locality;
  } & Partial<WorkloadEndpoint>,
): WorkloadEndpoint {
  return {
    port: 5000,
    servicePortName: 'grpc',
    ready: true,
    serving: true,
    terminating: false,
    labels: {},
    network: '',
    tlsMode: 'istio',
    ...fields,
  };
}
