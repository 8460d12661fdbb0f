import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { errorMessage } from '../../common/error-message.ts';
import { ManifestErrorCode, errnoCode } from './config-error.ts';
import { FolderWatcher, type FolderEvents, type FolderWatcherOptions } from './folder-watcher.ts';
import { isManifestFileName, manifestFilesOf, parseLocated, type LocatedObjects } from './manifests.ts';

/** One manifest file as last read. */
export interface ManifestFile {
  /** Absolute path. */
  readonly path: string;
  /** The path under the folder, '/'-separated: its objects' and errors' paths are `<relative>#<document>`. */
  readonly relative: string;
  /** Sorts files as a full read visits them: each folder's entries by name, depth first. */
  readonly order: string;
  /** undefined when the file could not be read (its error is in `parsed.errors`). */
  readonly text: string | undefined;
  readonly parsed: LocatedObjects;
}

/** A file added (no `before`), changed, or removed (no `after`). */
export interface FileChange {
  readonly path: string;
  readonly before?: ManifestFile;
  readonly after?: ManifestFile;
}

export type FolderListener = (changes: readonly FileChange[]) => void;

/** What the file looked like when it was read; a resync reads it again only when this moved. */
interface Stamp {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino: number;
  readonly readAt: number;
}

/**
 * A write this close before the read may share its timestamp with a later write of the same size
 * (coarse filesystem clocks), so such a file's stamp is not trusted (git's "racy" files).
 */
const RACY_MS = 2_000;
/** As manifestFilesOf: folders deeper than this are not read. */
const MAX_SEGMENTS = 33;

function stampOf(info: Stats, readAt: number): Stamp {
  return { size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino, readAt };
}

function unchanged(stamp: Stamp, info: Stats): boolean {
  return (
    stamp.size === info.size &&
    stamp.mtimeMs === info.mtimeMs &&
    stamp.ctimeMs === info.ctimeMs &&
    stamp.ino === info.ino &&
    stamp.mtimeMs < stamp.readAt - RACY_MS
  );
}

function isMissing(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * A watched folder of manifests, read incrementally: the files fs.watch names are read again (a named
 * folder: the files under it, stat first), every file's stamp is checked on the periodic resync (and on
 * a watcher error or overflow), and a file is parsed again only when its text changed. Listeners get the
 * files whose content changed. One instance serves every reader of the folder (ManifestFolders).
 */
export class ManifestFolder {
  readonly dir: string;
  private readonly options: FolderWatcherOptions;
  private readonly files = new Map<string, { file: ManifestFile; stamp: Stamp }>();
  private sorted: readonly ManifestFile[] | undefined;
  private readonly listeners = new Set<FolderListener>();
  private folderError: string | undefined;
  private watchError: string | undefined;
  private watcher: FolderWatcher | undefined;
  private started: Promise<void> | undefined;
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Full listings and files read so far (tests check that a folder is read once for all its readers). */
  readonly stats = { fullReads: 0, filesRead: 0 };

  constructor(dir: string, options: FolderWatcherOptions = {}) {
    this.dir = dir;
    this.options = options;
  }

  /** Reads the folder once and starts watching it; resolves after that first read. Idempotent. */
  start(): Promise<void> {
    this.started ??= this.begin();
    return this.started;
  }

  private async begin(): Promise<void> {
    // Watching first, so nothing written during the first read is missed; reads are queued one after another.
    this.watcher = new FolderWatcher(
      this.dir,
      (events) => this.enqueue(events),
      this.options,
      (message) => {
        this.watchError = message;
      },
    );
    this.watcher.start();
    await this.enqueue({ full: true, names: new Set() });
  }

  private enqueue(events: FolderEvents): Promise<void> {
    const next = this.reading.then(() => (this.stopped ? undefined : this.read(events)));
    this.reading = next.catch(() => {});
    return next;
  }

  /** Every file, in the order a full read visits them. */
  current(): readonly ManifestFile[] {
    this.sorted ??= [...this.files.values()]
      .map((entry) => entry.file)
      .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    return this.sorted;
  }

  /** Why the folder (not one file) cannot be read or watched, if it cannot. */
  problem(): string | undefined {
    return this.folderError ?? this.watchError;
  }

