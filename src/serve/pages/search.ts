/** The search results page: each matching path with the snapshots where it matched. */
import type { PathMatches } from '../../view/tree-search.js';
import { hrefFor } from '../request-path.js';
import { servedPath } from '../search.js';
import { crumbsFor, esc, page, when } from './layout.js';

/** Most paths shown for one query. */
export const MAX_RESULTS = 500;

function label(name: string): string {
  const ms = Date.parse(name);
  return Number.isFinite(ms) ? when(ms) : name;
}

/** The page of the results of `query`. */
export function searchPage(query: string, found: readonly PathMatches[]): string {
  const shown = found.slice(0, MAX_RESULTS);
  const items = shown.map((match) => {
    const path = servedPath(match.path);
    const runs = match.runs.map((run) => {
      const isDir = run.entry.meta.type === 'dir';
      const href = hrefFor([run.last, ...path], isDir) + (isDir ? '' : '?view');
      const span = run.first === run.last ? label(run.first) : `${label(run.first)} – ${label(run.last)}`;
      return `<li><a href="${esc(href)}">${esc(span)}</a> <span class="muted">(${run.snapshots} snapshot${run.snapshots === 1 ? '' : 's'}, ${run.versions} version${run.versions === 1 ? '' : 's'})</span></li>`;
    });
    return `<li><strong>/${esc(path.join('/'))}</strong><ul>${runs.join('')}</ul></li>`;
  });
  const summary = found.length === 0
    ? `<p>No name matches <q>${esc(query)}</q> in any snapshot.</p>`
    : `<p>${found.length} path${found.length === 1 ? '' : 's'} match <q>${esc(query)}</q>${found.length > shown.length ? `; the first ${shown.length} are shown` : ''}. Each link opens the path in the last snapshot of a run where it matched.</p>`;
  return page(`Search: ${query}`, crumbsFor([]), `<h1>Search results</h1>${summary}<ol>${items.join('')}</ol>`, { searchAction: '/' });
}
