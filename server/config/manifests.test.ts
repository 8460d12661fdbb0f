import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseManifestText, readManifestFolder, type ManifestParseCache } from './manifests.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'meshpilot-manifests-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeFiles(files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

const pod = (name: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name}, namespace: default, labels: { app: helloworld } }\n`;
const names = (objects: { kind: string; metadata: { name: string } }[]) =>
  objects.map((o) => `${o.kind}/${o.metadata.name}`);

describe('parseManifestText', () => {
  it('reads every document of a multi-document file and skips empty ones', () => {
    const text = `---\n${pod('p1')}---\n# only a comment\n---\n${pod('p2')}---\n`;
    const result = parseManifestText(text, 'pods.yaml');
    expect(result.errors).toEqual([]);
    expect(names(result.objects)).toEqual(['Pod/p1', 'Pod/p2']);
    expect(result.objects[0]?.metadata.labels).toEqual({ app: 'helloworld' });
  });

  it('flattens kind: List and fills apiVersion/kind for typed lists', () => {
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 's1' } },
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1' } },
      ],
    };
    const podList = {
      apiVersion: 'v1',
      kind: 'PodList',
      metadata: { resourceVersion: '7' },
      items: [{ metadata: { name: 'p2', namespace: 'default' } }],
    };
    const result = parseManifestText(`${JSON.stringify(list)}\n---\n${JSON.stringify(podList)}\n`, 'lists.yaml');
    expect(result.errors).toEqual([]);
    expect(names(result.objects)).toEqual(['Service/s1', 'Pod/p1', 'Pod/p2']);
    expect(result.objects[2]).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p2', namespace: 'default' },
    });
  });

  it('reports bad documents with file#index and the field, keeping the good ones', () => {
    const text = [
      pod('good'),
      'apiVersion: v1\nkind: Pod\nmetadata: { namespace: default }\n',
      '- just\n- a list\n',
      'kind: Pod\nmetadata: { name: 5, labels: { version: 2 } }\n',
      'apiVersion: v1\nkind: List\nitems:\n  - { apiVersion: v1, kind: Pod, metadata: { name: ok } }\n  - { apiVersion: v1, kind: Pod }\n',
    ].join('---\n');
    const result = parseManifestText(text, 'cluster-a/pods.yaml');
    expect(names(result.objects)).toEqual(['Pod/good', 'Pod/ok']);
    expect(result.errors.map((e) => `${e.path}: ${e.message} [${e.code}]`)).toEqual([
      'cluster-a/pods.yaml#1: metadata.name: required (expected a non-empty string) [MESHPILOT_ERR_MANIFEST_INVALID_OBJECT]',
      'cluster-a/pods.yaml#2: (document): expected a mapping (a Kubernetes object), got a list [MESHPILOT_ERR_MANIFEST_INVALID_OBJECT]',
      'cluster-a/pods.yaml#3: apiVersion: required (expected a non-empty string) [MESHPILOT_ERR_MANIFEST_INVALID_OBJECT]',
      'cluster-a/pods.yaml#3: metadata.name: expected a non-empty string, got 5 [MESHPILOT_ERR_MANIFEST_INVALID_OBJECT]',
      'cluster-a/pods.yaml#3: metadata.labels.version: expected a string (quote numbers and booleans), got 2 [MESHPILOT_ERR_MANIFEST_INVALID_OBJECT]',
      'cluster-a/pods.yaml#4: items[1].metadata: required (expected a mapping with name) [MESHPILOT_ERR_MANIFEST_INVALID_OBJECT]',
    ]);
  });

  it('reports YAML syntax errors with line and column and goes on with the next document', () => {
    const result = parseManifestText(`${pod('p1')}---\nkind: [Pod\n---\n${pod('p3')}`, 'x.yaml');
    expect(names(result.objects)).toEqual(['Pod/p1', 'Pod/p3']);
    expect(result.errors.length).toBeGreaterThan(0);
    expect(result.errors.every((e) => e.path === 'x.yaml#1' && e.code === 'MESHPILOT_ERR_MANIFEST_YAML')).toBe(true);
    expect(result.errors[0]?.message).toMatch(/^YAML syntax error at line \d+, column \d+: /);
  });
});

