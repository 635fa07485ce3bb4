import { Command, Option } from 'commander';
import {
  concatBytes,
  loadSignature,
  minimumStrongLength,
  patchStream,
  type SignatureParams,
} from '../../delta/index.js';
import { openDeltaEncoder, openSignatureEncoder } from '../../delta/parallel/index.js';
import { MAX_BLOCK_LENGTH } from '../../delta/signature-format.js';
import { prepareKernels } from '../../delta/wasm/kernels.js';
import { isTimefsError, TimefsError } from '../../model/errors.js';
import { openInput, openOutput, openRandomAccess, type ByteInput, type ByteOutput } from '../byte-files.js';
import { integerOption } from '../options.js';
import type { CommandModule } from './index.js';

/** Deltas are read in small fresh chunks: patch may hand out views of them, so they are not reused. */
const DELTA_CHUNK = 64 << 10;

/** Largest signature file `rdiff delta` loads (a 10 TiB basis has a ~120 MiB default signature). */
const MAX_SIGNATURE_BYTES = 1 << 30;

interface CommonOptions {
  force?: boolean;
  json?: boolean;
}

interface SignatureCliOptions extends CommonOptions {
  blockSize?: number;
  sumSize?: number;
  hash: 'blake2' | 'md4';
  rollsum: 'rabinkarp' | 'rollsum';
}

/** `timefs rdiff signature|delta|patch`: librsync 2.3.2-compatible files, byte-identical to `rdiff`. */
export const rdiffCommand: CommandModule = {
  register(program: Command) {
    const rdiff = program
      .command('rdiff')
      .description('rdiff-compatible signature, delta and patch (the same bytes as librsync 2.3.2 `rdiff`)')
      .addHelpText('after', '\nExample:\n  timefs rdiff signature old.bin old.sig && timefs rdiff delta old.sig new.bin new.delta && timefs rdiff patch old.bin new.delta out.bin\n');

    common(
      rdiff
        .command('signature')
        .description('write the signature of BASIS to SIG ("-" = stdin/stdout)')
        .argument('<BASIS>', 'file to describe, or - for stdin')
        .argument('<SIG>', 'signature file to write, or - for stdout')
        .addOption(new Option('-b, --block-size <N>', 'block length; 0 = from the file size, as rdiff').argParser(integerOption('--block-size', 0, MAX_BLOCK_LENGTH)))
        .addOption(new Option('-S, --sum-size <N>', 'strong sum length; 0 = maximum, -1 = minimum safe').argParser(integerOption('--sum-size', -1, 32)))
        .addOption(new Option('-H, --hash <ALG>', 'strong hash').choices(['blake2', 'md4']).default('blake2'))
        .addOption(new Option('-R, --rollsum <ALG>', 'rolling checksum').choices(['rabinkarp', 'rollsum']).default('rabinkarp'))
        .addHelpText('after', '\nExample:\n  timefs rdiff signature -b 2048 photo.raw photo.sig\n'),
    ).action((basis: string, sig: string, opts: SignatureCliOptions) => signatureAction(basis, sig, opts));

    common(
      rdiff
        .command('delta')
        .description('write the delta that turns the file behind SIG into NEW')
        .argument('<SIG>', 'signature of the old file')
        .argument('<NEW>', 'new file, or - for stdin')
        .argument('<DELTA>', 'delta file to write, or - for stdout')
        .addHelpText('after', '\nExample:\n  timefs rdiff delta photo.sig photo-edited.raw photo.delta\n'),
    ).action((sig: string, next: string, delta: string, opts: CommonOptions) => deltaAction(sig, next, delta, opts));

    common(
      rdiff
        .command('patch')
        .description('apply DELTA to BASIS and write the result to NEW')
        .argument('<BASIS>', 'the old file (read at random offsets: a regular file)')
        .argument('<DELTA>', 'delta file, or - for stdin')
        .argument('<NEW>', 'file to write, or - for stdout')
        .addHelpText('after', '\nExample:\n  timefs rdiff patch photo.raw photo.delta photo-restored.raw\n'),
    ).action((basis: string, delta: string, next: string, opts: CommonOptions) => patchAction(basis, delta, next, opts));
  },
};

function common(cmd: Command): Command {
  return cmd
    .option('-f, --force', 'overwrite an existing output file')
    .option('--json', 'print a JSON summary to stdout when done (not with output to stdout)');
}

