import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AdsStream, SubscriptionCache } from './ads-stream.ts';
import { nowMs, sleep } from './clock.ts';
import { CDS_TYPE, EDS_TYPE } from './proto-wire.ts';
import { sidecarNode, VIEWS } from './views.ts';

/**
 * Captures meshpilot's initial DiscoveryResponses once per proxy view (one recording stream per
 * view), so the baseline server can replay exactly those bytes.
 */

export interface RecordedView {
  readonly key: string;
  /** Raw DiscoveryResponse messages, in the order meshpilot sent them until the initial push was complete. */
  readonly cds: Buffer[];
  readonly eds: Buffer[];
}

interface RecordingIndex {
  readonly views: { key: string; cds: string[]; eds: string[] }[];
}

/** Sidecar indices of recording streams: far above any load-client index. */
const RECORDER_FIRST_INDEX = 60_000;

export async function recordViews(port: number, timeoutMs: number): Promise<RecordedView[]> {
  const subscriptions = new SubscriptionCache();
  const recorded: RecordedView[] = [];
  for (const [v, view] of VIEWS.entries()) {
    const cds: Buffer[] = [];
    const eds: Buffer[] = [];
    const stream = new AdsStream({
      host: '127.0.0.1',
      port,
      node: sidecarNode(RECORDER_FIRST_INDEX + v, view),
      tracked: new Set(),
      keepNames: false,
      subscriptions,
      onResponse: (response, raw) => {
        if (stream.initialDoneAt !== undefined) return;
        if (response.typeUrl === CDS_TYPE) cds.push(Buffer.from(raw));
        else if (response.typeUrl === EDS_TYPE) eds.push(Buffer.from(raw));
      },
    });
    try {
      await stream.connect(timeoutMs);
      stream.start();
      const deadline = nowMs() + timeoutMs;
      for (
        let poll = 0;
        poll < 100_000 && stream.initialDoneAt === undefined && stream.failure === undefined && nowMs() < deadline;
        poll += 1
      )
        await sleep(20);
      if (stream.initialDoneAt === undefined)
        throw new Error(
          `recording view ${view.key} failed: ${stream.failure ?? `no complete initial push within ${timeoutMs} ms`}`,
        );
      recorded.push({ key: view.key, cds, eds });
    } finally {
      stream.close();
    }
  }
  return recorded;
}

export async function saveRecording(dir: string, views: readonly RecordedView[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const index: RecordingIndex = { views: [] };
  for (const [v, view] of views.entries()) {
    const files = { key: view.key, cds: [] as string[], eds: [] as string[] };
    for (const kind of ['cds', 'eds'] as const) {
      for (const [i, message] of view[kind].entries()) {
        const name = `view-${v}-${kind}-${i}.bin`;
        await writeFile(join(dir, name), message);
        files[kind].push(name);
      }
    }
    index.views.push(files);
  }
  await writeFile(join(dir, 'index.json'), JSON.stringify(index, null, 2));
}

export async function loadRecording(dir: string): Promise<RecordedView[]> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as RecordingIndex;
  return Promise.all(
    index.views.map(async (view) => ({
      key: view.key,
      cds: await Promise.all(view.cds.map((name) => readFile(join(dir, name)))),
      eds: await Promise.all(view.eds.map((name) => readFile(join(dir, name)))),
    })),
  );
}
