/**
 * GET and HEAD: the timeline at `/`, directory pages, file pages with versions and diffs, file
 * bytes (what WebDAV clients read), and directory downloads as `.zip` or `.tar`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SnapshotCatalogue } from '../view/snapshot-catalogue.js';
import { parseSnapshotName, type DayZone } from '../view/time-tree.js';
import { withDeadline } from '../fs/deadline.js';
import { tarStream, zipStream } from './archive.js';
import { sendFile } from './content.js';
import { directoryPage, type DirRow } from './pages/directory.js';
import { filePage, MAX_DIFF_BYTES, textOf, type DiffView, type FileVersion } from './pages/file.js';
import { searchPage } from './pages/search.js';
import { timelinePage } from './pages/timeline.js';
import type { SearchNames } from './search.js';
import type { RequestTarget } from './request-path.js';
import { splitScope, type ServedNode, type ServedView } from './served-view.js';

/** What the GET handler needs besides the view. */
export interface BrowseContext {
  view: ServedView;
  catalogue: SnapshotCatalogue;
  zone: DayZone;
  /** The search box's search, when there is one. */
  search?: SearchNames;
  /** Notices about failed downloads (the response is already under way). */
  log: (line: string) => void;
}

function sendHtml(reply: FastifyReply, html: string): void {
  reply.code(200).type('text/html; charset=utf-8').header('Cache-Control', 'private, no-cache')
    .header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'")
    .header('X-Content-Type-Options', 'nosniff').send(html);
}

/** Answers GET or HEAD of `target`. */
export async function answerGet(req: FastifyRequest, reply: FastifyReply, ctx: BrowseContext, target: RequestTarget): Promise<void> {
  const { segments, query } = target;
  const searchAction = ctx.search ? '/' : undefined;
  const q = query.get('q')?.trim();
  if (segments.length === 0 && q && ctx.search) {
    const search = ctx.search;
    return sendHtml(reply, searchPage(q, await withDeadline('search', q, ctx.view.timeoutMs, (signal) => search(q, signal))));
  }
  if (segments.length === 0 && !query.has('list')) {
    const snapshots = await withDeadline('list', 'snapshots', ctx.view.timeoutMs, (signal) => ctx.catalogue.list({ signal }));
    return sendHtml(reply, timelinePage(snapshots, ctx.zone, searchAction));
  }
  const served = await ctx.view.resolve(segments);
  const { node } = served;
  if (node.type === 'dir') {
    const format = query.get('download');
    if (format === 'zip' || format === 'tar') return sendArchive(req, reply, ctx, served, format);
    return sendHtml(reply, directoryPage(segments, await rowsOf(ctx.view, served), searchAction));
  }
  if (node.type === 'file') {
    if (query.has('view')) return sendHtml(reply, await fileView(ctx.view, served, query));
    return sendFile(req, reply, ctx.view, served, query.has('download'));
  }
  const detail = node.type === 'symlink' ? ` to ${Buffer.from(await ctx.view.readlink(served)).toString('utf8')}` : '';
  reply.code(404).type('text/plain; charset=utf-8').send(`/${segments.join('/')} is a ${node.type}${detail}; it has no content to download (the .tar of its directory holds it)\n`);
}

async function rowsOf(view: ServedView, dir: ServedNode): Promise<DirRow[]> {
  const rows: DirRow[] = [];
  for (const { child, node } of await view.children(dir)) {
    const row: DirRow = { child, node };
    if (node.type === 'symlink' && dir.viewPath.length > 0) {
      const link = { shown: [...dir.shown, child.name], viewPath: [...dir.viewPath, child.name], node };
      row.linkTarget = Buffer.from(await view.readlink(link)).toString('utf8');
    }
    rows.push(row);
  }
  return rows;
}

/** The path of a file inside snapshots: `/<snapshot>/PATH` → PATH, `/history/PATH/<version>` → PATH (in any scope). */
function pathInSnapshots(file: ServedNode): { scope: string[]; rest: string[] } {
  const { scope, inner } = splitScope(file.viewPath);
  return { scope, rest: inner[0] === 'history' ? inner.slice(1, -1) : inner.slice(1) };
}

async function fileView(view: ServedView, file: ServedNode, query: URLSearchParams): Promise<string> {
  const { scope, rest } = pathInSnapshots(file);
  const history = await view.resolve([...scope, 'history', ...rest]);
  const versions: FileVersion[] = (await view.children(history))
    .filter(({ node }) => node.type === 'file')
    .map(({ child, node }) => ({ name: child.name, node }))
    // by time, not by name: `…02.995Z` (a second push within one second) sorts before `…02Z` as text
    .sort((x, y) => (parseSnapshotName(x.name) ?? 0) - (parseSnapshotName(y.name) ?? 0) || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  const a = query.get('a');
  const b = query.get('b');
  let diff: DiffView | undefined;
  if (a && b) diff = await diffOf(view, [...scope, 'history', ...rest], versions, a, b);
  return filePage(file.shown, scope, rest, versions, diff);
}

async function diffOf(view: ServedView, historyDir: string[], versions: FileVersion[], a: string, b: string): Promise<DiffView> {
  const va = versions.find((v) => v.name === a);
  const vb = versions.find((v) => v.name === b);
  if (!va || !vb) return { kind: 'refused', a, b, reason: 'One of these versions does not exist; pick two from the list.' };
  if (va.node.size > MAX_DIFF_BYTES || vb.node.size > MAX_DIFF_BYTES) {
    return { kind: 'refused', a, b, reason: `Only versions up to ${MAX_DIFF_BYTES / 1024 / 1024} MiB are compared here; download both and compare them locally.` };
  }
  const [oldBytes, newBytes] = await Promise.all([va, vb].map((v) => view.readWhole({ shown: [...historyDir, v.name], viewPath: [...historyDir, v.name], node: v.node })));
  const oldText = textOf(oldBytes as Uint8Array);
  const newText = textOf(newBytes as Uint8Array);
  if (oldText === undefined || newText === undefined) return { kind: 'refused', a, b, reason: 'At least one of these versions is not text (UTF-8 without NUL bytes); download both to compare them.' };
  return { kind: 'text', a, b, oldText, newText };
}


function sendArchive(req: FastifyRequest, reply: FastifyReply, ctx: BrowseContext, dir: ServedNode, format: 'zip' | 'tar'): void {
  const rootName = dir.shown[dir.shown.length - 1] ?? 'timefs';
  const onError = (err: unknown): void => ctx.log(`timefs serve: the ${format} download of /${dir.shown.join('/')} stopped: ${err instanceof Error ? err.message : String(err)}`);
  reply.code(200).type(format === 'zip' ? 'application/zip' : 'application/x-tar')
    .header('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(`${rootName}.${format}`)}`).header('Cache-Control', 'private, no-cache');
  if (req.method === 'HEAD') return void reply.send();
  const stream = format === 'zip' ? zipStream(ctx.view, dir, rootName, onError) : tarStream(ctx.view, dir, rootName, onError);
  reply.raw.on('close', () => { if (!stream.destroyed) stream.destroy(); });
  reply.send(stream);
}
