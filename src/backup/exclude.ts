/**
 * Exclusion rules (pure given the patterns): `--exclude` globs and `--exclude-file` lines.
 * A pattern containing `/` is matched against the absolute path, any other against the name.
 */
import picomatch from 'picomatch';

/** A predicate telling whether an absolute path (decoded as UTF-8) is excluded. */
export type ExcludeTest = (absolutePath: string, name: string) => boolean;

/** Builds the predicate for `patterns` (blank lines and `#` comments ignored). */
export function excludeMatcher(patterns: readonly string[]): ExcludeTest {
  const clean = patterns.map((p) => p.trim()).filter((p) => p.length > 0 && !p.startsWith('#'));
  const byPath = clean.filter((p) => p.includes('/')).map((p) => picomatch(p.replace(/\/+$/, ''), { dot: true }));
  const byName = clean.filter((p) => !p.includes('/')).map((p) => picomatch(p, { dot: true }));
  return (absolutePath, name) => byName.some((m) => m(name)) || byPath.some((m) => m(absolutePath));
}
