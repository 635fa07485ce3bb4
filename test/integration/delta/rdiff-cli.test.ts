// `timefs rdiff signature|delta|patch` end to end: files and stdin/stdout, options, byte identity
// with the system rdiff, exit codes and one-line messages on bad input, no partial outputs.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { RDIFF_VECTORS } from '../../helpers/rdiff-vectors.js';
import { assertCapsQuiet } from '../../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const VECTORS = RDIFF_VECTORS;
const dir = mkdtempSync(join(tmpdir(), 'timefs-rdiff-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function timefs(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/run.ts'), ...args], { cwd: ROOT, input, maxBuffer: 1 << 28 });
  assertCapsQuiet(args, r.stdout, r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}
const v = (p: string) => join(VECTORS, p);
const file = (name: string) => join(dir, name);

/** A seeded file with some repetition, and an edited copy. */
function makeFiles(): void {
  const a = Buffer.alloc(300_000);
  let s = 7;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = i % 50_000 < 1000 ? 0 : s >>> 24;
  }
  const b = Buffer.concat([a.subarray(0, 120_000), Buffer.from('inserted!'), a.subarray(125_000), Buffer.from('tail')]);
  writeFileSync(file('a.bin'), a);
  writeFileSync(file('b.bin'), b);
}
makeFiles();

test('signature, delta and patch reproduce the rdiff vectors', () => {
  assert.equal(timefs(['rdiff', 'signature', v('in/rand10k.bin'), file('v.sig')]).status, 0);
  assert.deepEqual(readFileSync(file('v.sig')), readFileSync(v('out/rand10k.sig')));
  assert.equal(timefs(['rdiff', 'delta', file('v.sig'), v('in/rand10k-mod.bin'), file('v.delta')]).status, 0);
  assert.deepEqual(readFileSync(file('v.delta')), readFileSync(v('out/rand10k-mod.delta')));
  assert.equal(timefs(['rdiff', 'patch', v('in/rand10k.bin'), file('v.delta'), file('v.new')]).status, 0);
  assert.deepEqual(readFileSync(file('v.new')), readFileSync(v('in/rand10k-mod.bin')));
});

test('options -b -S -H -R give the same bytes as rdiff, and rdiff patches our delta', () => {
  for (const flags of [[], ['-b', '512', '-S', '8'], ['-H', 'md4', '-R', 'rollsum'], ['-S', '-1', '-R', 'rollsum'], ['-b', '1', '-S', '2']]) {
    const tag = flags.join('') || 'default';
    rmSync(file(`r-${tag}.sig`), { force: true });
    execFileSync('rdiff', [...flags, 'signature', file('a.bin'), file(`r-${tag}.sig`)], { stdio: 'ignore' });
    assert.equal(timefs(['rdiff', 'signature', ...flags, file('a.bin'), file(`t-${tag}.sig`)]).status, 0, tag);
    assert.deepEqual(readFileSync(file(`t-${tag}.sig`)), readFileSync(file(`r-${tag}.sig`)), `signature ${tag}`);
    execFileSync('rdiff', ['delta', file(`r-${tag}.sig`), file('b.bin'), file(`r-${tag}.delta`)]);
    assert.equal(timefs(['rdiff', 'delta', file(`t-${tag}.sig`), file('b.bin'), file(`t-${tag}.delta`)]).status, 0);
    assert.deepEqual(readFileSync(file(`t-${tag}.delta`)), readFileSync(file(`r-${tag}.delta`)), `delta ${tag}`);
    execFileSync('rdiff', ['patch', file('a.bin'), file(`t-${tag}.delta`), file(`r-${tag}.new`)]);
    assert.deepEqual(readFileSync(file(`r-${tag}.new`)), readFileSync(file('b.bin')), `rdiff patch ${tag}`);
  }
});

