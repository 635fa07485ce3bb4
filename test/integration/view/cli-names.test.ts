import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestRepo } from '../../helpers/grid.js';
import { assertCapsQuiet } from '../../helpers/cli.js';

const root = resolve(import.meta.dirname, '../../..');
const base = mkdtempSync(join(tmpdir(), 'timefs-cli-names-'));
after(() => rmSync(base, { recursive: true, force: true }));

/** Names that Node's argv decoding and line-based output would break. */
const LATIN1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "caf\xe9"
const NEWLINE = Buffer.from('new\nline');
const src = join(base, 'src');
const srcBytes = (name: Buffer): Buffer => Buffer.concat([Buffer.from(`${src}/`), name]);

/** Runs a shell line with `timefs` on PATH (the built CLI, as installed) and the repository in $REPO. */
function sh(line: string, env: Record<string, string>): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync('bash', ['-c', line], { cwd: base, env: { ...process.env, ...env, PATH: `${join(base, 'bin')}:${process.env.PATH}` } });
  assertCapsQuiet(['(shell)'], r.stdout, r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

describe('names that are not UTF-8 or hold a newline, through the command line (grid)', () => {
  let env: Record<string, string>;

  before(async () => {
    const repo = await createTestRepo();
    mkdirSync(join(base, 'bin'));
    writeFileSync(join(base, "bin", "timefs"), `#!/bin/sh\nexec "${process.execPath}" "${join(root, "bin/timefs.js")}" "$@"\n`);
    chmodSync(join(base, 'bin', 'timefs'), 0o755);
    mkdirSync(src);
    writeFileSync(srcBytes(LATIN1), 'latin-1 name\n');
    writeFileSync(srcBytes(NEWLINE), 'newline name\n');
    env = { REPO: repo.rootCap, TIMEFS_NODE_URL: repo.nodeUrl, XDG_STATE_HOME: join(base, 'state'), XDG_CACHE_HOME: join(base, 'cache'), HOME: base, SRC: src };
    const push = sh('timefs push --repo "$REPO" "$SRC"', env);
    assert.equal(push.status, 0, push.stderr);
  });

  it('cat takes the exact bytes of its PATH argument', () => {
    const r = sh(`timefs cat --repo "$REPO" latest "$SRC/$(printf 'caf\\351')"`, env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'latin-1 name\n');
    const nl = sh(`timefs cat --repo "$REPO" latest "$SRC/$(printf 'new\\nline')"`, env);
    assert.equal(nl.stdout.toString(), 'newline name\n', nl.stderr);
  });

  it('find -exec timefs cat reaches every name', () => {
    const r = sh('find "$SRC" -type f -exec timefs cat --repo "$REPO" latest {} \\;', env);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.toString().split('\n').filter(Boolean).sort(), ['latin-1 name', 'newline name']);
  });

  it('ls quotes both names as GNU ls does, one line each, and --json carries the raw bytes', () => {
    const r = sh('timefs ls --repo "$REPO" latest "$SRC" | cat', env);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.toString().trimEnd().split('\n');
    assert.equal(lines.length, 2, r.stdout.toString());
    const ours = lines.map((l) => l.slice(l.lastIndexOf(':') + 4)).sort();
    const gnu = sh('LC_ALL=C.UTF-8 ls --quoting-style=shell-escape "$SRC"', env).stdout.toString().trimEnd().split('\n').sort();
    assert.deepEqual(ours, gnu);
    assert.deepEqual(ours, ["'caf'$'\\351'", "'new'$'\\n''line'"]);
    const json = JSON.parse(sh('timefs ls --repo "$REPO" --json latest "$SRC"', env).stdout.toString()) as { entries: Array<{ name: string; rawName?: string }> };
    const raw = json.entries.map((e) => (e.rawName === undefined ? Buffer.from(e.name) : Buffer.from(e.rawName, 'base64')));
    assert.deepEqual(raw.map((b) => b.toString('hex')).sort(), [LATIN1, NEWLINE].map((b) => b.toString('hex')).sort());
  });

  it('a local path that is not UTF-8 (push source) is refused with a clear message, not taken for another path', () => {
    const r = sh(`timefs push --repo "$REPO" "$SRC/$(printf 'caf\\351')"`, env);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /source .*'caf'\$'\\351' is not valid UTF-8/);
    assert.ok(!r.stderr.includes('    at '));
  });

  it('restore SNAPSHOT:PATH takes exact bytes and restores exact names', () => {
    for (const [i, printf] of [[1, 'caf\\351'], [2, 'new\\nline']] as const) {
      const target = join(base, `restored-${i}`);
      const r = sh(`timefs restore --repo "$REPO" "latest:$SRC/$(printf '${printf}')" --target ${target}`, env);
      assert.equal(r.status, 0, r.stderr);
      const names = readdirSync(target, { encoding: 'buffer' });
      assert.deepEqual(names, [i === 1 ? LATIN1 : NEWLINE]);
      assert.equal(readFileSync(Buffer.concat([Buffer.from(`${target}/`), names[0] as Buffer])).toString(), i === 1 ? 'latin-1 name\n' : 'newline name\n');
    }
  });
});
