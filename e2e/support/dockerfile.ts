/**
 * Just enough of a Dockerfile and .dockerignore reader for e2e/compiled-build.test.ts, which lays out the
 * image's stages as directories on this machine (no Docker engine runs here) and runs the final one.
 */

export interface Instruction {
  readonly op: string;
  readonly args: string;
}

export interface Stage {
  readonly image: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** Stages in order; comments and blank lines dropped, `\` continuations joined. */
export function parseDockerfile(text: string): Stage[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    lines.push(pending + line);
    pending = '';
  }
  const stages: Stage[] = [];
  for (const line of lines) {
    const space = line.indexOf(' ');
    const op = line.slice(0, space).toUpperCase();
    const args = line.slice(space + 1).trim();
    if (op === 'FROM') {
      const [image = '', as, name] = args.split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (stage === undefined) throw new Error(`Dockerfile: ${op} before any FROM`);
      stage.instructions.push({ op, args });
    }
  }
  return stages;
}

export interface Copy {
  readonly from: string | undefined;
  readonly sources: string[];
  readonly destination: string;
}

/** A COPY's --from, sources and destination (shell form only). */
export function parseCopy(args: string): Copy {
  const words = args.split(/\s+/);
  let from: string | undefined;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift() ?? '';
    if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
  }
  const destination = words.pop();
  if (destination === undefined || words.length === 0) throw new Error(`COPY ${args}: no source or destination`);
  return { from, sources: words, destination };
}

/** An exec-form instruction's JSON array (ENTRYPOINT, CMD). */
export function execForm(args: string): string[] {
  const value = JSON.parse(args) as unknown;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error(`not an exec form: ${args}`);
  return value;
}

/**
 * Whether .dockerignore leaves `path` (relative to the context, `/`-separated) out: its patterns as Docker
 * reads them for the forms this repository uses (a path or its folder, `*` within a name, a leading `**\/`).
 */
export function dockerIgnored(patterns: readonly string[], path: string): boolean {
  const toRegExp = (glob: string): RegExp => {
    let source = '';
    for (let i = 0; i < glob.length; i += 1) {
      const char = glob[i] ?? '';
      if (glob.startsWith('**/', i)) {
        source += '(?:.*/)?';
        i += 2;
      } else if (char === '*') source += '[^/]*';
      else if (char === '?') source += '[^/]';
      else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    return new RegExp(`^${source}(?:/.*)?$`);
  };
  let ignored = false;
  for (const raw of patterns) {
    const pattern = raw.trim();
    if (pattern === '' || pattern.startsWith('#')) continue;
    const negated = pattern.startsWith('!');
    const glob = (negated ? pattern.slice(1) : pattern).replace(/^\/+/, '');
    if (toRegExp(glob).test(path)) ignored = !negated;
  }
  return ignored;
}
