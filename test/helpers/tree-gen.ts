// Test and benchmark helper: a fixed-seed tree shaped like a real system tree (/usr/share):
// many small files (median ~1.3 KB), a few large ones holding most bytes (2.8 % above 64 KiB,
// Pareto tail), ~14 entries per directory, 8 % symlinks, some hard links, odd names (spaces,
// NFD, non-UTF-8 bytes), a few fifos, varied modes and nanosecond-ish mtimes.
import { spawnSync } from 'node:child_process';
import { closeSync, linkSync, mkdirSync, openSync, symlinkSync, utimesSync, writeSync, chmodSync, lutimesSync } from 'node:fs';

/** What {@link generateTree} made. */
export interface TreeStats {
  files: number;
  bytes: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  fifos: number;
  largeFiles: number;
}

/** Options of {@link generateTree}. */
export interface TreeOptions {
  /** Entries other than directories (files, symlinks, hard links, fifos). */
  entries: number;
  seed?: number;
  /** Entries per directory on average (default 14). */
  perDir?: number;
  /** Mixed into every file's content: the same shape with other bytes (so a grid holds none of it yet). */
  salt?: string;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POOL_BYTES = 32 << 20;

/** Writes the tree below `root` (which must exist and be empty); the same seed gives the same tree. */
export function generateTree(root: string, options: TreeOptions): TreeStats {
  const rand = mulberry32(options.seed ?? 1);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  // A pool of seeded pseudo-random bytes; each file is a slice of it stamped with its own number.
  const pool = Buffer.alloc(POOL_BYTES);
  for (let i = 0; i < POOL_BYTES; i += 4) pool.writeUInt32LE(Math.floor(rand() * 4294967296), i);
  const stats: TreeStats = { files: 0, bytes: 0, dirs: 0, symlinks: 0, hardlinks: 0, fifos: 0, largeFiles: 0 };
  const perDir = options.perDir ?? 14;
  const dirCount = Math.max(1, Math.round(options.entries / perDir));
  const dirs: Buffer[] = [Buffer.from(root)];
  const depth: number[] = [0];
  const oddName = (i: number): Buffer => {
    switch (i % 4) {
      case 0: return Buffer.from(`with space ${i}`);
      case 1: return Buffer.from(`cafe\u0301-nfd-${i}`);
      case 2: return Buffer.concat([Buffer.from(`raw-`), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from(`-${i}`)]);
      default: return Buffer.from(`ünïcødé ✓ ${i}`);
    }
  };
  const nameFor = (kind: string, i: number): Buffer => (rand() < 0.01 ? oddName(i) : Buffer.from(`${kind}${i.toString(36)}${rand() < 0.3 ? '.txt' : rand() < 0.5 ? '.gz' : ''}`));
  const join = (dir: Buffer, name: Buffer) => Buffer.concat([dir, Buffer.from('/'), name]);
  for (let d = 1; d < dirCount; d++) {
    // Parents are picked among recent directories, which gives a tree a few levels deep.
    let p = Math.floor(dirs.length - 1 - Math.floor(rand() * Math.min(dirs.length, 40)));
    if (depth[p]! >= 9) p = 0;
    const path = join(dirs[p]!, nameFor('d', d));
    mkdirSync(path, { mode: rand() < 0.05 ? 0o700 : 0o755 });
    dirs.push(path);
    depth.push(depth[p]! + 1);
    stats.dirs++;
  }
  const regular: Buffer[] = [];
  const time = () => 1_500_000_000 + Math.floor(rand() * 200_000_000) + Math.floor(rand() * 1e6) / 1e6;
  for (let i = 0; i < options.entries; i++) {
    const dir = dirs[Math.floor(rand() * dirs.length)]!;
    const path = join(dir, nameFor('f', i));
    const roll = rand();
    if (roll < 0.08) {
      const target = rand() < 0.9 ? `../${'x'.repeat(Math.floor(rand() * 30))}target-${i}` : `/usr/share/${'long/'.repeat(15)}${i}`;
      symlinkSync(target, path);
      lutimesSync(path, time(), time());
      stats.symlinks++;
    } else if (roll < 0.085 && regular.length > 0) {
      linkSync(regular[Math.floor(rand() * regular.length)]!, path);
      stats.hardlinks++;
    } else if (roll < 0.0855 && Buffer.from(path.toString('utf8')).equals(path)) {
      if (spawnSync('mkfifo', [path.toString('utf8')]).status === 0) stats.fifos++;
    } else {
      let size: number;
      if (rand() < 0.028) {
        size = Math.min(32 << 20, Math.floor((64 << 10) / Math.pow(1 - rand(), 1 / 1.3)));
        stats.largeFiles++;
      } else size = rand() < 0.01 ? 0 : Math.min(64 << 10, Math.floor(1300 * Math.exp(1.3 * gauss())));
      writeContent(path, size, `${i} ${options.salt ?? ''}`, pool, rand);
      chmodSync(path, rand() < 0.1 ? 0o755 : rand() < 0.05 ? 0o600 : 0o644);
      const t = time();
      utimesSync(path, t, t);
      regular.push(path);
      stats.files++;
      stats.bytes += size;
    }
  }
  // Directory times last: creating entries moved them.
  for (const dir of dirs.slice(1).reverse()) {
    const t = time();
    utimesSync(dir, t, t);
  }
  return stats;
}

function writeContent(path: Buffer, size: number, label: string, pool: Buffer, rand: () => number): void {
  const fd = openSync(path, 'w');
  try {
    const stamp = Buffer.from(`file ${label}\n`);
    let done = 0;
    if (size > 0) {
      const head = stamp.subarray(0, Math.min(size, stamp.length));
      writeSync(fd, head);
      done = head.length;
    }
    while (done < size) {
      const start = Math.floor(rand() * (POOL_BYTES / 2));
      const n = Math.min(size - done, POOL_BYTES - start);
      writeSync(fd, pool, start, n);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}
