/**
 * `meshpilot agent`, the equivalent of Istio's grpc-agent for proxyless gRPC workloads: gets a
 * workload certificate over the CSR API, writes cert-chain.pem, key.pem and root-cert.pem (atomically)
 * plus a gRPC xDS bootstrap, and renews the certificate at half its lifetime.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { errorMessage } from '../common/error-message.ts';
import { parseCertificates } from '../pki/pem.ts';
import { rotationDeadline } from '../pki/rotation-deadline.ts';
import { spiffeId } from '../pki/spiffe.ts';
import { verifyPresentedChain } from '../pki/verify-chain.ts';
import { AgentError } from './agent-error.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { createCertificate, createKeyAndCsr, type CsrAuthentication } from './csr-client.ts';
import {
  BOOTSTRAP_FILE,
  buildGrpcBootstrap,
  CERT_CHAIN_FILE,
  KEY_FILE,
  ROOT_CERT_FILE,
  type WorkloadFacts,
} from './grpc-bootstrap.ts';

export interface WorkloadAgentOptions {
  readonly workload: WorkloadFacts;
  readonly trustDomain: string;
  /** CreateCertificate endpoint (meshpilot's TLS xDS port). */
  readonly caAddress: string;
  /** Written into the bootstrap's xds_servers. */
  readonly xdsAddress: string;
  readonly xdsCredentials: 'insecure' | 'tls';
  readonly outDir: string;
  readonly bootstrapPath?: string;
  readonly tokenFile?: string;
  /** The mesh trust root; without it the first call trusts the control plane on first use. */
  readonly rootCertFile?: string;
  readonly trustOnFirstUse: boolean;
  readonly ttlSeconds: number;
  readonly serverName?: string;
  readonly logger: Logger;
  readonly clock?: () => number;
}

export interface IssuedCertificate {
  readonly spiffeId: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly renewAt: number;
}

const RETRY_DELAY_MS = 1_000;