async function signatureAction(basisPath: string, sigPath: string, opts: SignatureCliOptions): Promise<void> {
  prepareKernels(); // compiles in the background while the files open
  const input = await openInput(basisPath);
  await withOutput(sigPath, opts, input, async (output) => {
    const builder = await openSignatureEncoder(
      { fileSize: input.size, blockLength: opts.blockSize, strongLength: opts.sumSize, hash: opts.hash, rollsum: opts.rollsum },
      { sizeHint: input.size },
    );
    const { blockLength, strongLength } = builder.params;
    if (input.size !== undefined && (opts.sumSize ?? 0) > 0 && strongLength < minimumStrongLength(input.size, blockLength)) {
      process.stderr.write(
        `timefs: warning: strong sum length ${strongLength} is below the safe minimum ${minimumStrongLength(input.size, blockLength)} for ${basisPath}; deltas may be wrong (rdiff warns too)\n`,
      );
    }
    try {
      const progress = new Progress('signature', input.size);
      for await (const chunk of input.chunks(true)) {
        await output.write(await builder.update(chunk));
        progress.add(chunk.length);
      }
      await output.write(await builder.finish());
      progress.done();
    } finally {
      await builder.close();
    }
    return { params: describe(builder.params), threads: builder.threads };
  });
}

async function deltaAction(sigPath: string, newPath: string, deltaPath: string, opts: CommonOptions): Promise<void> {
  oneStdin(sigPath, newPath);
  prepareKernels(); // compiles in the background while the signature is read
  const signature = await readSignature(sigPath);
  const input = await openInput(newPath);
  await withOutput(deltaPath, opts, input, async (output) => {
    const loaded = inFile(sigPath, () => loadSignature(signature));
    const encoder = await openDeltaEncoder(signature, loaded, { sizeHint: input.size, reuseOutput: true });
    try {
      const progress = new Progress('delta', input.size);
      for await (const chunk of input.chunks(true)) {
        await output.write(await encoder.update(chunk));
        progress.add(chunk.length);
      }
      await output.write(await encoder.finish());
      progress.done();
    } finally {
      await encoder.close();
    }
    return { threads: encoder.threads };
  });
}

async function patchAction(basisPath: string, deltaPath: string, newPath: string, opts: CommonOptions): Promise<void> {
  oneStdin(basisPath, deltaPath);
  const basis = await openRandomAccess(basisPath);
  try {
    const input = await openInput(deltaPath);
    await withOutput(newPath, opts, input, async (output) => {
      try {
        // One write in flight while the next piece is read: the patch's buffers stay valid for one more piece.
        let writing: Promise<void> = Promise.resolve();
        for await (const piece of patchStream(input.chunks(false, DELTA_CHUNK), basis, { reuseOutput: true })) {
          await writing;
          writing = output.write(piece);
          writing.catch(() => undefined); // awaited on the next turn or below
        }
        await writing;
      } catch (err) {
        throw rename(err, deltaPath);
      }
      return {};
    });
  } finally {
    await basis.close();
  }
}

/** Runs `work` with the output open; commits on success, removes a partial output on failure. */
async function withOutput(
  path: string,
  opts: CommonOptions,
  input: ByteInput,
  work: (output: ByteOutput) => Promise<Record<string, unknown>>,
): Promise<void> {
  let output: ByteOutput | undefined;
  try {
    output = await openOutput(path, opts.force === true);
    const summary = await work(output);
    await output.commit();
    if (opts.json && path !== '-') {
      process.stdout.write(`${JSON.stringify({ output: path, bytesWritten: output.written, inputBytes: input.size ?? null, ...summary })}\n`);
    }
  } catch (err) {
    await output?.abort();
    throw err;
  } finally {
    await input.close();
  }
}

async function readSignature(path: string): Promise<Uint8Array> {
  const input = await openInput(path);
  try {
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of input.chunks(false)) {
      total += chunk.length;
      if (total > MAX_SIGNATURE_BYTES) throw new TimefsError('delta.param', `${path}: signature is larger than ${MAX_SIGNATURE_BYTES} bytes`);
      parts.push(chunk);
    }
    return concatBytes(parts);
  } finally {
    await input.close();
  }
}

/** Only one input can come from stdin. */
function oneStdin(a: string, b: string): void {
  if (a === '-' && b === '-') throw new TimefsError('usage', 'only one input can be "-" (stdin)');
}

function inFile<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw rename(err, path);
  }
}

/** Prefixes an engine error's message with the file it is about. */
function rename(err: unknown, path: string): unknown {
  if (!isTimefsError(err) || !err.code.startsWith('delta.')) return err;
  return new TimefsError(err.code, `${path === '-' ? 'stdin' : path}: ${err.message}`, { cause: err.cause, hint: err.hint });
}

function describe(params: SignatureParams): Record<string, unknown> {
  return { weak: params.weak, strong: params.strong, blockLength: params.blockLength, strongLength: params.strongLength };
}

/** A one-line percentage on stderr, only when stderr is a terminal and the size is known. */
class Progress {
  private done_ = 0;
  private lastShown = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
  ) {
    this.enabled = process.stderr.isTTY === true && total !== undefined && total > 64 << 20;
  }

  add(n: number): void {
    this.done_ += n;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastShown < 200) return;
    this.lastShown = now;
    process.stderr.write(`\r${this.label}: ${Math.floor((100 * this.done_) / (this.total as number))}%`);
  }

  done(): void {
    if (this.enabled && this.lastShown > 0) process.stderr.write('\r\x1b[K');
  }
}
