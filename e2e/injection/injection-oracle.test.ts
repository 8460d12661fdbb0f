import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../server/config/load.ts';
import { webhookHandlers } from '../../server/webhooks/handlers.ts';
import type { AdmissionRequest } from '../../server/webhooks/admission.ts';
import { README_FILE } from '../oracle/corpus.ts';
import { INJECTION_CASES } from './cases.ts';
import {
  INJECTION_TABLE_BEGIN,
  INJECTION_TABLE_END,
  loadInjectionDivergences,
  matchesGlob,
  renderInjectionTable,
  rowFor,
} from './divergences.ts';
import { istioInjects, type InjectorOutput } from './istio-injector.ts';
import { podDifferences, type PodDifference } from './pod-diff.ts';

/**
 * meshpilot's sidecar injection judged by Istio's own injector (interop/istio-injector): the same
 * AdmissionReview goes to both, both JSON Patches are applied to the Pod with the kube-apiserver's JSON
 * Patch library, and the Pods must be equal field by field but for the rows of e2e/injection/divergences.yaml.
 */

// What a meshpilot.yaml gives the webhook, and the same settings as Istio's chart values (the harness
// renders them into the istio-sidecar-injector and istio ConfigMaps).
const MESHPILOT_YAML = `
meshId: mesh1
trustDomain: cluster.local
domainSuffix: cluster.local
security: {}
webhooks:
  discoveryAddress: meshpilot.example.com:15012
  proxyImage: docker.io/istio/proxyv2:1.29.0
`;

type Answer = { allowed: boolean; patched: Record<string, unknown>; differences: PodDifference[] };

describe("sidecar injection, judged by Istio's injector", { timeout: 120_000 }, () => {
  const rows = loadInjectionDivergences();
  const answers = new Map<string, Answer>();
  let istio: InjectorOutput;

  beforeAll(async () => {
    const parsed = await parseConfigText(MESHPILOT_YAML, '/nowhere/meshpilot.yaml');
    if (!parsed.ok) throw new Error(`the test's meshpilot.yaml is refused: ${JSON.stringify(parsed.errors)}`);
    const webhooks = parsed.config.webhooks;
    if (webhooks === undefined) throw new Error('no webhooks section');
    // The member clusters' Nodes as meshpilot's kube watch reduces them, named as the harness names them.
    const clusterNodes = new Map(
      INJECTION_CASES.flatMap((c) =>
        c.cluster
          ? [
              [
                c.cluster.id,
                new Map(
                  c.cluster.kubeletVersions.map((v, i) => [`node-${i}`, { name: `node-${i}`, kubeletVersion: v }]),
                ),
              ],
            ]
          : [],
      ),
    );
    const handlerFor = (overrides: Record<string, unknown> = {}) => {
      const handler = webhookHandlers(
        { ...parsed.config, webhooks: { ...webhooks, ...overrides } },
        { kubeNodes: (cluster) => clusterNodes.get(cluster) },
      ).get('/inject');
      if (handler === undefined) throw new Error('no /inject handler');
      return handler;
    };
    const reviews = INJECTION_CASES.map((c, i) => {
      const request: AdmissionRequest & Record<string, unknown> = {
        uid: `review-${i}`,
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        namespace: 'sample',
        operation: 'CREATE',
        object: c.pod,
      };
      const mine = handlerFor(c.webhooks)(request, c.path);
      if (!('allowed' in mine) || mine.allowed !== true) throw new Error(`meshpilot refused ${c.name}`);
      const patch: unknown = mine.patch === undefined ? [] : JSON.parse(Buffer.from(mine.patch, 'base64').toString());
      return {
        name: c.name,
        path: c.path,
        review: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request },
        patches: { meshpilot: patch },
      };
    });
    istio = await istioInjects({
      values: {
        proxyImage: webhooks.proxyImage,
        discoveryAddress: webhooks.discoveryAddress,
        meshId: parsed.config.meshId,
        trustDomain: parsed.config.trustDomain,
        domainSuffix: parsed.config.domainSuffix,
        revision: webhooks.revision,
      },
      clusters: Object.fromEntries(
        INJECTION_CASES.flatMap((c) =>
          c.cluster ? [[c.cluster.id, { kubeletVersions: c.cluster.kubeletVersions }]] : [],
        ),
      ),
      reviews,
    });
    for (const answer of istio.answers) {
      expect(answer.httpStatus, answer.name).toBe(200);
      expect(answer.patchErrors ?? {}, answer.name).toEqual({});
      const patched = answer.patched ?? {};
      answers.set(answer.name, {
        allowed: answer.response?.allowed === true,
        patched,
        differences: podDifferences(patched['istio'], patched['meshpilot']),
      });
    }
  }, 120_000);

  it("runs Istio's injector with Istio's sidecar and grpc-agent templates at the pinned version", () => {
    expect(istio.istioVersion).toMatch(/^v0\.0\.0-20260827124520-eed52ebb66ad$/);
    expect(istio.templates).toEqual(expect.arrayContaining(['sidecar', 'grpc-agent']));
    expect(istio.setFlags).toEqual(
      expect.arrayContaining([
        'meshConfig.defaultConfig.discoveryAddress=meshpilot.example.com:15012',
        'values.global.proxy.image=docker.io/istio/proxyv2:1.29.0',
        'values.global.meshID=mesh1',
      ]),
    );
    expect(answers.size).toBe(INJECTION_CASES.length);
  });

  it.each(INJECTION_CASES.map((c) => [c.name, c] as const))('%s: the same Pod as Istio', (name, c) => {
    const answer = answers.get(name);
    expect(answer?.allowed).toBe(true);
    const containers = (pod: unknown): string[] =>
      ((pod as { spec?: { containers?: { name: string }[] } }).spec?.containers ?? []).map((x) => x.name);
    // The comparison is not vacuous: Istio injected (or, for the opted-out cases, did not).
    const expectInjected = !/opted out|host network/.test(c.name);
    const istioPod = answer?.patched['istio'];
    const injectedByIstio =
      containers(istioPod).includes('istio-proxy') ||
      JSON.stringify((istioPod as { spec?: unknown }).spec ?? {}).includes('"istio-proxy"');
    expect(injectedByIstio).toBe(expectInjected);
    const unexplained = (answer?.differences ?? []).filter((d) => rowFor(rows, name, d) === undefined);
    expect(unexplained).toEqual([]);
  });

  it('every divergence row still matches a difference (a fixed one must go)', () => {
    const stale: string[] = [];
    for (const row of rows)
      for (const path of row.paths) {
        const seen = [...answers].some(
          ([name, answer]) =>
            matchesGlob(row.cases, name) &&
            answer.differences.some((d) => row.statuses.includes(d.status) && matchesGlob([path], d.path)),
        );
        if (!seen) stale.push(`${row.id}: ${path}`);
      }
    expect(stale).toEqual([]);
  });

  it('the README injection table is generated from divergences.yaml (npx tsx e2e/injection/write-readme-table.ts)', () => {
    const readme = readFileSync(README_FILE, 'utf8');
    const begin = readme.indexOf(INJECTION_TABLE_BEGIN);
    const end = readme.indexOf(INJECTION_TABLE_END);
    expect(begin).toBeGreaterThan(0);
    expect(readme.slice(begin + INJECTION_TABLE_BEGIN.length, end).trim()).toBe(renderInjectionTable(rows));
  });
});
