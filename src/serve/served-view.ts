/**
 * The namespace `timefs serve` shows, on top of the mount's {@link MountSource}: the same names,
 * except that the top-level aliases (`latest`, day names), which the mount shows as symlinks,
 * are followed, so that clients without symlinks (WebDAV, browsers) see them as directories.
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

/** The view, with aliases followed and deadlines applied. */
export class ServedView {
  constructor(readonly source: MountSource, readonly timeoutMs: number) {}

  /** Resolves `shown` (following a top-level alias); throws `path.not-found` and friends. */
  async resolve(shown: readonly string[]): Promise<ServedNode> {
    return this.run('stat', shown, async (signal) => {
      let viewPath = shown;
      if (shown.length > 0) {
        const top = await this.source.getattr(shown.slice(0, 1), signal);
        if (top.type === 'symlink') {
          const target = Buffer.from(await this.source.readlink(shown.slice(0, 1), signal)).toString('utf8');
          viewPath = [target, ...shown.slice(1)];
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
        if (node.type === 'symlink' && dir.viewPath.length === 0) {
          const target = Buffer.from(await this.source.readlink(path, signal)).toString('utf8');
          return this.source.getattr([target], signal);
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

  /** Reads `[offset, offset+length)` of an open file under the deadline. */
  read(content: FileContent, shown: readonly string[], offset: number, length: number): Promise<Uint8Array> {
    return this.run('read', shown, (signal) => content.read(offset, length, signal));
  }

  private run<T>(op: string, shown: readonly string[], work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline(op, `/${shown.join('/')}`, this.timeoutMs, work);
  }
}
