import type { Command } from 'commander';
import { hashLocalFile, liveChildren, liveLinkTarget, liveNode, type LiveNode } from '../../backup/live-tree.js';
import { TimefsError } from '../../model/errors.js';
import type { TreeEntry } from '../../view/entry-decode.js';
import { entryAt, listerSide } from '../../view/path-states.js';
import type { SnapshotInfo } from '../../view/snapshot-catalogue.js';
import { mergingStoreOver, resolveView, targetAsSnapshot } from '../../view/snapshot-view.js';
import { diffIndexTexts, indexTextsOf } from '../../view/index-diff.js';
import { contentKey, diffTrees, type DiffChange, type DiffKind, type DiffNode, type DiffSide } from '../../view/tree-diff.js';
import { ChainVersionReader } from '../../view/version-reader.js';
import { addRangeOptions, historyOf, joinSegments, openSnapshots, pathArgSegments, sourcesJson, type RangeFlags } from '../history-options.js';
import { modeString } from '../listing-format.js';
import { nameJson, quotePath } from '../quote-name.js';
import { addRepoOptions } from '../repo-options.js';
import { MAX_TEXT_DIFF_BYTES, unifiedDiff } from '../unified-diff.js';
import { entryAttributes } from './log.js';
import type { CommandModule } from './index.js';

interface DiffFlags extends RangeFlags {
  live?: boolean;
  content?: boolean;
  rehash?: boolean;
}

const MARK: Record<DiffKind, string> = { added: '+', removed: '-', modified: 'M', metadata: 'U', type: 'T' };
const EMPTY_DIR: DiffNode = { rawName: new Uint8Array(0), meta: { type: 'dir', mode: 0, uid: 0, gid: 0, mtime: '0', size: 0 } };

