import { TimefsError } from '../model/errors.js';

const UNITS: Record<string, number> = { '': 1, k: 1 << 10, m: 1 << 20, g: 1 << 30 };

/** Parses `256M`, `1G`, `65536` into bytes (at least 8 MiB). */
export function parseByteSize(value: string): number {
  const match = /^(\d+)\s*([kmg]?)i?b?$/i.exec(value.trim());
  const bytes = match ? Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 8 << 20) {
    throw new TimefsError('usage', `--cache-size must be a size of at least 8M such as 256M or 1G, got "${value}"`);
  }
  return bytes;
}
