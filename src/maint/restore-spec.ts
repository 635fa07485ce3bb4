/**
 * Parsing `SNAPSHOT[:PATH]` for `timefs restore`. Snapshot names are times and contain colons
 * themselves (`2009-01-09T01:49:00Z`), so a leading ISO time is taken whole first. Pure.
 */

const TIME_PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/;

/** The snapshot spec and the path inside it (empty for the whole snapshot). */
export function parseRestoreSpec(spec: string): { snapshot: string; path: string } {
  const time = TIME_PREFIX.exec(spec);
  if (time) {
    const rest = spec.slice(time[0].length);
    if (rest === '' || rest.startsWith(':')) return { snapshot: time[0], path: rest.slice(1) };
  }
  const colon = spec.indexOf(':');
  if (colon < 0) return { snapshot: spec, path: '' };
  return { snapshot: spec.slice(0, colon), path: spec.slice(colon + 1) };
}