export class WorkloadAgent {
  readonly #options: WorkloadAgentOptions;
  readonly #clock: () => number;
  readonly #spiffeId: string;
  #trustedRootPem: string | undefined;
  #current: { certChainPem: string; privateKeyPem: string; notAfter: Date } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: WorkloadAgentOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.#spiffeId = spiffeId(options.trustDomain, options.workload.namespace, options.workload.serviceAccount);
  }

  get bootstrapPath(): string {
    return this.#options.bootstrapPath ?? join(this.#options.outDir, BOOTSTRAP_FILE);
  }

  /** One certificate and the bootstrap, written; then renewals until stop(). */
  async start(): Promise<IssuedCertificate> {
    const issued = await this.renew();
    await this.writeBootstrap();
    this.#schedule(issued.renewAt - this.#clock());
    return issued;
  }

  async writeBootstrap(): Promise<void> {
    const refreshIntervalSeconds = Math.min(300, Math.max(1, Math.floor(this.#options.ttlSeconds / 10)));
    const bootstrap = buildGrpcBootstrap(this.#options.workload, {
      xdsAddress: this.#options.xdsAddress,
      xdsCredentials: this.#options.xdsCredentials,
      outDir: this.#options.outDir,
      refreshIntervalSeconds,
    });
    await this.#write(this.bootstrapPath, `${JSON.stringify(bootstrap, null, 2)}\n`, 0o644);
    this.#options.logger.info(
      { path: this.bootstrapPath, xdsServer: this.#options.xdsAddress },
      'gRPC xDS bootstrap written',
    );
  }

  /** Gets a new certificate and writes the files. */
  async renew(): Promise<IssuedCertificate> {
    await mkdir(this.#options.outDir, { recursive: true });
    const rootPem = await this.#trustedRoot();
    const { privateKeyPem, csrPem } = await createKeyAndCsr(this.#spiffeId);
    const chain = await createCertificate({
      caAddress: this.#options.caAddress,
      rootPem,
      authentication: await this.#authentication(),
      csrPem,
      ttlSeconds: this.#options.ttlSeconds,
      ...(this.#options.serverName !== undefined ? { serverName: this.#options.serverName } : {}),
    });
    const returnedRoot = chain[chain.length - 1] ?? '';
    const trustedRoot = rootPem ?? returnedRoot;
    if (rootPem === undefined) {
      this.#options.logger.warn(
        { caAddress: this.#options.caAddress },
        'no root certificate given: trusting the root the control plane returned (trust on first use)',
      );
    }
    const certChainPem = chain.slice(0, -1).join('');
    const leaf = await this.#verify(certChainPem, trustedRoot);
    this.#trustedRootPem = trustedRoot;
    await this.#write(join(this.#options.outDir, KEY_FILE), privateKeyPem, 0o600);
    await this.#write(join(this.#options.outDir, CERT_CHAIN_FILE), certChainPem, 0o644);
    await this.#write(join(this.#options.outDir, ROOT_CERT_FILE), trustedRoot, 0o644);
    this.#current = { certChainPem, privateKeyPem, notAfter: leaf.notAfter };
    const renewAt = rotationDeadline(
      Math.max(leaf.notBefore.getTime(), this.#clock()),
      Math.max(leaf.notAfter.getTime(), this.#clock() + 1),
      0.5,
    );
    this.#options.logger.info(
      {
        identity: this.#spiffeId,
        notAfter: leaf.notAfter.toISOString(),
        renewAt: new Date(renewAt).toISOString(),
        outDir: this.#options.outDir,
      },
      'workload certificate written',
    );
    return { spiffeId: this.#spiffeId, notBefore: leaf.notBefore, notAfter: leaf.notAfter, renewAt };
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(
      () => {
        this.renew().then(
          (issued) => this.#schedule(issued.renewAt - this.#clock()),
          (error: unknown) => {
            this.#options.logger.error({ error: errorMessage(error) }, 'certificate renewal failed; retrying');
            this.#schedule(RETRY_DELAY_MS);
          },
        );
      },
      Math.max(delayMs, 0),
    );
  }

  async #trustedRoot(): Promise<string | undefined> {
    if (this.#trustedRootPem !== undefined) return this.#trustedRootPem;
    if (this.#options.rootCertFile === undefined) {
      if (this.#options.trustOnFirstUse) return undefined;
      throw new AgentError(
        'MESHPILOT_ERR_AGENT_ROOT',
        'no --root-cert-file given: pass the mesh root certificate (or --trust-on-first-use to accept the one the control plane returns)',
      );
    }
    let text: string;
    try {
      text = await readFile(this.#options.rootCertFile, 'utf8');
    } catch (error: unknown) {
      throw new AgentError(
        'MESHPILOT_ERR_AGENT_ROOT',
        `cannot read the root certificate file ${this.#options.rootCertFile}: ${errorMessage(error)}`,
      );
    }
    const parsed = parseCertificates(text);
    if (!parsed.ok)
      throw new AgentError(
        'MESHPILOT_ERR_AGENT_ROOT',
        `root certificate file ${this.#options.rootCertFile}: ${parsed.reason}`,
      );
    return text;
  }

  /** A token from the token file (re-read each time: projected tokens rotate), else the current certificate. */
  async #authentication(): Promise<CsrAuthentication> {
    if (this.#options.tokenFile !== undefined) {
      let token: string;
      try {
        token = (await readFile(this.#options.tokenFile, 'utf8')).trim();
      } catch (error: unknown) {
        throw new AgentError(
          'MESHPILOT_ERR_AGENT_TOKEN',
          `cannot read the token file ${this.#options.tokenFile}: ${errorMessage(error)}`,
        );
      }
      if (token === '')
        throw new AgentError('MESHPILOT_ERR_AGENT_TOKEN', `the token file ${this.#options.tokenFile} is empty`);
      return { kind: 'token', token };
    }
    if (this.#current !== undefined && this.#current.notAfter.getTime() > this.#clock()) {
      return {
        kind: 'certificate',
        certChainPem: this.#current.certChainPem,
        privateKeyPem: this.#current.privateKeyPem,
      };
    }
    throw new AgentError(
      'MESHPILOT_ERR_AGENT_TOKEN',
      'no --token-file given and no valid workload certificate to authenticate with',
    );
  }

  async #verify(certChainPem: string, rootPem: string): Promise<{ notBefore: Date; notAfter: Date }> {
    const roots = parseCertificates(rootPem);
    if (!roots.ok)
      throw new AgentError('MESHPILOT_ERR_AGENT_CERTIFICATE', `the root certificate is not usable: ${roots.reason}`);
    const verified = await verifyPresentedChain(
      certChainPem,
      { trustDomain: this.#options.trustDomain, roots: roots.value, intermediates: [] },
      new Date(this.#clock()),
    );
    if (!verified.ok)
      throw new AgentError(
        'MESHPILOT_ERR_AGENT_CERTIFICATE',
        `the issued certificate does not verify: ${verified.error}`,
      );
    if (verified.spiffeId !== this.#spiffeId) {
      throw new AgentError(
        'MESHPILOT_ERR_AGENT_CERTIFICATE',
        `the issued certificate is for ${verified.spiffeId}, expected ${this.#spiffeId}`,
      );
    }
    const leaf = parseCertificates(certChainPem);
    if (!leaf.ok || leaf.value[0] === undefined)
      throw new AgentError('MESHPILOT_ERR_AGENT_CERTIFICATE', 'the issued chain has no leaf certificate');
    return { notBefore: leaf.value[0].notBefore, notAfter: leaf.value[0].notAfter };
  }

  async #write(path: string, text: string, mode: number): Promise<void> {
    try {
      await writeFileAtomic(path, text, mode);
    } catch (error: unknown) {
      throw new AgentError('MESHPILOT_ERR_AGENT_WRITE', `cannot write ${path}: ${errorMessage(error)}`);
    }
  }
}
