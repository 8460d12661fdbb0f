import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../../e2e/support/eventually.ts';
import { ManifestFolders } from '../config/manifest-folder.ts';
import { ManifestConfigSource } from '../istio-config/manifest-config-source.ts';
import type { RegistryChange } from './events.ts';
import { FileRegistry } from './file-registry.ts';

const logger = pino({ level: 'silent' });

const pod = (name: string, ip: string): string =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: default, labels: {app: ${name}}}\n` +
  `spec: {nodeName: n1}\nstatus: {podIP: ${ip}, phase: Running}\n`;
const service = (name: string, port: number): string =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: default}\n` +
  `spec: {selector: {app: ${name}}, ports: [{name: http, port: ${port}}]}\n`;
const workloadEntry = (name: string, address: string): string =>
  `apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: ${name}, namespace: default}\n` +
  `spec: {address: ${address}}\n`;
const docs = (...texts: string[]): string => texts.join('---\n');

/** A file registry on a real temporary folder, with every change it emitted. */
class Harness {
  readonly root: string;
  readonly dir: string;
  readonly events: RegistryChange[] = [];
  readonly folders: ManifestFolders;
  registry: FileRegistry | undefined;
  private markers = 0;

  constructor(root: string, options: { resyncMs?: number } = {}) {
    this.root = root;
    this.dir = join(root, 'c1');
    this.folders = new ManifestFolders({ settleMs: 20, resyncMs: options.resyncMs ?? 0 });
  }

  async start(): Promise<FileRegistry> {
    this.registry = new FileRegistry({ name: 'c1', dir: this.dir, logger, folders: this.folders });
    await this.registry.start((changes) => this.events.push(...changes));
    return this.registry;
  }

  /** The folder the registry reads (the same instance: acquired and released here). */
  async folderStats(): Promise<{ fullReads: number; filesRead: number }> {
    const folder = this.folders.acquire(this.dir);
    const stats = { ...folder.stats };
    await this.folders.release(folder);
    return stats;
  }

  /**
   * Runs `step`, then writes a marker object to a file of its own and waits for it: reads are in order,
   * so everything `step` caused has been emitted by then. Returns the step's changes (marker left out).
   */
  async changesOf(step: () => Promise<void>): Promise<string[]> {
    const from = this.events.length;
    await step();
    this.markers += 1;
    const marker = `marker-${this.markers}`;
    await writeFile(join(this.dir, 'zz-marker.yaml'), `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${marker}}\n`);
    await eventually(
      () => this.events.slice(from).some((c) => c.kind === 'Namespace' && c.key === marker && c.op === 'upsert'),
      `the marker ${marker}`,
      10_000,
    );
    return this.events
      .slice(from)
      .filter((c) => !(c.kind === 'Namespace' && c.key.startsWith('marker-')))
      .map((c) => `${c.op} ${c.kind} ${c.key}`)
      .sort();
  }

  podIp(name: string): string | undefined {
    return this.registry?.store.records('Pod').get(`default/${name}`)?.ip;
  }

  async stop(): Promise<void> {
    await this.registry?.stop();
  }
}

