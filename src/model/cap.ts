/**
 * Tahoe capability strings are secrets: anyone holding one can read (or write) the object.
 * These helpers shorten them for display so that no log line or error ever shows one whole.
 */

// The lookahead leaves alone a cap that is already shortened (it ends in …).
const CAP_PATTERN = /URI:[A-Z0-9-]+:[A-Za-z0-9:_-]+(?![A-Za-z0-9:_…-])/g;

/** A cap shortened for display, e.g. `URI:DIR2:x7mj7e…` (kind plus 6 characters). */
export function redactCap(cap: string): string {
  const match = /^(URI:[A-Z0-9-]+:)(.*)$/.exec(cap);
  if (!match) return cap.length > 8 ? `${cap.slice(0, 4)}…` : '…';
  return `${match[1]}${(match[2] ?? '').slice(0, 6)}…`;
}

/** `text` with every cap inside it shortened by {@link redactCap}. */
export function redactCaps(text: string): string {
  return text.replace(CAP_PATTERN, (cap) => redactCap(cap));
}

/** True for a string that looks like a Tahoe cap. */
export function isCap(text: string): boolean {
  return /^URI:[A-Z0-9-]+:/.test(text);
}