describe('readManifestFolder', () => {
  it('reads yaml, yml and json files recursively in sorted order, skipping other and hidden files', async () => {
    await writeFiles({
      'b.yaml': pod('from-b'),
      'a.yml': pod('from-a'),
      'sub/c.json': JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'from-c' } }),
      'sub/z/d.YAML': pod('from-d'),
      'notes.txt': 'not a manifest',
      '.hidden.yaml': pod('hidden'),
      '..data/e.yaml': pod('configmap-copy'),
    });
    const result = await readManifestFolder(root);
    expect(result.errors).toEqual([]);
    expect(names(result.objects)).toEqual(['Pod/from-a', 'Pod/from-b', 'Service/from-c', 'Pod/from-d']);
  });

  it('follows symlinked files (as in ConfigMap mounts) and does not loop on symlinked folders', async () => {
    await writeFiles({ 'real/p.yaml': pod('p') });
    await mkdir(join(root, 'folder'));
    await symlink(join(root, 'real', 'p.yaml'), join(root, 'folder', 'link.yaml'));
    await symlink(join(root, 'folder'), join(root, 'folder', 'loop'));
    const result = await readManifestFolder(join(root, 'folder'));
    expect(result.errors).toEqual([]);
    expect(names(result.objects)).toEqual(['Pod/p']);
  });

  it('names errors by folder name, relative file and document index', async () => {
    await writeFiles({
      'cluster-a/nested/pods.yaml': `${pod('ok')}---\n${pod('ok2')}---\napiVersion: v1\nkind: Pod\nmetadata: {}\n`,
    });
    const result = await readManifestFolder(join(root, 'cluster-a'));
    expect(result.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'cluster-a/nested/pods.yaml#2: metadata.name: required (expected a non-empty string)',
    ]);
    const labelled = await readManifestFolder(join(root, 'cluster-a'), { errorPrefix: 'examples/a' });
    expect(labelled.errors[0]?.path).toBe('examples/a/nested/pods.yaml#2');
  });

  it('reports an object defined twice and keeps the first copy', async () => {
    await writeFiles({
      'm/a.yaml': pod('p'),
      'm/b.yaml': `${pod('other')}---\n${pod('p').replace('labels: { app: helloworld }', 'labels: { app: copy }')}`,
    });
    const result = await readManifestFolder(join(root, 'm'));
    expect(names(result.objects)).toEqual(['Pod/p', 'Pod/other']);
    expect(result.objects[0]?.metadata.labels).toEqual({ app: 'helloworld' });
    expect(result.errors).toEqual([
      {
        path: 'm/b.yaml#1',
        message: 'Pod default/p is defined twice (first in m/a.yaml#0); this copy is ignored',
        code: 'MESHPILOT_ERR_MANIFEST_DUPLICATE_OBJECT',
      },
    ]);
  });

  it('reports a missing folder or a file given as folder', async () => {
    const missing = await readManifestFolder(join(root, 'nope'));
    expect(missing.errors.map((e) => [e.code, e.message])).toEqual([
      ['MESHPILOT_ERR_MANIFEST_FOLDER', `manifests folder "${join(root, 'nope')}" does not exist`],
    ]);
    await writeFiles({ 'f.yaml': pod('p') });
    const file = await readManifestFolder(join(root, 'f.yaml'));
    expect(file.errors.map((e) => e.code)).toEqual(['MESHPILOT_ERR_MANIFEST_FOLDER']);
  });
});

describe('readManifestFolder with a parse cache', () => {
  it('parses again only the files whose text changed, and forgets removed files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshpilot-manifest-cache-'));
    try {
      const pod = (name: string) => `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name}, namespace: default }\n`;
      await writeFile(join(dir, 'a.yaml'), pod('a'));
      await writeFile(join(dir, 'b.yaml'), pod('b'));
      const cache: ManifestParseCache = new Map();
      const first = await readManifestFolder(dir, { cache });
      await writeFile(join(dir, 'b.yaml'), pod('b2'));
      const second = await readManifestFolder(dir, { cache });
      expect(second.objects[0]).toBe(first.objects[0]);
      expect(second.objects.map((o) => o.metadata.name)).toEqual(['a', 'b2']);
      await rm(join(dir, 'a.yaml'));
      const third = await readManifestFolder(dir, { cache });
      expect(third.objects.map((o) => o.metadata.name)).toEqual(['b2']);
      expect([...cache.keys()].map((f) => f.slice(dir.length + 1))).toEqual(['b.yaml']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
