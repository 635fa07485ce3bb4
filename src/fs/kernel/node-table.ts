/**
 * The kernel's node ids and what they name. The kernel refers to files by the node id a LOOKUP
 * answered, and says with FORGET when it no longer holds one; the table keeps a node only while
 * the kernel holds it, so its size follows the kernel's dentry cache, not the size of the backups.
 * Each node stores its parent and its own name, never a whole path.
 */
import { ROOT_NODE_ID } from './fuse-abi.js';

interface Node {
  parent: number;
  name: string;
  /** The raw name bytes the kernel knows this node by (for cache invalidation). */
  raw: Uint8Array;
  lookups: number;
}

/** Node ids ↔ (parent, name), with the kernel's lookup counts. */
export class NodeTable {
  private readonly nodes = new Map<number, Node>();
  private readonly byParentAndName = new Map<string, number>();
  private nextId = ROOT_NODE_ID + 1;

  /** Nodes the kernel holds (the root not counted). */
  get size(): number {
    return this.nodes.size;
  }

  /** The names from the root to `nodeId`, or undefined for an id the kernel should not know. */
  pathOf(nodeId: number): string[] | undefined {
    const names: string[] = [];
    let id = nodeId;
    while (id !== ROOT_NODE_ID) {
      const node = this.nodes.get(id);
      if (!node) return undefined;
      names.push(node.name);
      id = node.parent;
    }
    return names.reverse();
  }

  /** The node id for `name` under `parent`, counting one more kernel reference to it. */
  remember(parent: number, name: string, raw: Uint8Array): number {
    const key = `${parent}/${name}`;
    const known = this.byParentAndName.get(key);
    if (known !== undefined) {
      const node = this.nodes.get(known) as Node;
      node.lookups++;
      return known;
    }
    const id = this.nextId++;
    this.nodes.set(id, { parent, name, raw, lookups: 1 });
    this.byParentAndName.set(key, id);
    return id;
  }

  /** Drops `count` kernel references to `nodeId`; the node goes when none remain. */
  forget(nodeId: number, count: number): void {
    const node = this.nodes.get(nodeId);
    if (!node) return;
    node.lookups -= count;
    if (node.lookups > 0) return;
    this.nodes.delete(nodeId);
    const key = `${node.parent}/${node.name}`;
    if (this.byParentAndName.get(key) === nodeId) this.byParentAndName.delete(key);
  }

  /**
   * Up to `count` of the oldest nodes as `(parent, raw name)` pairs, for asking the kernel to drop
   * them from its cache (it then sends FORGET, which shrinks this table). Dropping a directory
   * drops the unused part of its cached subtree with it.
   */
  oldest(count: number): Array<{ parent: number; raw: Uint8Array }> {
    const out: Array<{ parent: number; raw: Uint8Array }> = [];
    for (const node of this.nodes.values()) {
      if (out.length >= count) break;
      out.push({ parent: node.parent, raw: node.raw });
    }
    return out;
  }
}