  /** Calls `listener` with each batch of changed files after this call; returns the unsubscribe. */
  subscribe(listener: FolderListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Calls `listener` at once with every file read so far (each as added), then with each batch of changed
   * files: both in the same turn, so no change falls between them. Returns the unsubscribe.
   */
  follow(listener: FolderListener): () => void {
    const unsubscribe = this.subscribe(listener);
    listener(this.current().map((file) => ({ path: file.path, after: file })));
    return unsubscribe;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listeners.clear();
    await this.watcher?.stop();
    await this.reading;
  }

  private async read(events: FolderEvents): Promise<void> {
    const changes: FileChange[] = [];
    try {
      if (events.full || !(await this.readNamed(events.names, changes))) await this.readAll(changes);
    } finally {
      // What was read before a failure is passed on too: listeners stay in step with `files`.
      if (changes.length > 0 && !this.stopped) for (const listener of this.listeners) listener(changes);
    }
  }

  private async readAll(changes: FileChange[]): Promise<void> {
    this.stats.fullReads += 1;
    let paths: string[] = [];
    try {
      const info = await stat(this.dir);
      if (!info.isDirectory()) throw new NotAFolder();
      paths = await manifestFilesOf(this.dir);
      this.folderError = undefined;
      if (this.watcher?.watching() === true) this.watchError = undefined;
    } catch (error: unknown) {
      const reason =
        error instanceof NotAFolder
          ? 'is not a folder'
          : isMissing(error)
            ? 'does not exist'
            : `cannot be read: ${errorMessage(error)}`;
      this.folderError = `manifests folder "${this.dir}" ${reason}`;
    }
    const present = new Set(paths);
    for (const path of [...this.files.keys()]) if (!present.has(path)) this.remove(path, changes);
    for (const path of paths) await this.readFile(path, changes, true);
  }

  /** Reads what the events name; false when only a full read can tell what changed. */
  private async readNamed(names: ReadonlySet<string>, changes: FileChange[]): Promise<boolean> {
    const targets = new Set<string>();
    for (const name of names) {
      const segments = name.split(/[\\/]/).filter((s) => s !== '' && s !== '.');
      if (segments.length === 0 || segments.includes('..')) return false;
      if (segments.length > MAX_SEGMENTS) continue;
      const path = join(this.dir, ...segments);
      if (segments.some((s) => s.startsWith('.'))) {
        // An editor's temp file is skipped; a dot-folder (a ConfigMap's ..data swapped under its
        // symlinks) changes what other paths show, which only a full read finds.
        if ((await stat(path).catch(() => undefined))?.isDirectory() === true) return false;
        continue;
      }
      targets.add(path);
    }
    for (const path of targets) await this.readPath(path, changes);
    return true;
  }

  private async readPath(path: string, changes: FileChange[]): Promise<void> {
    let info: Stats | undefined;
    try {
      info = await stat(path);
    } catch (error: unknown) {
      if (!isMissing(error)) throw error;
    }
    if (info?.isDirectory() !== true) this.removeUnder(path, new Set(), changes);
    if (info === undefined) {
      this.remove(path, changes);
    } else if (info.isDirectory()) {
      // A folder created, moved in or out, or renamed: what it holds now, each file read only if its stamp moved.
      const listed = await manifestFilesOf(path).catch((error: unknown) => {
        if (isMissing(error)) return [];
        throw error;
      });
      this.removeUnder(path, new Set(listed), changes);
      for (const file of listed) await this.readFile(file, changes, true);
    } else if (isManifestFileName(basename(path))) {
      await this.readFile(path, changes, false);
    }
  }

  private removeUnder(folder: string, keep: ReadonlySet<string>, changes: FileChange[]): void {
    const prefix = folder + sep;
    for (const path of [...this.files.keys()])
      if (path.startsWith(prefix) && !keep.has(path)) this.remove(path, changes);
  }

  private remove(path: string, changes: FileChange[]): void {
    const known = this.files.get(path);
    if (known === undefined) return;
    this.files.delete(path);
    this.sorted = undefined;
    changes.push({ path, before: known.file });
  }

  /** Reads one file; `trustStamp`: skip it when its size, times and inode did not move since the last read. */
  private async readFile(path: string, changes: FileChange[], trustStamp: boolean): Promise<void> {
    const known = this.files.get(path);
    const readAt = Date.now();
    let stamp: Stamp;
    let text: string | undefined;
    let failure: string | undefined;
    try {
      const info = await stat(path);
      if (!info.isFile()) return this.remove(path, changes);
      if (trustStamp && known !== undefined && unchanged(known.stamp, info)) return;
      stamp = stampOf(info, readAt);
      text = await readFile(path, 'utf8');
    } catch (error: unknown) {
      if (isMissing(error)) return this.remove(path, changes);
      failure = `cannot read the file: ${errorMessage(error)}`;
      stamp = { size: -1, mtimeMs: -1, ctimeMs: -1, ino: -1, readAt };
    }
    this.stats.filesRead += 1;
    if (known !== undefined && text !== undefined && known.file.text === text) {
      this.files.set(path, { file: known.file, stamp });
      return;
    }
    const relativeName = relative(this.dir, path).split(sep).join('/');
    const parsed: LocatedObjects =
      text !== undefined
        ? parseLocated(text, relativeName)
        : { located: [], errors: [{ path: relativeName, message: failure ?? '', code: ManifestErrorCode.read }] };
    const file: ManifestFile = {
      path,
      relative: relativeName,
      order: relativeName.split('/').join('\0'),
      text,
      parsed,
    };
    this.files.set(path, { file, stamp });
    this.sorted = undefined;
    changes.push({ path, ...(known !== undefined ? { before: known.file } : {}), after: file });
  }
}

class NotAFolder extends Error {}

/**
 * The manifest folders of one meshpilot, each read and watched once however many sources read it
 * (a member kube cluster's folder holds its kube objects and its WorkloadEntries).
 */
export class ManifestFolders {
  private readonly options: FolderWatcherOptions;
  private readonly folders = new Map<string, { folder: ManifestFolder; users: number }>();

  constructor(options: FolderWatcherOptions = {}) {
    this.options = options;
  }

  acquire(dir: string): ManifestFolder {
    const key = resolve(dir);
    const entry = this.folders.get(key) ?? { folder: new ManifestFolder(dir, this.options), users: 0 };
    entry.users += 1;
    this.folders.set(key, entry);
    return entry.folder;
  }

  /** Stops the folder once its last reader released it. */
  async release(folder: ManifestFolder): Promise<void> {
    const key = resolve(folder.dir);
    const entry = this.folders.get(key);
    if (entry === undefined || entry.folder !== folder) return;
    entry.users -= 1;
    if (entry.users > 0) return;
    this.folders.delete(key);
    await folder.stop();
  }
}