/** `timefs diff A B [PATH]` and `timefs diff A --live [PATH]`. */
export const diffCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('diff')
      .description('what changed between two snapshots, or between a snapshot and the files on disk now (--live)')
      .argument('<A>', 'the older side: latest, a snapshot name, or a day YYYY-MM-DD')
      .argument('[B]', 'the newer side (with --live: the PATH instead)')
      .argument('[PATH]', 'limit the comparison to this absolute path')
      .option('--live', 'compare snapshot A with the files on disk now (only files whose size or mtime differ are read)')
      .option('--rehash', 'with --live: read and hash every file, whatever its size and mtime say')
      .option('--content', 'add a unified diff for changed text files')
      .option('--json', 'print JSON: {before, after, changes: [{kind, path, before?, after?}], counts}')
      .addHelpText('after', `
Marks: + added, - removed, M modified (content), U metadata only (mode, owner, mtime),
T type changed (e.g. a file became a directory). Directories that are identical in both
snapshots (same cap) are skipped without being listed.

Examples:
  timefs diff 2009-01-09 2009-01-10 --repo backups:
  timefs diff 2009-01-09 latest /etc --content
  timefs diff latest --live /home/me/docs
  timefs diff latest --live --json | jq -r '.changes[] | select(.kind=="modified") | .path'
`);
    addRangeOptions(cmd, false);
    addRepoOptions(cmd);
    cmd.action(async (a: string, b: string | undefined, pathArg: string | undefined, flags: DiffFlags & Record<string, unknown>) => {
      if (flags.live && pathArg !== undefined) throw new TimefsError('usage', 'with --live give one snapshot and at most one PATH');
      if (!flags.live && b === undefined) throw new TimefsError('usage', 'give two snapshots to compare, or one with --live', { hint: 'e.g. timefs diff 2009-01-09 latest' });
      const { repo: grid, all } = await openSnapshots(flags);
      // latest and days are merged views of every source (docs/format.md, "Several sources").
      const repo = { ...grid, store: mergingStoreOver(grid.store, all) };
      const utc = { utc: flags.utc === true };
      const before = targetAsSnapshot(resolveView(all, a, utc));
      const after = flags.live ? undefined : targetAsSnapshot(resolveView(all, b as string, utc));
      // Two snapshots with indexes, compared whole: the lines that differ are the changes.
      const texts = after && pathArg === undefined && flags.index !== false ? await indexTextsOf(repo.store, repo.indexCap, [before, after]) : undefined;
      const history = texts ? undefined : await historyOf(repo, after ? [before, after] : [before], flags);
      const reader = new ChainVersionReader(repo.store);
      const gridBytes = async (node: DiffNode, path: readonly Uint8Array[], snapshot: string): Promise<Uint8Array> => {
        const chunks: Uint8Array[] = [];
        for await (const c of reader.readVerified(node as TreeEntry, { path: quotePath(joinSegments(path)), snapshot })) chunks.push(c);
        return Buffer.concat(chunks);
      };
      const roots = flags.live ? livePaths(before, flags.live && b !== undefined ? b : undefined) : [pathArg === undefined ? [] : pathArgSegments(pathArg)];
      const changes: DiffChange[] = [];
      const counts: Record<DiffKind, number> = { added: 0, removed: 0, modified: 0, metadata: 0, type: 0 };
      const out: string[] = [];
      const emit = async (change: DiffChange): Promise<void> => {
        counts[change.kind]++;
        if (flags.json) {
          changes.push(change);
          return;
        }
        process.stdout.write(`${MARK[change.kind]}    ${quotePath(joinSegments(change.path))}${detail(change)}\n`);
        if (flags.content && change.kind === 'modified' && change.before?.meta.type === 'file' && change.before.meta.size <= MAX_TEXT_DIFF_BYTES && (change.after?.meta.size ?? 0) <= MAX_TEXT_DIFF_BYTES) {
          const shown = quotePath(joinSegments(change.path));
          const left = await gridBytes(change.before, change.path, before.name);
          const right = after ? await gridBytes(change.after as DiffNode, change.path, after.name) : await readLive(change.after as LiveNode);
          process.stdout.write(await unifiedDiff(left, right, `${before.name}${shown}`, `${after?.name ?? 'live'}${shown}`));
        }
      };
      if (texts) for (const change of await diffIndexTexts(texts[0], texts[1])) await emit(change);
      for (const segments of history ? roots : []) {
        const side = listerSide(history!.lister);
        const left = await gridRoot(history!.lister, before, segments);
        let right: DiffNode | undefined;
        let rightSide: DiffSide = side;
        const options: Parameters<typeof diffTrees>[3] = {};
        if (after) right = await gridRoot(history!.lister, after, segments);
        else {
          right = await liveNode(joinSegments(segments));
          rightSide = { children: (dir) => liveChildren(dir as LiveNode) };
          options.sameContent = (x, y, path) => liveSameContent(x, y as LiveNode, flags.rehash === true, () => gridBytes(x, path, before.name));
        }
        if (!left && !right) throw new TimefsError('path.not-found', `${quotePath(joinSegments(segments))} is in neither side`);
        for await (const change of diffTrees(left ?? EMPTY_DIR, right ?? EMPTY_DIR, { before: side, after: rightSide }, options)) {
          await emit({ ...change, path: [...segments, ...change.path] });
        }
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ before: before.name, after: after?.name ?? 'live', changes: changes.map(changeJson), counts, sources: history ? sourcesJson(history) : { indexed: 2, fromTrees: 0 } }, null, 2)}\n`);
        return;
      }
      out.push(`${counts.added} added, ${counts.removed} removed, ${counts.modified} modified, ${counts.metadata} metadata only, ${counts.type} type changed`);
      process.stderr.write(`${out.join('\n')}\n`);
    });
  },
};

/** Which paths `--live` compares: the one given, else the snapshot's source paths. */
function livePaths(snapshot: SnapshotInfo, pathArg: string | undefined): Uint8Array[][] {
  if (pathArg !== undefined) {
    if (!pathArg.startsWith('/')) throw new TimefsError('usage', `--live needs an absolute path, got ${pathArg}`);
    return [pathArgSegments(pathArg)];
  }
  if (snapshot.paths.length === 0) throw new TimefsError('usage', `snapshot ${snapshot.name} records no source paths`, { hint: 'give the PATH to compare' });
  return snapshot.paths.map((p) => pathArgSegments(p));
}

async function gridRoot(lister: Parameters<typeof entryAt>[0], snapshot: SnapshotInfo, segments: readonly Uint8Array[]): Promise<DiffNode | undefined> {
  const entry = await entryAt(lister, snapshot.cap, segments);
  return entry ? { ...entry, key: contentKey(entry) } : undefined;
}

async function liveSameContent(grid: DiffNode, live: LiveNode, rehash: boolean, gridContent: () => Promise<Uint8Array>): Promise<boolean> {
  if (grid.meta.type === 'symlink') return Buffer.from(await gridContent()).equals(await liveLinkTarget(live));
  if (!rehash && grid.meta.size === live.meta.size && grid.meta.mtime === live.meta.mtime) return true;
  if (grid.meta.hash === undefined) return false;
  return (await hashLocalFile(live.localPath)) === grid.meta.hash;
}

async function readLive(node: LiveNode): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  return readFile(node.localPath);
}

function detail(change: DiffChange): string {
  const a = change.before?.meta;
  const b = change.after?.meta;
  if (change.kind === 'type' && a && b) return `  (${a.type} → ${b.type})`;
  if (change.kind === 'metadata' && a && b) {
    const parts: string[] = [];
    if (a.mode !== b.mode) parts.push(`${modeString(a)} → ${modeString(b)}`);
    if (a.uid !== b.uid || a.gid !== b.gid) parts.push(`owner ${a.uid}:${a.gid} → ${b.uid}:${b.gid}`);
    if (a.mtime !== b.mtime) parts.push('mtime');
    return parts.length ? `  (${parts.join(', ')})` : '';
  }
  if (change.kind === 'modified' && a && b && a.size !== b.size) return `  (${a.size} → ${b.size} bytes)`;
  return '';
}

function changeJson(change: DiffChange): Record<string, unknown> {
  const p = nameJson(joinSegments(change.path));
  const attrs = (n: DiffNode | undefined): Record<string, unknown> | undefined => (n ? entryAttributes(n as TreeEntry) : undefined);
  return { kind: change.kind, path: p.name, ...(p.rawName ? { rawPath: p.rawName } : {}), ...(change.before ? { before: attrs(change.before) } : {}), ...(change.after ? { after: attrs(change.after) } : {}) };
}