test('"-" reads stdin and writes stdout; a piped basis gets the unknown-size defaults', () => {
  const sig = timefs(['rdiff', 'signature', '-', '-'], readFileSync(v('in/rand10k.bin')));
  assert.equal(sig.status, 0);
  assert.deepEqual(sig.stdout, readFileSync(v('out/rand10k.stdin.sig')));
  const delta = timefs(['rdiff', 'delta', v('out/rand10k.sig'), '-', '-'], readFileSync(v('in/rand10k-mod.bin')));
  assert.deepEqual(delta.stdout, readFileSync(v('out/rand10k-mod.delta')));
  const patched = timefs(['rdiff', 'patch', v('in/rand10k.bin'), '-', '-'], readFileSync(v('out/rand10k-mod.delta')));
  assert.equal(patched.status, 0);
  assert.deepEqual(patched.stdout, readFileSync(v('in/rand10k-mod.bin')));
});

test('bad input: non-zero exit, one line naming the file, no partial output left behind', () => {
  writeFileSync(file('trunc.delta'), readFileSync(v('out/rand10k-mod.delta')).subarray(0, 300));
  const cases: [string[], number, RegExp][] = [
    [['rdiff', 'patch', v('in/rand10k.bin'), file('trunc.delta'), file('out1')], 1, /trunc\.delta: delta is truncated/],
    [['rdiff', 'patch', v('in/rand10k.bin'), v('out/rand10k.sig'), file('out2')], 1, /rand10k\.sig: not an rdiff delta/],
    [['rdiff', 'patch', v('in/hello.txt'), v('out/rand10k-mod.delta'), file('out3')], 1, /past the basis end/],
    [['rdiff', 'delta', v('out/rand10k-mod.delta'), v('in/hello.txt'), file('out4')], 1, /not an rdiff signature/],
    [['rdiff', 'delta', file('missing.sig'), v('in/hello.txt'), file('out5')], 1, /cannot open .*missing\.sig: no such file/],
    [['rdiff', 'signature', '-H', 'md4', '-S', '20', v('in/hello.txt'), file('out6')], 1, /strong sum length 20 is out of range for MD4/],
    [['rdiff', 'signature', '-b', 'x', v('in/hello.txt'), file('out7')], 2, /--block-size must be an integer/],
  ];
  for (const [args, status, pattern] of cases) {
    const r = timefs(args);
    assert.equal(r.status, status, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines[0]!, pattern);
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
    assert.ok(!existsSync(args.at(-1)!), `no output ${args.at(-1)}`);
  }
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.timefs-')), [], 'no temporary files left');
});

test('only one input can be stdin', () => {
  for (const args of [['delta', '-', '-', file('two.delta')], ['patch', '-', '-', file('two.new')]]) {
    const r = timefs(['rdiff', ...args], Buffer.alloc(0));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /only one input can be "-"/);
  }
});

test('a pipe cannot be the basis of a patch (it is read at random offsets)', () => {
  const r = timefs(['rdiff', 'patch', '-', v('out/rand10k-mod.delta'), file('pipe.out')], readFileSync(v('in/rand10k.bin')));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /basis must be a regular file/);
});

test('an existing output is kept unless --force; --json prints a summary', () => {
  writeFileSync(file('exists.sig'), 'keep me');
  const r = timefs(['rdiff', 'signature', v('in/hello.txt'), file('exists.sig')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /exists\.sig already exists\n\s+pass --force/);
  assert.equal(readFileSync(file('exists.sig'), 'utf8'), 'keep me');
  const forced = timefs(['rdiff', 'signature', '--force', '--json', v('in/hello.txt'), file('exists.sig')]);
  assert.equal(forced.status, 0);
  assert.deepEqual(readFileSync(file('exists.sig')), readFileSync(v('out/hello.sig')));
  const summary = JSON.parse(forced.stdout.toString());
  assert.equal(summary.bytesWritten, 48);
  assert.equal(summary.params.blockLength, 256);
});

test('--help describes each command with an example', () => {
  for (const sub of ['signature', 'delta', 'patch']) {
    const r = timefs(['rdiff', sub, '--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout.toString(), new RegExp(`Example:\\n  timefs rdiff ${sub} `));
  }
});
