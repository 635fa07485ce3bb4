/**
 * The kernel's node ids and what they name. The kernel refers to files by the node id a LOOKUP
 * answered, and says with FORGET when it no longer holds one; the table keeps a node only while
 * the kernel holds it, so its size follows the kernel's dentry cache, not the size of the backups.
 * Each node stores its parent and its own name, never a whole path.
 *
 * A node is keyed by its exact name bytes: a name looked up in two forms (its raw bytes and its
 * escaped text) is two kernel dentries, so it is two nodes, each able to be invalidated by the
 * name the kernel knows it by. Nodes are kept in least-recently-used order for eviction.
 */
import { ROOT_NODE_ID } from './fuse-abi.js';

interface Node {
  parent: number;
  /** The name view paths use for this node. */
  name: string;
  /** The raw name bytes the kernel knows this node by (for cache invalidation). */
  raw: Uint8Array;
  key: string;
  lookups: number;
}

/** Node ids ↔ (parent, name bytes), with the kernel's lookup counts, in least-recently-used order. */
export class NodeTable {
  /** Insertion order is use order: the first node is the least recently used. */
  private readonly nodes = new Map<number, Node>();
  private readonly byKey = new Map<string, number>();
  private nextId = ROOT_NODE_ID + 1;

  /** Nodes the kernel holds (the root not counted). */
  get size(): number {
    return this.nodes.size;
  }

  /** The kernel's lookup count of `nodeId` (0 when the table does not hold it). */
  lookupsOf(nodeId: number): number {
    return this.nodes.get(nodeId)?.lookups ?? 0;
  }

  /** Every held node id with its lookup count. */
  counts(): Map<number, number> {
    return new Map([...this.nodes].map(([id, node]) => [id, node.lookups]));
  }

  /**
   * The names from the root to `nodeId`, or undefined for an id the kernel should not know.
   * Counts as a use of the node and its ancestors.
   */
  pathOf(nodeId: number): string[] | undefined {
    const names: string[] = [];
    let id = nodeId;
    while (id !== ROOT_NODE_ID) {
      const node = this.nodes.get(id);
      if (!node) return undefined;
      this.touch(id, node);
      names.push(node.name);
      id = node.parent;
    }
    return names.reverse();
  }

  /** The node id for `raw` under `parent`, counting one more kernel reference to it. */
  remember(parent: number, name: string, raw: Uint8Array): number {
    const key = `${parent}/${Buffer.from(raw).toString('hex')}`;
    const known = this.byKey.get(key);
    if (known !== undefined) {
      const node = this.nodes.get(known) as Node;
      node.lookups++;
      this.touch(known, node);
      return known;
    }
    const id = this.nextId++;
    this.nodes.set(id, { parent, name, raw, key, lookups: 1 });
    this.byKey.set(key, id);
    return id;
  }

  /** Drops `count` kernel references to `nodeId`; the node goes when none remain. */
  forget(nodeId: number, count: number): void {
    const node = this.nodes.get(nodeId);
    if (!node) return;
    node.lookups -= count;
    if (node.lookups > 0) return;
    this.nodes.delete(nodeId);
    if (this.byKey.get(node.key) === nodeId) this.byKey.delete(node.key);
  }

  /**
   * Up to `count` of the least recently used nodes as `(parent, raw name)` pairs, for asking the
   * kernel to drop them from its cache (it then sends FORGET, which shrinks this table). Each
   * one moves to the back: a node the kernel keeps (it is in use) is not asked again and again
   * while others could go. Dropping a directory drops the unused part of its cached subtree.
   */
  evictionCandidates(count: number): Array<{ parent: number; raw: Uint8Array }> {
    const picked: Array<[number, Node]> = [];
    for (const entry of this.nodes) {
      if (picked.length >= count) break;
      picked.push(entry);
    }
    for (const [id, node] of picked) this.touch(id, node);
    return picked.map(([, node]) => ({ parent: node.parent, raw: node.raw }));
  }

  private touch(id: number, node: Node): void {
    this.nodes.delete(id);
    this.nodes.set(id, node);
  }
}
