/**
 * The workload-identity CA: issues SPIFFE workload certificates (for SDS `default`), signs Istio CSRs
 * (CreateCertificate), issues the control plane's own serving certificate, and authenticates peers
 * by their certificate chains. All time comes from the injected clock.
 */
import { isIP } from 'node:net';
import { x509 } from '../../pki/x509-library.ts';
import { SecurityError } from '../../pki/errors.ts';
import { readCaFiles, writeCaFiles, type CaFileTexts } from './ca-files.ts';
import { validateCaMaterial, type CaMaterial } from './ca-material.ts';
import { createSelfSignedRoot, signLeafCertificate } from '../../pki/certificate-profiles.ts';
import { exportPrivateKeyPem, generateEcdsaKeyPair } from '../../pki/keys.ts';
import { certificateToPem, certificatesToPem } from '../../pki/pem.ts';
import { readCertificateRequest } from './csr.ts';
import { spiffeId, trustDomainProblem, type WorkloadIdentity } from '../../pki/spiffe.ts';
import { verifyPresentedChain, type ChainVerification, type PresentedChain } from '../../pki/verify-chain.ts';
import { describeX509, type CertificateDescription } from '../../pki/describe.ts';

export type Clock = () => number;

/** How the CA got its key: generated now, or loaded from `dir` (a root we made earlier or a plugged-in CA). */
export type CaSource = 'generated' | 'loaded-self-signed' | 'loaded-intermediate';

export interface LoadOrCreateCaOptions {
  dir: string;
  trustDomain: string;
  clock?: Clock;
  /** Lifetime of a generated root. Default 10 years. */
  rootLifetimeMs?: number;
  /** Longest certificate the CA will issue. Default 90 days (Istio's max workload cert TTL). */
  maxCertificateTtlMs?: number;
}

export interface WorkloadCertificate {
  /** Leaf + the CA's intermediates (the trust root is left out: peers already hold it). */
  certChainPem: string;
  privateKeyPem: string;
  notBefore: Date;
  notAfter: Date;
  spiffeId: string;
}

export interface ServingCertificate {
  certChainPem: string;
  privateKeyPem: string;
  notBefore: Date;
  notAfter: Date;
}

export interface CaDescription {
  source: CaSource;
  trustDomain: string;
  signingCertificate: CertificateDescription;
  intermediates: CertificateDescription[];
  roots: CertificateDescription[];
}

export const DEFAULT_WORKLOAD_TTL_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_MAX_CERTIFICATE_TTL_MS = 90 * 24 * 60 * 60 * 1000;
export const DEFAULT_ROOT_LIFETIME_MS = 10 * 365 * 24 * 60 * 60 * 1000;
/** Certificates start this much before "now" so peers with a slightly slow clock accept them. */
export const CLOCK_SKEW_ALLOWANCE_MS = 60 * 1000;

const DNS_NAME_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export async function loadOrCreateCa(options: LoadOrCreateCaOptions): Promise<CertificateAuthority> {
  const problem = trustDomainProblem(options.trustDomain);
  if (problem !== undefined) throw new SecurityError('MESHPILOT_ERR_CA_INVALID_REQUEST', problem);
  const clock = options.clock ?? Date.now;
  const onDisk = await readCaFiles(options.dir);
  let texts: CaFileTexts;
  let generated = false;
  if (onDisk.kind === 'complete') {
    texts = onDisk.texts;
  } else {
    texts = await generateRootFiles(options.trustDomain, clock(), options.rootLifetimeMs ?? DEFAULT_ROOT_LIFETIME_MS);
    await writeCaFiles(options.dir, texts);
    generated = true;
  }
  const material = await validateCaMaterial(options.dir, texts, new Date(clock()));
  const source: CaSource = generated ? 'generated' : material.selfSigned ? 'loaded-self-signed' : 'loaded-intermediate';
  return new CertificateAuthority(material, {
    trustDomain: options.trustDomain,
    clock,
    source,
    maxCertificateTtlMs: options.maxCertificateTtlMs ?? DEFAULT_MAX_CERTIFICATE_TTL_MS,
  });
}

async function generateRootFiles(trustDomain: string, now: number, lifetimeMs: number): Promise<CaFileTexts> {
  const keys = await generateEcdsaKeyPair();
  const root = await createSelfSignedRoot({
    trustDomain,
    keys,
    notBefore: new Date(now - CLOCK_SKEW_ALLOWANCE_MS),
    notAfter: new Date(now + lifetimeMs),
  });
  const rootPem = certificateToPem(root);
  return { caCert: rootPem, caKey: await exportPrivateKeyPem(keys.privateKey), rootCert: rootPem, certChain: rootPem };
}

export class CertificateAuthority {
  readonly trustDomain: string;
  readonly source: CaSource;
  readonly #material: CaMaterial;
  readonly #clock: Clock;
  readonly #maxCertificateTtlMs: number;

  constructor(
    material: CaMaterial,
    settings: { trustDomain: string; clock: Clock; source: CaSource; maxCertificateTtlMs: number },
  ) {
    this.#material = material;
    this.trustDomain = settings.trustDomain;
    this.source = settings.source;
    this.#clock = settings.clock;
    this.#maxCertificateTtlMs = settings.maxCertificateTtlMs;
  }

