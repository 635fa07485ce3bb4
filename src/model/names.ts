/**
 * On-disk names versus Tahoe child names (DESIGN.md §2 "Names").
 *
 * Tahoe child names are Unicode strings, NFC-normalised, without `/`. A file name on disk is any
 * byte string without `/` or NUL. A name that is valid UTF-8 and NFC-stable is stored as is; any
 * other name (or one that would clash with a sibling) is stored under an escaped edge name and
 * its exact bytes go into `metadata.timefs.rawName` (base64). Readers use {@link rawNameBytes}.
 */
import { createHash } from 'node:crypto';

/** The edge name to store and, when it is an escaped form, the exact bytes as base64. */
export interface EdgeName {
  name: string;
  rawName?: string;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lossyUtf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Marker between the readable part of an escaped name and its digest; unlikely in real names. */
const ESCAPE_MARK = '\u2063timefs-raw-';

/** The plain Unicode form of `raw`, or undefined when it is not valid, NFC-stable UTF-8. */
export function plainName(raw: Uint8Array): string | undefined {
  let text: string;
  try {
    text = strictUtf8.decode(raw);
  } catch {
    return undefined;
  }
  if (text.length === 0 || text.includes('/') || text.includes('\0') || text.includes(ESCAPE_MARK)) return undefined;
  if (text.normalize('NFC') !== text) return undefined;
  // Belt and braces: the stored name must give back exactly these bytes.
  if (!Buffer.from(text, 'utf8').equals(Buffer.from(raw))) return undefined;
  return text;
}

/** The escaped edge name for `raw`: a readable NFC approximation plus a digest of the exact bytes. */
export function escapedName(raw: Uint8Array): string {
  const readable = lossyUtf8.decode(raw).normalize('NFC').replaceAll('/', '\uFF0F').replaceAll('\0', '\uFFFD');
  const digest = createHash('sha256').update(raw).digest('hex').slice(0, 16);
  return `${readable}${ESCAPE_MARK}${digest}`;
}

/** The edge name of one on-disk name, ignoring siblings (see {@link edgeNamesFor} for a directory). */
export function edgeNameFor(raw: Uint8Array): EdgeName {
  const plain = plainName(raw);
  if (plain !== undefined) return { name: plain };
  return { name: escapedName(raw), rawName: Buffer.from(raw).toString('base64') };
}

/**
 * Edge names for all children of one directory, in input order. Names that would clash after
 * NFC normalisation are escaped (the first plain one keeps its name); an escaped name is
 * unique by its digest.
 */
export function edgeNamesFor(raws: readonly Uint8Array[]): EdgeName[] {
  const out = raws.map((raw) => edgeNameFor(raw));
  const taken = new Set<string>();
  for (const [i, edge] of out.entries()) {
    const key = edge.name.normalize('NFC');
    if (!taken.has(key)) {
      taken.add(key);
      continue;
    }
    const raw = raws[i]!;
    const escaped = { name: escapedName(raw), rawName: Buffer.from(raw).toString('base64') };
    if (taken.has(escaped.name)) throw new Error(`two children share the escaped name ${escaped.name}`);
    taken.add(escaped.name);
    out[i] = escaped;
  }
  return out;
}

/** The exact on-disk bytes of a child: `rawName` when present, else the UTF-8 of the edge name. */
export function rawNameBytes(name: string, rawName?: string): Buffer {
  return rawName === undefined ? Buffer.from(name, 'utf8') : Buffer.from(rawName, 'base64');
}
