/** The start page: every snapshot by day, newest first, with its host, paths and counts. */
import { dayName, type DayZone } from '../../view/time-tree.js';
import type { SnapshotInfo } from '../../view/snapshot-catalogue.js';
import { hrefFor } from '../request-path.js';
import { bytes, crumbsFor, esc, page, when } from './layout.js';

/** The timeline page of `snapshots` (oldest first, as the catalogue lists them). */
export function timelinePage(snapshots: readonly SnapshotInfo[], zone: DayZone, searchAction?: string): string {
  if (snapshots.length === 0) {
    return page('Timeline', crumbsFor([]), '<h1>Timeline</h1><p>This repository has no snapshots yet. Run <code>timefs push</code> first.</p>');
  }
  const days = new Map<string, SnapshotInfo[]>();
  for (const s of [...snapshots].reverse()) {
    const day = dayName(s.timeMs, zone);
    days.set(day, [...(days.get(day) ?? []), s]);
  }
  const sections = [...days].map(([day, list]) => {
    const rows = list.map((s) => {
      const files = s.stats.files ?? 0;
      const added = s.stats.bytesUploaded;
      return `<tr><td><a href="${esc(hrefFor([s.name], true))}">${esc(when(s.timeMs))}</a></td><td>${esc(s.host || '–')}</td>`
        + `<td>${esc(s.paths.join(', ') || '–')}</td><td class="n">${files}</td><td class="n hide-s">${added === undefined ? '–' : esc(bytes(added))}</td></tr>`;
    });
    return `<section aria-labelledby="d-${esc(day)}"><h2 id="d-${esc(day)}"><a href="${esc(hrefFor([day], true))}">${esc(day)}</a></h2>`
      + `<div class="scroll"><table><caption class="muted">Snapshots taken on ${esc(day)}</caption><thead><tr><th scope="col">Time</th><th scope="col">Host</th><th scope="col">Paths</th><th scope="col" class="n">Files</th><th scope="col" class="n hide-s">Uploaded</th></tr></thead>`
      + `<tbody>${rows.join('')}</tbody></table></div></section>`;
  });
  const intro = `<h1>Timeline</h1><p class="actions"><a href="/latest/">Browse the latest snapshot</a><a href="/history/">Every version of every path</a></p>`
    + `<p class="muted">${snapshots.length} snapshot${snapshots.length === 1 ? '' : 's'}; a day's link shows the newest snapshot by the end of that day.</p>`;
  return page('Timeline', crumbsFor([]), intro + sections.join(''), searchAction ? { searchAction } : {});
}
