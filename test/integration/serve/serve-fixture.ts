// Shared setup of the `timefs serve` client tests: a real source tree pushed twice with the CLI to
// a fresh repository on the test grid, then `timefs serve` started from the read cap alone.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createTestRepo, testNodeUrl } from '../../helpers/grid.js';
import { assertCapsQuiet } from '../../helpers/cli.js';

/** A served repository and the source it was pushed from. */
export interface ServedRepo {
  /** The server's base URL, ending in `/`. */
  url: string;
  /** The source tree (its state after the second push). */
  src: string;
  /** `src` as a path inside snapshots, without the leading slash. */
  inSnapshot: string;
  /** Every version of `notes.txt`, oldest first. */
  notesVersions: string[];
  /** A scratch directory removed at the end. */
  work: string;
  /** The cap the repository was served from (to check it never shows). */
  readCap: string;
  /** Environment for child processes (private HOME and XDG dirs). */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

const repoRoot = new URL('../../..', import.meta.url).pathname;

/** Runs the CLI from source synchronously; throws with its stderr when it fails. */
export function timefsSync(args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/run.ts'), ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assertCapsQuiet(args, r.stdout, r.stderr);
  if (r.status !== 0) throw new Error(`timefs ${args[0]} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Starts `timefs serve` with `args`; resolves with its URL once it listens. */
export function startServe(args: string[], env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/run.ts'), 'serve', '--port', '0', '--json', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => { stderr += b.toString(); });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => resolve({ url: (JSON.parse(line) as { url: string }).url, child, stderr: () => stderr }));
    child.once('exit', (code) => reject(new Error(`timefs serve exited ${code} before listening: ${stderr}`)));
  });
}

/** Stops a child process and waits for it. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Creates the source, pushes it twice (editing notes.txt in between) and serves the repository. */
export async function servedRepo(extraServeArgs: string[] = []): Promise<ServedRepo> {
  const work = mkdtempSync(join(tmpdir(), 'timefs-serve-it-'));
  const env = { ...process.env, HOME: join(work, 'home'), XDG_STATE_HOME: join(work, 'state'), XDG_CACHE_HOME: join(work, 'cache'), XDG_CONFIG_HOME: join(work, 'config'), RCLONE_CONFIG: '/dev/null' };
  const repo = await createTestRepo();
  const src = join(work, 'src');
  mkdirSync(join(src, 'docs', 'deep', 'er'), { recursive: true });
  mkdirSync(join(src, 'empty dir'));
  const notesVersions = ['first line\nsecond line\n', 'first line\nsecond line, edited\nthird line\n'];
  writeFileSync(join(src, 'docs', 'notes.txt'), notesVersions[0] as string);
  writeFileSync(join(src, 'docs', 'spaces & <special> #chars%.txt'), 'special\n');
  writeFileSync(join(src, 'docs', 'ünïcødé ☃.md'), '# snow\n');
  writeFileSync(join(src, 'docs', 'deep', 'er', 'random.bin'), Buffer.from(Array.from({ length: 700_000 }, (_, i) => (i * 2654435761) >>> 24)));
  writeFileSync(join(src, 'empty.txt'), '');
  const common = ['--node-url', testNodeUrl()];
  timefsSync(['push', '--repo', repo.rootCap, ...common, src], env);
  writeFileSync(join(src, 'docs', 'notes.txt'), notesVersions[1] as string);
  timefsSync(['push', '--repo', repo.rootCap, ...common, src], env);
  const { url, child } = await startServe(['--repo', repo.readCap, ...common, ...extraServeArgs], env);
  return {
    url, src, inSnapshot: src.slice(1), notesVersions, work, readCap: repo.readCap, env,
    async stop() {
      await stopChild(child);
      rmSync(work, { recursive: true, force: true });
    },
  };
}
