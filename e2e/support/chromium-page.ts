import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Headless chromium (playwright-core driving the system's chromium) for the browser tests of /ui. */

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
// Into the git-ignored .cache/ of the repository: tests never write tracked files.
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../.cache/screenshots/', import.meta.url));

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ChromiumPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Page errors and console errors of `page` (and, with httpErrors, its answers of status 400 and up). */
  readonly problems: string[];
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Starts chromium with a fresh profile in a temp folder, and returns its first page. */
export async function openChromium(name: string, options: { httpErrors?: boolean } = {}): Promise<ChromiumPage> {
  const userDataDir = await mkdtemp(join(tmpdir(), `meshpilot-${name}-chromium-`));
  const close = async (context?: BrowserContext) => {
    await context?.close();
    await rm(userDataDir, { recursive: true, force: true });
  };
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1500, height: 900 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    if (options.httpErrors)
      page.on('response', (response) => {
        if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
      });
    const opened = context;
    return { context: opened, page, problems, close: () => close(opened) };
  } catch (error: unknown) {
    await close(context);
    throw error;
  }
}

/** The text of each cell (th and td) of the one row of `table` matching `text`. */
export async function cellsOf(table: Locator, text: string | RegExp): Promise<string[]> {
  const row = table.getByRole('row').filter({ hasText: text });
  await row.first().waitFor();
  expect(await row.count()).toBe(1);
  return (await row.locator('th, td').allInnerTexts()).map((t) => t.trim());
}
