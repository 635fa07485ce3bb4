/**
 * Names for people and for scripts. {@link quoteName} quotes a file name as GNU `ls` does with
 * `--quoting-style=shell-escape` (its default on a terminal): a plain name stays as it is, one
 * with shell-special characters is single-quoted, and bytes that cannot be shown (newlines,
 * control characters, bytes that are not UTF-8) become `$'\n'`/`$'\351'` pieces, so one name is
 * always one line and can be pasted back into a shell. {@link nameJson} carries the exact bytes
 * for `--json`. Pure.
 */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Characters that never need quoting (besides letters and digits). */
const SAFE = /^[A-Za-z0-9%+,\-./:@_\]]$/u;
/** Characters that are special to a shell anywhere in a word. */
const SHELL_SPECIAL = new Set([...' !"$&\'()*;<=>?[\\^`|']);
/** Characters that keep their meaning inside double quotes: a name with `'` and one of these is single-quoted. */
const NOT_DOUBLE_QUOTABLE = new Set([...'!"$\\`']);
const C_ESCAPES: Record<number, string> = { 7: 'a', 8: 'b', 9: 't', 10: 'n', 11: 'v', 12: 'f', 13: 'r' };

/** A name split into shown characters and runs of bytes that must be escaped. */
type Piece = { text: string } | { bytes: number[] };

function isPrintable(char: string): boolean {
  return !/[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\uFFFD]/u.test(char);
}

function pieces(raw: Uint8Array): Piece[] {
  const out: Piece[] = [];
  const pushBytes = (bytes: Iterable<number>): void => {
    const last = out[out.length - 1];
    if (last && 'bytes' in last) last.bytes.push(...bytes);
    else out.push({ bytes: [...bytes] });
  };
  let at = 0;
  while (at < raw.length) {
    const first = raw[at] as number;
    const length = first < 0x80 ? 1 : first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc2 ? 2 : 1;
    const unit = raw.subarray(at, at + length);
    let char: string | undefined;
    try {
      char = unit.length === length ? strictUtf8.decode(unit) : undefined;
    } catch {
      char = undefined;
    }
    if (char === undefined) {
      pushBytes([first]);
      at += 1;
    } else {
      if (isPrintable(char)) out.push({ text: char });
      else pushBytes(unit);
      at += length;
    }
  }
  return out;
}

function needsQuotes(chars: string[]): boolean {
  if (chars.length === 0) return true;
  if (chars.length === 1 && (chars[0] === '{' || chars[0] === '}')) return true;
  return chars.some((char, i) => {
    if (i === 0 && (char === '#' || char === '~')) return true;
    if (SHELL_SPECIAL.has(char)) return true;
    return char.length === 1 && char < '\x80' && !SAFE.test(char) && char !== '#' && char !== '~' && char !== '{' && char !== '}';
  });
}

function escapeBytes(bytes: number[]): string {
  return bytes.map((b) => `\\${C_ESCAPES[b] ?? b.toString(8).padStart(3, '0')}`).join('');
}

/** The name as GNU `ls` shows it on a terminal (`--quoting-style=shell-escape`, UTF-8 locale). */
export function quoteName(raw: Uint8Array | string): string {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const parts = pieces(bytes);
  if (parts.every((p) => 'text' in p)) {
    const chars = parts.map((p) => (p as { text: string }).text);
    const text = chars.join('');
    if (!needsQuotes(chars)) return text;
    if (text.includes("'") && !chars.some((c) => NOT_DOUBLE_QUOTABLE.has(c))) return `"${text}"`;
    return `'${text.replaceAll("'", "'\\''")}'`;
  }
  let out = '';
  parts.forEach((part, i) => {
    if ('bytes' in part) {
      out += `${i === 0 ? "''" : "'"}$'${escapeBytes(part.bytes)}'`;
    } else {
      const afterEscape = i > 0 && 'bytes' in (parts[i - 1] as Piece);
      if (afterEscape && part.text === "'") out += "\\''";
      else {
        if (i === 0 || afterEscape) out += "'";
        out += part.text === "'" ? "'\\''" : part.text;
      }
    }
  });
  if ('text' in (parts[parts.length - 1] as Piece)) out += "'";
  return out;
}

/**
 * A name for JSON: `name` is the exact text when the bytes are UTF-8; otherwise `name` is shown
 * lossily and `rawName` holds the exact bytes in base64.
 */
export function nameJson(raw: Uint8Array): { name: string; rawName?: string } {
  try {
    return { name: strictUtf8.decode(raw) };
  } catch {
    return { name: Buffer.from(raw).toString('utf8'), rawName: Buffer.from(raw).toString('base64') };
  }
}

/** A path (`/a/b`) with each name quoted where needed, for messages: `/data/'caf'$'\351'`. */
export function quotePath(raw: Uint8Array | string): string {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : Buffer.from(raw);
  const names: string[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x2f) continue;
    names.push(i === start ? '' : quoteName(bytes.subarray(start, i)));
    start = i + 1;
  }
  return names.join('/');
}
