// Every vector made by the real rdiff 2.3.2 in test/fixtures/rdiff-vectors is reproduced
// byte for byte: signatures, deltas, and patches back to the new file, whole and in odd chunkings.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  concatBytes,
  createDeltaEncoder,
  createSignatureBuilder,
  loadSignature,
  patchBytes,
  patchStream,
  memoryBasis,
  type SignatureOptions,
} from '../../../src/delta/index.js';
import { RDIFF_VECTORS } from '../../helpers/rdiff-vectors.js';

const VECTORS = RDIFF_VECTORS;
const read = (p: string) => new Uint8Array(readFileSync(join(VECTORS, p)));

interface Vector {
  line: string;
  kind: 'signature' | 'stdin-signature' | 'delta' | 'patch';
  options: SignatureOptions;
  files: string[];
}

/** Parses out/COMMANDS.txt (the exact rdiff command behind each output file). */
function vectors(): Vector[] {
  const lines = readFileSync(join(VECTORS, 'out', 'COMMANDS.txt'), 'utf8').split('\n').filter(Boolean);
  return lines.map((line) => {
    const words = line.replace(/^\+ /, '').split(/\s+/);
    if (words[0] === 'cat') return { line, kind: 'stdin-signature', options: {}, files: [words[1]!, words.at(-1)!] };
    const options: SignatureOptions = {};
    let i = 2;
    while (words[i]?.startsWith('-')) {
      const [flag, value] = [words[i]!, words[i + 1]!];
      if (flag === '-b') options.blockLength = Number(value);
      else if (flag === '-S') options.strongLength = Number(value);
      else if (flag === '-H') options.hash = value as 'blake2' | 'md4';
      else if (flag === '-R') options.rollsum = value as 'rabinkarp' | 'rollsum';
      else throw new Error(`unknown flag in ${line}`);
      i += 2;
    }
    return { line, kind: words[1] as Vector['kind'], options, files: words.slice(i) };
  });
}

/** Splits data into chunks of the given sizes, cycling. */
function chunked(data: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = 0, k = 0; p < data.length; k++) {
    const n = sizes[k % sizes.length]!;
    out.push(data.subarray(p, p + n));
    p += n;
  }
  return out;
}

const CHUNKINGS = [[1 << 20], [1], [7, 1, 300], [4096, 3]];

const all = vectors();

test('the vector set is complete (signatures, stdin signature, deltas and patches)', () => {
  assert.equal(all.filter((v) => v.kind === 'signature').length, 14);
  assert.equal(all.filter((v) => v.kind === 'stdin-signature').length, 1);
  assert.equal(all.filter((v) => v.kind === 'delta').length, 12);
  assert.equal(all.filter((v) => v.kind === 'patch').length, 7);
});

for (const v of all.filter((x) => x.kind === 'signature' || x.kind === 'stdin-signature')) {
  test(`signature: ${v.line}`, async () => {
    const [input, output] = v.files as [string, string];
    const data = read(input);
    const expected = read(output);
    for (const sizes of CHUNKINGS) {
      const fileSize = v.kind === 'stdin-signature' ? undefined : data.length;
      const builder = await createSignatureBuilder({ ...v.options, fileSize });
      const parts = chunked(data, sizes).map((c) => builder.update(c));
      parts.push(builder.finish());
      assert.deepEqual(concatBytes(parts), expected, `chunks ${sizes.join(',')}`);
    }
  });
}

for (const v of all.filter((x) => x.kind === 'delta')) {
  test(`delta: ${v.line}`, async () => {
    const [sig, input, output] = v.files as [string, string, string];
    const loaded = loadSignature(read(sig));
    const data = read(input);
    const expected = read(output);
    for (const sizes of CHUNKINGS) {
      const encoder = await createDeltaEncoder(loaded);
      const parts = chunked(data, sizes).map((c) => encoder.update(c));
      parts.push(encoder.finish());
      assert.deepEqual(concatBytes(parts), expected, `chunks ${sizes.join(',')}`);
    }
  });
}

/** The basis each delta was made against (from the signature's input in COMMANDS.txt). */
function basisOf(sigFile: string): string {
  const made = all.find((x) => x.kind === 'signature' && x.files[1] === sigFile);
  assert.ok(made, `no signature command for ${sigFile}`);
  return made.files[0]!;
}

for (const v of all.filter((x) => x.kind === 'delta')) {
  test(`patch reproduces the new file: ${v.files[2]}`, async () => {
    const [sig, input, output] = v.files as [string, string, string];
    const basis = read(basisOf(sig));
    const delta = read(output);
    assert.deepEqual(await patchBytes(basis, delta), read(input));
    // The delta streamed in 1-byte and 5-byte chunks gives the same output.
    for (const sizes of [[1], [5, 2]]) {
      const parts: Uint8Array[] = [];
      async function* source() {
        yield* chunked(delta, sizes);
      }
      for await (const part of patchStream(source(), memoryBasis(basis))) parts.push(part);
      assert.deepEqual(concatBytes(parts), read(input), `chunks ${sizes.join(',')}`);
    }
  });
}

for (const v of all.filter((x) => x.kind === 'patch')) {
  test(`patch: ${v.line}`, async () => {
    const [basis, delta] = v.files as [string, string];
    const made = all.find((x) => x.kind === 'delta' && x.files[2] === delta);
    assert.ok(made);
    assert.deepEqual(await patchBytes(read(basis), read(delta)), read(made.files[1]!));
  });
}

test('the vector files are the ones rdiff made (SHA256SUMS)', async () => {
  const { createHash } = await import('node:crypto');
  const sums = readFileSync(join(VECTORS, 'SHA256SUMS'), 'utf8').split('\n').filter(Boolean);
  assert.ok(sums.length >= 30);
  for (const line of sums) {
    const [digest, name] = line.split(/\s+/);
    assert.equal(createHash('sha256').update(read(name!)).digest('hex'), digest, name);
  }
});
