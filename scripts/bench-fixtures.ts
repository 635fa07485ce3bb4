/**
 * Pieces the benchmarks share: deterministic content, a delta chain built with the system `rdiff`,
 * a proxy in front of the client node counting what the grid sends, and process figures.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { VERSION_NODE } from '../src/model/entry.js';
import type { Store } from '../src/store/store.js';
import { blake2bHex } from '../src/model/blake2b-pool.js';

/** `length` pseudo-random bytes, the same for the same label. */
export function keystream(label: string, length: number): Buffer {
  const key = Buffer.alloc(16);
  key.write(label.padEnd(16, '.').slice(0, 16));
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

/** Tahoe's base32 (RFC 3548 alphabet in lower case, no padding), as LIT caps carry their data. */
export function base32(data: Buffer): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) { out += alphabet[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** A `size`-byte file stored as a chain of `depth` deltas (made by the system rdiff, 64 scattered 4 KiB edits each); returns the version node cap. */
export async function buildChain(store: Store, size: number, depth: number, work: string): Promise<{ nodeCap: string; baseCap: string; size: number; hash: string }> {
  mkdirSync(work, { recursive: true });
  let current = keystream('bench-base', size);
  writeFileSync(join(work, 'v0'), current);
  const baseCap = await store.putImmutable(new Uint8Array(current.buffer, current.byteOffset, current.length));
  const children: Record<string, { cap: string; metadata: Record<string, unknown> }> = { [VERSION_NODE.base]: { cap: baseCap, metadata: { timefs: { role: 'base', size } } } };
  for (let i = 1; i <= depth; i++) {
    const next = Buffer.from(current);
    const edits = keystream(`edits-${i}`, 64 * 4096);
    for (let e = 0; e < 64; e++) next.set(edits.subarray(e * 4096, (e + 1) * 4096), (edits.readUInt32LE(e * 4) % (size / 4096)) * 4096);
    writeFileSync(join(work, 'next'), next);
    execFileSync('rdiff', ['--force', 'signature', join(work, 'v0'), join(work, 'sig')]);
    execFileSync('rdiff', ['--force', 'delta', join(work, 'sig'), join(work, 'next'), join(work, 'delta')]);
    const delta = readFileSync(join(work, 'delta'));
    children[VERSION_NODE.deltaName(i)] = { cap: await store.putImmutable(new Uint8Array(delta)), metadata: { timefs: { role: 'delta', size: delta.length } } };
    writeFileSync(join(work, 'v0'), next);
    current = next;
  }
  execFileSync('rdiff', ['--force', 'signature', join(work, 'v0'), join(work, 'sig')]);
  const sig = readFileSync(join(work, 'sig'));
  children[VERSION_NODE.signature] = { cap: await store.putImmutable(new Uint8Array(sig)), metadata: { timefs: { role: 'sig', size: sig.length } } };
  rmSync(work, { recursive: true, force: true });
  return { nodeCap: await store.mkdirImmutable(children), baseCap, size: current.length, hash: await blake2bHex(current) };
}

/**
 * A proxy in front of the client node that counts the requests it forwards, the listings among
 * them and the body bytes the grid sends. With BENCH_TRACE=FILE it appends one line per request:
 * start and end in ms since the last reset, method, URL (caps cut to their kind and a short
 * digest) and status.
 */
export function countingProxy(target: string): Promise<{ server: Server; url: string; bytes: () => number; requests: () => number; listings: () => number; reset: () => void }> {
  let bytes = 0;
  let requests = 0;
  let listings = 0;
  let since = performance.now();
  const trace = process.env.BENCH_TRACE;
  const server = createServer((req, res) => {
    requests++;
    if (req.method === 'GET' && /[?&]t=json(&|$)/.test(req.url ?? '')) listings++;
    const started = performance.now();
    const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      if (trace) up.on('end', () => appendFileSync(trace, `${(started - since).toFixed(0)}\t${(performance.now() - since).toFixed(0)}\t${req.method} ${redactedUrl(req.url ?? '')} ${up.statusCode}\n`));
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    done({ server, url: `http://127.0.0.1:${port}/`, bytes: () => bytes, requests: () => requests, listings: () => listings, reset: () => { bytes = 0; requests = 0; listings = 0; since = performance.now(); if (trace) appendFileSync(trace, '--- reset\n'); } });
  }));
}

/** A request URL with every cap cut to its kind (BENCH_TRACE files never hold a whole cap). */
function redactedUrl(url: string): string {
  return decodeURIComponent(url).replace(/URI:[A-Z0-9-]+:[^/?&]*/g, (cap) => `${cap.split(':').slice(0, 2).join(':')}:#${createHash('sha256').update(cap).digest('hex').slice(0, 6)}`);
}

/** The median of `xs`. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** Resident and peak resident memory of a process, in MiB. */
export function rss(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN) / 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}
