// `timefs log`, `find` and `diff` against a generated history on the real grid, compared with a
// brute-force reference computed from saved copies of every state; with and without indexes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testNodeUrl } from '../../helpers/grid.js';
import { describeTree, referenceDiff, referenceFind, referenceLog, type RefState } from '../../helpers/history-reference.js';
import { TahoeStore } from '../../../src/store/tahoe/tahoe-store.js';
import { assertCapsQuiet } from '../../helpers/cli.js';

const home = mkdtempSync(join(tmpdir(), 'timefs-history-'));
after(() => rmSync(home, { recursive: true, force: true }));
const src = join(home, 'src');
const latin1Name = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74]); // "caf\xe9.txt"

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let repoArgs: string[] = [];
function timefs(...args: string[]): Run {
  const env = { ...process.env, XDG_CACHE_HOME: join(home, 'cache'), XDG_STATE_HOME: join(home, 'state'), HOME: home };
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args, ...repoArgs], { env, encoding: 'utf8' });
  assertCapsQuiet(args, r.stdout, r.stderr);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function json<T>(...args: string[]): T {
  const r = timefs(...args, '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

const bigFile = (seed: number): Buffer => Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7 + seed * (i >> 12)) & 0xff));

/** Each step edits the source tree; after each, a push and a saved copy. */
const steps: Array<() => void> = [
  () => {
    mkdirSync(join(src, 'docs'), { recursive: true });
    mkdirSync(join(src, 'dir2'));
    writeFileSync(join(src, 'a.txt'), 'one\n');
    writeFileSync(join(src, 'b.txt'), 'bee\n');
    writeFileSync(join(src, 'docs', 'c.txt'), 'sea\n');
    writeFileSync(join(src, 'docs', 'big.bin'), bigFile(1));
    writeFileSync(join(src, 'dir2', 'e.txt'), 'e\n');
    writeFileSync(Buffer.concat([Buffer.from(`${src}/`), latin1Name]), 'latin\n');
    symlinkSync('a.txt', join(src, 'l'));
  },
  () => {
    writeFileSync(join(src, 'a.txt'), 'two\n');
    chmodSync(join(src, 'b.txt'), 0o600);
    writeFileSync(join(src, 'docs', 'new.txt'), 'new\n');
    writeFileSync(join(src, 'docs', 'big.bin'), bigFile(2));
  },
  () => {
    unlinkSync(join(src, 'a.txt'));
    renameSync(join(src, 'docs', 'c.txt'), join(src, 'docs', 'c2.txt'));
    rmSync(join(src, 'dir2'), { recursive: true });
    writeFileSync(join(src, 'dir2'), 'now a file\n');
    writeFileSync(join(src, 'docs', 'big.bin'), bigFile(3));
  },
  () => {
    writeFileSync(join(src, 'a.txt'), 'one\n');
    unlinkSync(join(src, 'l'));
    symlinkSync('b.txt', join(src, 'l'));
    unlinkSync(join(src, 'dir2'));
    mkdirSync(join(src, 'dir2'));
    writeFileSync(join(src, 'dir2', 'e.txt'), 'e again\n');
    utimesSync(join(src, 'b.txt'), new Date('2009-01-09T01:49:00Z'), new Date('2009-01-09T01:49:00Z'));
  },
  () => {
    appendFileSync(Buffer.concat([Buffer.from(`${src}/`), latin1Name]), 'more\n');
    rmSync(join(src, 'docs', 'new.txt'));
    mkdirSync(join(src, 'docs', 'new.txt'));
    writeFileSync(join(src, 'docs', 'new.txt', 'inside'), 'x');
    writeFileSync(join(src, 'docs', 'big.bin'), bigFile(4));
  },
];

const states: RefState[] = [];
let names: string[] = [];

function rel(path: string, rawPath?: string): string {
  const bytes = rawPath ? Buffer.from(rawPath, 'base64') : Buffer.from(path, 'utf8');
  return bytes.toString('latin1').slice(src.length + 1);
}

interface LogJson { versions: Array<{ change: string; first: string; last: string; snapshots: number; deletedIn?: string }>; sources: { indexed: number; fromTrees: number } }
interface FindJson { matches: Array<{ path: string; rawPath?: string; runs: Array<{ first: string; last: string; snapshots: number }> }>; sources: { indexed: number } }
interface DiffJson { changes: Array<{ kind: string; path: string; rawPath?: string }>; sources: { indexed: number } }

function logRows(path: string, ...flags: string[]): { rows: unknown[]; sources: LogJson['sources'] } {
  const out = json<LogJson>('log', `${src}/${path}`, ...flags);
  return { rows: out.versions.map((v) => [v.change, v.first, v.last, v.snapshots, v.deletedIn]), sources: out.sources };
}

function diffLines(a: string, b: string, ...flags: string[]): string[] {
  const out = json<DiffJson>('diff', a, b, src, ...flags);
  return out.changes.map((c) => `${c.kind} ${rel(c.path, c.rawPath)}`).sort();
}

