/**
 * The text of a snapshot's metadata index (`timefs-index/1`, docs/format.md §5): a header naming
 * the snapshot root it describes, then one line per entry of the tree in pre-order (children of a
 * directory by the UTF-8 bytes of their edge names), each line holding exactly what the tree's
 * edge holds: the edge path, the child cap and `metadata.timefs`. Pure.
 */
import type { EntryMeta } from '../model/entry.js';

/** The format name in the header. */
export const INDEX_FORMAT = 'timefs-index/1';

/** The first line of an index. */
export interface IndexHeader {
  format: typeof INDEX_FORMAT;
  /** Read cap of the snapshot root this index describes (secret). */
  root: string;
  /** Number of entry lines that follow. */
  entries: number;
}

/** One entry line: edge names from the root, child cap, edge attributes. */
export interface IndexRecord {
  /** Edge names (as Tahoe stores them) from the root down to the entry. */
  path: string[];
  cap: string;
  meta: EntryMeta;
}

/** JSON with object keys sorted at every level: the one serialisation of an edge's attributes. */
export function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${sortedJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The header line (with its newline). */
export function headerLine(header: Omit<IndexHeader, 'format'>): string {
  return `${sortedJson({ format: INDEX_FORMAT, root: header.root, entries: header.entries })}\n`;
}

/** One entry line (with its newline). */
export function recordLine(record: IndexRecord): string {
  return `${JSON.stringify(record.path.join('/'))}\t${record.cap}\t${sortedJson(record.meta)}\n`;
}

/** Parses the header line, or undefined when it is not an index header. */
export function parseHeader(line: string): IndexHeader | undefined {
  try {
    const h = JSON.parse(line) as Partial<IndexHeader>;
    if (h.format !== INDEX_FORMAT || typeof h.root !== 'string' || !Number.isSafeInteger(h.entries)) return undefined;
    return h as IndexHeader;
  } catch {
    return undefined;
  }
}

/** The edge path of an entry line as one string (`home/me/a.txt`), without parsing the rest. */
export function linePath(line: string): string {
  return JSON.parse(line.slice(0, line.indexOf('\t'))) as string;
}

/** Parses an entry line. @throws Error when the line is malformed */
export function parseRecord(line: string): IndexRecord {
  const first = line.indexOf('\t');
  const second = line.indexOf('\t', first + 1);
  if (first < 0 || second < 0) throw new Error('an index line has fewer than three fields');
  const path = JSON.parse(line.slice(0, first)) as unknown;
  const meta = JSON.parse(line.slice(second + 1)) as unknown;
  if (typeof path !== 'string' || path === '' || typeof meta !== 'object' || meta === null || typeof (meta as EntryMeta).type !== 'string') {
    throw new Error('an index line has a bad path or attributes');
  }
  return { path: path.split('/'), cap: line.slice(first + 1, second), meta: meta as EntryMeta };
}

/** Orders two edge names as the index does: by their UTF-8 bytes. */
export function compareEdgeNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Splits index text into its header and entry lines. @throws Error when the header is not one */
export function splitIndex(text: string): { header: IndexHeader; lines: string[] } {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const header = parseHeader(lines[0] ?? '');
  if (!header) throw new Error(`the index does not start with a ${INDEX_FORMAT} header`);
  lines.shift();
  if (lines.length !== header.entries) throw new Error(`the index header announces ${header.entries} entries but ${lines.length} follow`);
  return { header, lines };
}
