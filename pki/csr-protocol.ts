/** Istio's CSR API on the wire (istio.v1.auth.IstioCertificateService), shared by the server and the workload agent. */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { lookupMessage } from '../protos/load.ts';

export const CSR_SERVICE_NAME = 'istio.v1.auth.IstioCertificateService';
const REQUEST_TYPE = 'istio.v1.auth.IstioCertificateRequest';
const RESPONSE_TYPE = 'istio.v1.auth.IstioCertificateResponse';

export interface CertificateRequestMessage {
  csr: string;
  /** Requested lifetime in seconds; 0 or absent = the configured default. */
  validity_duration?: number;
}

export interface CertificateResponseMessage {
  cert_chain: string[];
}

function encode(typeName: string, value: object): Buffer {
  const type = lookupMessage(typeName);
  return Buffer.from(type.encode(type.fromObject(value)).finish());
}

function decode<T>(typeName: string, bytes: Buffer): T {
  const type = lookupMessage(typeName);
  return type.toObject(type.decode(bytes), { longs: Number, defaults: true }) as T;
}

/** The service definition, shared by the server and the agent's client. */
export const CSR_SERVICE: ServiceDefinition = {
  CreateCertificate: {
    path: `/${CSR_SERVICE_NAME}/CreateCertificate`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: CertificateRequestMessage) => encode(REQUEST_TYPE, value),
    requestDeserialize: (bytes: Buffer) => decode<CertificateRequestMessage>(REQUEST_TYPE, bytes),
    responseSerialize: (value: CertificateResponseMessage) => encode(RESPONSE_TYPE, value),
    responseDeserialize: (bytes: Buffer) => decode<CertificateResponseMessage>(RESPONSE_TYPE, bytes),
  },
};
