/**
 * Catalog keys for paths. A path is a list of raw name components (bytes); its key is each
 * component prefixed with a 0x00 byte. 0x00 never occurs in a name and sorts before every other
 * byte, so sorting keys bytewise gives a pre-order walk: a directory, then everything below it
 * (children in byte order), then its next sibling. The root `/` is the empty key.
 */

/** The key of the path made of `components` (raw name bytes). */
export function pathKey(components: readonly Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  for (const c of components) parts.push(Buffer.from([0]), Buffer.from(c));
  return Buffer.concat(parts);
}

/** The key of a child `name` under the directory with key `parent`. */
export function childKey(parent: Uint8Array, name: Uint8Array): Buffer {
  return Buffer.concat([parent, Buffer.from([0]), name]);
}

/** The raw name components of a key. */
export function keyComponents(key: Uint8Array): Buffer[] {
  const buf = Buffer.from(key);
  if (buf.length === 0) return [];
  const out: Buffer[] = [];
  let start = 1;
  for (let i = 1; i <= buf.length; i++) {
    if (i === buf.length || buf[i] === 0) {
      out.push(buf.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

/** True when `key` lies strictly below the directory `dir`. */
export function isBelow(key: Uint8Array, dir: Uint8Array): boolean {
  return key.length > dir.length && key[dir.length] === 0 && Buffer.from(key.subarray(0, dir.length)).equals(Buffer.from(dir));
}

/** The absolute file system path of a key, as a Buffer (names stay byte-exact). */
export function keyToPath(key: Uint8Array): Buffer {
  if (key.length === 0) return Buffer.from('/');
  const out = Buffer.from(key);
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = 0x2f;
  return out;
}

/** The key of an absolute path given as bytes (`/home/me` → 00 home 00 me). */
export function pathToKey(path: Uint8Array): Buffer {
  const components = Buffer.from(path).toString('latin1').split('/').filter((c) => c.length > 0);
  return pathKey(components.map((c) => Buffer.from(c, 'latin1')));
}

/** A printable form of a key's path for messages (invalid UTF-8 shows as U+FFFD). */
export function displayPath(key: Uint8Array): string {
  return keyToPath(key).toString('utf8');
}