describe('FileRegistry on a real folder (incremental reads)', () => {
  let root: string;
  let harness: Harness;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'meshpilot-file-registry-'));
    harness = new Harness(root);
    await mkdir(harness.dir);
    await writeFile(
      join(harness.dir, 'a.yaml'),
      docs(service('a', 80), pod('a-1', '10.0.0.1'), pod('a-2', '10.0.0.2')),
    );
    await writeFile(join(harness.dir, 'b.yaml'), docs(service('b', 80), pod('b-1', '10.0.1.1')));
  });

  afterEach(async () => {
    await harness.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('emits every object once at start, then only the object an edit changed, reading only that file', async () => {
    const registry = await harness.start();
    expect(harness.events.map((c) => `${c.op} ${c.kind} ${c.key}`).sort()).toEqual([
      'upsert Pod default/a-1',
      'upsert Pod default/a-2',
      'upsert Pod default/b-1',
      'upsert Service default/a',
      'upsert Service default/b',
    ]);
    expect(registry.health()).toMatchObject({ state: 'synced', objects: { Service: 2, Pod: 3 } });
    expect(registry.health().lastError).toBeUndefined();
    const before = await harness.folderStats();

    const changes = await harness.changesOf(() =>
      writeFile(join(harness.dir, 'a.yaml'), docs(service('a', 80), pod('a-1', '10.0.0.9'), pod('a-2', '10.0.0.2'))),
    );
    expect(changes).toEqual(['upsert Pod default/a-1']);
    expect(harness.podIp('a-1')).toBe('10.0.0.9');
    const after = await harness.folderStats();
    expect(after.fullReads).toBe(before.fullReads);
    // a.yaml and the marker file; b.yaml is not read again.
    expect(after.filesRead - before.filesRead).toBeLessThanOrEqual(4);
    expect(after.filesRead - before.filesRead).toBeGreaterThanOrEqual(2);
  });

  it('emits nothing for a file rewritten with the same content or renamed, and deletes for a removed file', async () => {
    await harness.start();
    const text = docs(service('b', 80), pod('b-1', '10.0.1.1'));
    expect(await harness.changesOf(() => writeFile(join(harness.dir, 'b.yaml'), text))).toEqual([]);
    expect(
      await harness.changesOf(() => rename(join(harness.dir, 'b.yaml'), join(harness.dir, 'renamed.yml'))),
    ).toEqual([]);
    expect(await harness.changesOf(() => unlink(join(harness.dir, 'renamed.yml')))).toEqual([
      'delete Pod default/b-1',
      'delete Service default/b',
    ]);
    expect(harness.registry?.store.counts()).toMatchObject({ Service: 1, Pod: 2 });
  });

  it("takes an editor's atomic save (a dot temp file renamed over the manifest) as one change", async () => {
    await harness.start();
    const changes = await harness.changesOf(async () => {
      const temp = join(harness.dir, '.a.yaml.swp');
      await writeFile(temp, docs(service('a', 8080), pod('a-1', '10.0.0.1'), pod('a-2', '10.0.0.2')));
      await rename(temp, join(harness.dir, 'a.yaml'));
    });
    expect(changes).toEqual(['upsert Service default/a']);
    expect(
      harness.registry?.store
        .records('Service')
        .get('default/a')
        ?.ports.map((p) => p.port),
    ).toEqual([8080]);
  });

  it('reads a new sub-folder, a folder moved in, and forgets a folder moved out', async () => {
    await harness.start();
    const created = await harness.changesOf(async () => {
      await mkdir(join(harness.dir, 'sub', 'deeper'), { recursive: true });
      await writeFile(
        join(harness.dir, 'sub', 'deeper', 'c.json'),
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [] }),
      );
      await writeFile(join(harness.dir, 'sub', 'deeper', 'c.json'), JSON.stringify(podObject('c-1', '10.0.2.1')));
    });
    expect(created).toEqual(['upsert Pod default/c-1']);

    const outside = join(root, 'elsewhere');
    await mkdir(outside);
    await writeFile(join(outside, 'd.yaml'), docs(service('d', 81), pod('d-1', '10.0.3.1')));
    const movedIn = await harness.changesOf(() => rename(outside, join(harness.dir, 'moved')));
    expect(movedIn).toEqual(['upsert Pod default/d-1', 'upsert Service default/d']);
    // Files in folders that appeared after the start are watched too.
    expect(
      await harness.changesOf(() =>
        writeFile(join(harness.dir, 'sub', 'deeper', 'c.json'), JSON.stringify(podObject('c-1', '10.0.2.2'))),
      ),
    ).toEqual(['upsert Pod default/c-1']);
    expect(
      await harness.changesOf(() =>
        writeFile(join(harness.dir, 'moved', 'd.yaml'), docs(service('d', 82), pod('d-1', '10.0.3.1'))),
      ),
    ).toEqual(['upsert Service default/d']);

    const movedOut = await harness.changesOf(() => rename(join(harness.dir, 'sub'), join(root, 'gone')));
    expect(movedOut).toEqual(['delete Pod default/c-1']);
    expect(harness.registry?.store.counts()).toMatchObject({ Service: 3, Pod: 4 });
  });

  it('ends a burst of edits with every file as last written, emitting only objects of the edited files', async () => {
    await harness.start();
    const names = Array.from({ length: 8 }, (_, i) => `burst-${i}`);
    await harness.changesOf(() =>
      Promise.all(names.map((name) => writeFile(join(harness.dir, `${name}.yaml`), pod(name, '10.1.0.1')))).then(
        () => undefined,
      ),
    );
    const changes = await harness.changesOf(async () => {
      for (let round = 2; round <= 20; round += 1)
        for (const name of names) await writeFile(join(harness.dir, `${name}.yaml`), pod(name, `10.1.0.${round}`));
    });
    // Each object of an edited file, and nothing else (a read that caught a file between its truncation
    // and its write may delete it for a moment: writeFile is not atomic).
    const edited = new Set(names.map((name) => `Pod default/${name}`));
    expect(changes.filter((change) => !edited.has(change.slice(change.indexOf(' ') + 1)))).toEqual([]);
    expect(new Set(changes.filter((change) => change.startsWith('upsert ')))).toEqual(
      new Set(names.map((name) => `upsert Pod default/${name}`)),
    );
    for (const name of names) expect(harness.podIp(name)).toBe('10.1.0.20');
    expect(harness.podIp('a-1')).toBe('10.0.0.1');
  });

  it('drops an invalid manifest alone, naming the file and line, and takes it back once fixed', async () => {
    const registry = await harness.start();
    const broken = await harness.changesOf(() =>
      writeFile(join(harness.dir, 'b.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: b-1\n'),
    );
    expect(broken).toEqual(['delete Pod default/b-1', 'delete Service default/b']);
    expect(registry.health().lastError).toMatch(/^c1\/b\.yaml#0: YAML syntax error at line \d+, column \d+/);
    expect(registry.store.counts()).toMatchObject({ Service: 1, Pod: 2 });

    const invalid = await harness.changesOf(() =>
      writeFile(join(harness.dir, 'b.yaml'), docs(service('b', 80), 'apiVersion: v1\nkind: Pod\nmetadata: {}\n')),
    );
    expect(invalid).toEqual(['upsert Service default/b']);
    expect(registry.health().lastError).toBe('c1/b.yaml#1: metadata.name: required (expected a non-empty string)');

    const fixed = await harness.changesOf(() =>
      writeFile(join(harness.dir, 'b.yaml'), docs(service('b', 80), pod('b-1', '10.0.1.1'))),
    );
    expect(fixed).toEqual(['upsert Pod default/b-1']);
    expect(registry.health().lastError).toBeUndefined();
  });

  it('keeps the first copy of an object defined twice and falls back to the other when it goes', async () => {
    const registry = await harness.start();
    const duplicated = await harness.changesOf(() => writeFile(join(harness.dir, 'z.yaml'), pod('a-1', '10.9.9.9')));
    expect(duplicated).toEqual([]);
    expect(harness.podIp('a-1')).toBe('10.0.0.1');
    expect(registry.health().lastError).toBe(
      'c1/z.yaml#0: Pod default/a-1 is defined twice (first in c1/a.yaml#1); this copy is ignored',
    );
    const fallback = await harness.changesOf(() =>
      writeFile(join(harness.dir, 'a.yaml'), docs(service('a', 80), pod('a-2', '10.0.0.2'))),
    );
    expect(fallback).toEqual(['upsert Pod default/a-1']);
    expect(harness.podIp('a-1')).toBe('10.9.9.9');
    expect(registry.health().lastError).toBeUndefined();
  });
});