  /** The trust bundle (SDS `ROOTCA`): every root of root-cert.pem. */
  rootCertPem(): string {
    return certificatesToPem(this.#material.roots);
  }

  async issueWorkloadCertificate(request: WorkloadIdentity & { ttlMs?: number }): Promise<WorkloadCertificate> {
    const identity = spiffeId(this.trustDomain, request.namespace, request.serviceAccount);
    const validity = this.#validityWindow(request.ttlMs ?? DEFAULT_WORKLOAD_TTL_MS);
    const keys = await generateEcdsaKeyPair();
    const leaf = await signLeafCertificate(this.#material.signer, {
      publicKey: keys.publicKey,
      subjectAltNames: [{ type: 'url', value: identity }],
      extendedKeyUsages: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
      ...validity,
    });
    return {
      certChainPem: certificatesToPem([leaf, ...this.#material.intermediates]),
      privateKeyPem: await exportPrivateKeyPem(keys.privateKey),
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      spiffeId: identity,
    };
  }

  /**
   * Istio's CreateCertificate: signs the CSR's public key for the *authenticated* identity and returns
   * the chain as Istio does, leaf first and the trust bundle last.
   */
  async signCsr(request: { csrPem: string; identity: WorkloadIdentity; ttlMs?: number }): Promise<string[]> {
    const identity = spiffeId(this.trustDomain, request.identity.namespace, request.identity.serviceAccount);
    const certificateRequest = await readCertificateRequest(request.csrPem, identity);
    const validity = this.#validityWindow(request.ttlMs ?? DEFAULT_WORKLOAD_TTL_MS);
    const leaf = await signLeafCertificate(this.#material.signer, {
      publicKey: certificateRequest.publicKey,
      subjectAltNames: [{ type: 'url', value: identity }],
      extendedKeyUsages: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
      ...validity,
    });
    return [certificateToPem(leaf), ...this.#material.intermediates.map(certificateToPem), this.rootCertPem()];
  }

  /** The control plane's own TLS server certificate (port 15012), with the given DNS and IP SANs. */
  async issueServingCertificate(request: {
    dnsNames: readonly string[];
    ipAddresses?: readonly string[];
    ttlMs?: number;
  }): Promise<ServingCertificate> {
    const ipAddresses = request.ipAddresses ?? [];
    if (request.dnsNames.length === 0 && ipAddresses.length === 0) {
      throw new SecurityError(
        'MESHPILOT_ERR_CA_INVALID_REQUEST',
        'a serving certificate needs at least one DNS name or IP address',
      );
    }
    for (const dnsName of request.dnsNames) {
      if (dnsName.length > 253 || !DNS_NAME_PATTERN.test(dnsName)) {
        throw new SecurityError(
          'MESHPILOT_ERR_CA_INVALID_REQUEST',
          `serving certificate DNS name ${JSON.stringify(dnsName)} is not a valid lowercase DNS name`,
        );
      }
    }
    for (const address of ipAddresses) {
      if (isIP(address) === 0) {
        throw new SecurityError(
          'MESHPILOT_ERR_CA_INVALID_REQUEST',
          `serving certificate IP address ${JSON.stringify(address)} is not an IPv4 or IPv6 address`,
        );
      }
    }
    const validity = this.#validityWindow(request.ttlMs ?? DEFAULT_WORKLOAD_TTL_MS);
    const keys = await generateEcdsaKeyPair();
    const leaf = await signLeafCertificate(this.#material.signer, {
      publicKey: keys.publicKey,
      subjectAltNames: [
        ...request.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ],
      extendedKeyUsages: [x509.ExtendedKeyUsage.serverAuth],
      ...validity,
    });
    return {
      certChainPem: certificatesToPem([leaf, ...this.#material.intermediates]),
      privateKeyPem: await exportPrivateKeyPem(keys.privateKey),
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
    };
  }

  /** Authenticates a peer's chain (leaf first): its SPIFFE identity, or why it is not acceptable. */
  async verifyWorkloadChain(chain: PresentedChain): Promise<ChainVerification> {
    return verifyPresentedChain(
      chain,
      { trustDomain: this.trustDomain, roots: this.#material.roots, intermediates: this.#material.intermediates },
      new Date(this.#clock()),
    );
  }

  describe(): CaDescription {
    return {
      source: this.source,
      trustDomain: this.trustDomain,
      signingCertificate: describeX509(this.#material.signer.certificate),
      intermediates: this.#material.intermediates.map(describeX509),
      roots: this.#material.roots.map(describeX509),
    };
  }

  #validityWindow(ttlMs: number): { notBefore: Date; notAfter: Date } {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
      throw new SecurityError(
        'MESHPILOT_ERR_CA_INVALID_REQUEST',
        `certificate TTL must be a positive number of milliseconds, got ${ttlMs}`,
      );
    }
    if (ttlMs > this.#maxCertificateTtlMs) {
      throw new SecurityError(
        'MESHPILOT_ERR_CA_INVALID_REQUEST',
        `certificate TTL ${ttlMs} ms exceeds the maximum of ${this.#maxCertificateTtlMs} ms`,
      );
    }
    const now = this.#clock();
    const caCertificate = this.#material.signer.certificate;
    if (now >= caCertificate.notAfter.getTime()) {
      throw new SecurityError(
        'MESHPILOT_ERR_CA_EXPIRED',
        `the signing CA certificate "${caCertificate.subject}" expired at ${caCertificate.notAfter.toISOString()}`,
      );
    }
    // A leaf never outlives its issuer: peers would reject it at the CA's expiry anyway.
    const notAfter = Math.min(now + ttlMs, caCertificate.notAfter.getTime());
    return { notBefore: new Date(now - CLOCK_SKEW_ALLOWANCE_MS), notAfter: new Date(notAfter) };
  }
}
