import type { ClientName } from './clients.ts';

/**
 * One row of the interop matrix: a mesh set up once, then one cell per client. A cell throws when the client
 * fails the scenario; "not supported" is a cell's observed result backed by the client's documented feature set.
 */
export interface Scenario {
  readonly name: string;
  setup(): Promise<ScenarioRun>;
}

export interface ScenarioRun {
  /**
   * Runs the scenario for one client; reports the client's version once it started. Resolves with `notSupported`
   * only when the client was observed lacking the feature its documentation says it lacks.
   */
  cell(client: ClientName, version: (version: string) => void): Promise<void | { notSupported: string }>;
  stop(): Promise<void>;
}

/** Polls `check` until it returns true (bounded in attempts and time). */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 200 && Date.now() < deadline; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