function podObject(name: string, ip: string): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName: 'n1' },
    status: { podIP: ip, phase: 'Running' },
  };
}

describe('FileRegistry resync and shared folders', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'meshpilot-file-registry-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('finds, on its periodic resync, a change no file event reported (a file behind a symlinked folder)', async () => {
    const harness = new Harness(root, { resyncMs: 100 });
    const target = join(root, 'target');
    await mkdir(harness.dir);
    await mkdir(target);
    await writeFile(join(target, 'p.yaml'), pod('p-1', '10.2.0.1'));
    await symlink(target, join(harness.dir, 'linked'));
    try {
      await harness.start();
      expect(harness.podIp('p-1')).toBe('10.2.0.1');
      // Written outside the watched tree: fs.watch says nothing, the resync's stat sees the file moved.
      await writeFile(join(target, 'p.yaml'), pod('p-1', '10.2.0.77'));
      await eventually(() => harness.podIp('p-1') === '10.2.0.77', 'the resync to read the changed file', 10_000);
      expect(harness.events.filter((c) => c.key === 'default/p-1').map((c) => c.op)).toEqual(['upsert', 'upsert']);
    } finally {
      await harness.stop();
    }
  });

  it('reports a missing folder and reads it once it exists', async () => {
    const harness = new Harness(root, { resyncMs: 100 });
    try {
      const registry = await harness.start();
      expect(registry.health().lastError).toBe(`manifests folder "${harness.dir}" does not exist`);
      await mkdir(harness.dir);
      await writeFile(join(harness.dir, 'p.yaml'), pod('p-1', '10.3.0.1'));
      await eventually(() => harness.podIp('p-1') === '10.3.0.1', 'the folder to be read', 10_000);
      await eventually(() => registry.health().lastError === undefined, 'the error to clear', 10_000);
    } finally {
      await harness.stop();
    }
  });

  it("reads a member kube cluster's folder once for its kube objects and its WorkloadEntries", async () => {
    const harness = new Harness(root);
    await mkdir(harness.dir);
    await writeFile(join(harness.dir, 'a.yaml'), docs(service('a', 80), pod('a-1', '10.0.0.1')));
    await writeFile(join(harness.dir, 'we.yaml'), workloadEntry('vm-1', '10.5.0.1'));
    const entries = new ManifestConfigSource({
      dir: harness.dir,
      logger,
      memberKubeCluster: 'c1',
      folders: harness.folders,
    });
    let configChanges = 0;
    try {
      await Promise.all([harness.start(), entries.start(() => (configChanges += 1))]);
      expect(await harness.folderStats()).toEqual({ fullReads: 1, filesRead: 2 });
      expect(entries.current().map((o) => `${o.kind} ${o.namespace}/${o.name} ${o.scope ?? ''}`)).toEqual([
        'WorkloadEntry default/vm-1 c1',
      ]);
      const atStart = configChanges;

      // A pod edit is no WorkloadEntry change.
      expect(
        await harness.changesOf(() =>
          writeFile(join(harness.dir, 'a.yaml'), docs(service('a', 80), pod('a-1', '10.0.0.5'))),
        ),
      ).toEqual(['upsert Pod default/a-1']);
      expect(configChanges).toBe(atStart);

      await writeFile(join(harness.dir, 'we.yaml'), workloadEntry('vm-1', '10.5.0.2'));
      await eventually(() => configChanges === atStart + 1, 'the WorkloadEntry change', 10_000);
      expect((entries.current()[0]?.object as { spec: { address: string } }).spec.address).toBe('10.5.0.2');
    } finally {
      await entries.stop();
      await harness.stop();
    }
  });
});
