/**
 * The namespace `timefs serve` shows, on top of the mount's {@link MountSource}: the same names,
 * except that the time aliases (`latest`, day names, at the top level and in `hosts/<host>/`),
 * which the mount shows as symlinks, are followed, so that clients without symlinks (WebDAV, browsers) see them as directories.
 * Every call runs under the serve deadline.
 */
import { withDeadline } from '../fs/deadline.js';
import type { DirChild, FileContent, MountNode, MountSource } from '../view/mount-source.js';

/** A request path resolved against the view. */
export interface ServedNode {
  /** The path as the client named it. */
  shown: readonly string[];
  /** The view path (the alias replaced by its snapshot). */
  viewPath: readonly string[];
  node: MountNode;
}

/** How many leading names of `path` select a scope: 0 for the whole repository, 2 for `hosts/<host>/`. */
function scopeLength(path: readonly string[]): number {
  return path[0] === 'hosts' && path.length >= 3 ? 2 : 0;
}

/** `path` split into its scope (`[]` or `['hosts', host]`) and the path inside that scope. */
export function splitScope(path: readonly string[]): { scope: string[]; inner: string[] } {
  const n = path[0] === 'hosts' && path.length >= 2 ? 2 : 0;
  return { scope: path.slice(0, n), inner: path.slice(n) };
}

/** True for a directory whose symlinks are time aliases (`latest`, days): the root and `hosts/<host>/`. */
function isScopeRoot(path: readonly string[]): boolean {
  return path.length === 0 || (path.length === 2 && path[0] === 'hosts');
}

/** The view, with aliases followed and deadlines applied. */
export class ServedView {
  constructor(readonly source: MountSource, readonly timeoutMs: number) {}

  /** Resolves `shown` (following a top-level alias); throws `path.not-found` and friends. */
  async resolve(shown: readonly string[]): Promise<ServedNode> {
    return this.run('stat', shown, async (signal) => {
      let viewPath = shown;
      const scope = scopeLength(shown);
      if (shown.length > scope) {
        const aliasPath = shown.slice(0, scope + 1);
        const top = await this.source.getattr(aliasPath, signal);
        if (top.type === 'symlink') {
          const target = Buffer.from(await this.source.readlink(aliasPath, signal)).toString('utf8');
          viewPath = [...shown.slice(0, scope), target, ...shown.slice(scope + 1)];
        }
      }
      return { shown, viewPath, node: await this.source.getattr(viewPath, signal) };
    });
  }

  /** The children of a resolved directory, each with its attributes (top-level aliases followed). */
  async children(dir: ServedNode): Promise<Array<{ child: DirChild; node: MountNode }>> {
    const list = await this.run('list', dir.shown, (signal) => this.source.readdir(dir.viewPath, signal));
    const out: Array<{ child: DirChild; node: MountNode }> = [];
    // Attributes come from cached listings, so a sequential pass is fast; batches keep memory flat.
    for (let i = 0; i < list.length; i += 256) {
      const batch = list.slice(i, i + 256);
      const nodes = await this.run('stat', dir.shown, (signal) => Promise.all(batch.map(async (child) => {
        if (child.attrs) return child.attrs;
        const path = [...dir.viewPath, child.name];
        const node = await this.source.getattr(path, signal);
        if (node.type === 'symlink' && isScopeRoot(dir.viewPath)) {
          const target = Buffer.from(await this.source.readlink(path, signal)).toString('utf8');
          return this.source.getattr([...dir.viewPath, target], signal);
        }
        return node;
      })));
      batch.forEach((child, j) => out.push({ child, node: nodes[j] as MountNode }));
    }
    return out;
  }

  /** Opens a resolved regular file. */
  open(file: ServedNode): Promise<FileContent> {
    return this.run('open', file.shown, (signal) => this.source.open(file.viewPath, signal));
  }

  /** The target of a symlink inside a snapshot, as exact bytes. */
  readlink(link: ServedNode): Promise<Uint8Array> {
    return this.run('readlink', link.shown, (signal) => this.source.readlink(link.viewPath, signal));
  }

  /** The whole content of a (small) file in one read, hash-checked by the view. */
  async readWhole(file: ServedNode): Promise<Uint8Array> {
    const content = await this.open(file);
    try {
      return await this.read(content, file.shown, 0, file.node.size);
    } finally {
      content.close();
    }
  }

  /** Reads `[offset, offset+length)` of an open file under the deadline. */
  read(content: FileContent, shown: readonly string[], offset: number, length: number): Promise<Uint8Array> {
    return this.run('read', shown, (signal) => content.read(offset, length, signal));
  }

  private run<T>(op: string, shown: readonly string[], work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline(op, `/${shown.join('/')}`, this.timeoutMs, work);
  }
}