describe('log, find and diff on a generated history (real grid)', () => {
  before(async () => {
    const store = new TahoeStore({ nodeUrl: testNodeUrl() });
    repoArgs = ['--repo', await store.mkdirMutable(), '--node-url', testNodeUrl()];
    assert.equal(timefs('init').code, 0);
    for (const [i, step] of steps.entries()) {
      step();
      const r = timefs('push', src);
      assert.equal(r.code, 0, r.stderr);
      const copy = join(home, `state${i}`);
      assert.equal(spawnSync('cp', ['-a', src, copy]).status, 0);
      states.push(describeTree(Buffer.from(copy)));
      spawnSync('sleep', ['1.1']);
    }
    names = json<Array<{ name: string }>>('snapshots').map((s) => s.name);
    assert.equal(names.length, steps.length);
  });

  it('log agrees with the reference for every path ever seen, from indexes and from trees', () => {
    const paths = new Set(states.flatMap((s) => [...s.keys()]));
    for (const path of ['a.txt', 'b.txt', 'l', 'dir2', 'docs/new.txt', 'docs/big.bin', latin1Name.toString('latin1')]) assert.ok(paths.has(path), path);
    const checked = new Set<string>();
    // A directory's log holds the history of each of its entries: every path is in some parent's.
    for (const dir of ['', 'docs', 'dir2', 'docs/new.txt']) {
      for (const flags of dir === '' ? [[], ['--no-index']] : [[]]) {
        const out = json<LogJson & { entries: Array<{ name: string; rawName?: string; versions: LogJson['versions'] }> }>('log', dir ? `${src}/${dir}` : src, ...flags);
        assert.deepEqual(out.sources, flags.length ? { indexed: 0, fromTrees: steps.length } : { indexed: steps.length, fromTrees: 0 });
        for (const entry of out.entries) {
          const name = (entry.rawName ? Buffer.from(entry.rawName, 'base64') : Buffer.from(entry.name, 'utf8')).toString('latin1');
          const path = dir ? `${dir}/${name}` : name;
          const rows = entry.versions.map((v) => [v.change, v.first, v.last, v.snapshots, v.deletedIn]);
          assert.deepEqual(rows, referenceLog(states, names, path), `log ${path} ${flags.join(' ')}`);
          checked.add(path);
        }
      }
    }
    assert.deepEqual([...checked].sort(), [...paths].sort());
  });

  it('log takes a non-UTF-8 path as exact bytes', () => {
    // The path's bytes go through the shell: Node's spawn would pass text only.
    const script = `exec "$NODE" --import tsx src/cli/run.ts log "$(printf '%s/caf\\351.txt' "$SRC")" --json --repo "$REPO" --node-url "$NODE_URL"`;
    const r = spawnSync('bash', ['-c', script], { env: { ...process.env, NODE: process.execPath, SRC: src, REPO: repoArgs[1], NODE_URL: repoArgs[3], XDG_CACHE_HOME: join(home, 'cache'), HOME: home } });
    assertCapsQuiet(['log'], r.stdout, r.stderr);
    assert.equal(r.status, 0, r.stderr.toString());
    const out = JSON.parse(r.stdout.toString()) as LogJson;
    assert.deepEqual(out.versions.map((v) => [v.change, v.first, v.last, v.snapshots, v.deletedIn]), referenceLog(states, names, latin1Name.toString('latin1')));
  });

  it('find "*.txt" agrees with the reference, grouped by path with snapshot runs', () => {
    const expected = referenceFind(states, names, (name) => name.toString('latin1').endsWith('.txt'));
    for (const flags of [[], ['--no-index']]) {
      const out = json<FindJson>('find', '*.txt', ...flags);
      const got = new Map(out.matches.map((m) => [rel(m.path, m.rawPath), m.runs.map((r) => [r.first, r.last, r.snapshots])]));
      assert.deepEqual(got, expected, `find ${flags.join(' ')}`);
    }
  });

  it('diff agrees with the reference between any two snapshots', () => {
    for (const [i, j] of [[0, 1], [1, 2], [2, 3], [3, 4]] as const) {
      assert.deepEqual(diffLines(names[i]!, names[j]!), referenceDiff(states[i]!, states[j]!), `diff ${i} ${j}`);
    }
    assert.deepEqual(diffLines(names[1]!, names[3]!, '--no-index'), referenceDiff(states[1]!, states[3]!));
    const text = timefs('diff', names[0]!, names[1]!, src, '--content');
    assert.match(text.stdout, /^M +.*\/a\.txt$/m);
    assert.match(text.stdout, /^-one$\n^\+two$/m);
  });

  it('diff --live compares the last snapshot with the tree edited after the push', () => {
    writeFileSync(join(src, 'b.txt'), 'changed on disk\n');
    writeFileSync(join(src, 'fresh.txt'), 'fresh\n');
    rmSync(join(src, 'docs', 'c2.txt'));
    chmodSync(join(src, 'docs', 'big.bin'), 0o640);
    const expected = referenceDiff(states.at(-1)!, describeTree(Buffer.from(src)));
    assert.ok(expected.includes('modified b.txt') && expected.includes('metadata docs/big.bin'));
    const out = json<DiffJson>('diff', 'latest', '--live', src);
    assert.deepEqual(out.changes.map((c) => `${c.kind} ${rel(c.path, c.rawPath)}`).sort(), expected);
    const rehash = json<DiffJson>('diff', 'latest', '--live', src, '--rehash');
    assert.deepEqual(rehash.changes.map((c) => `${c.kind} ${rel(c.path, c.rawPath)}`).sort(), expected);
  });
});
