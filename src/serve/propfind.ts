/**
 * WebDAV class 1 PROPFIND for a read-only tree (RFC 4918 §9.1): the request body (allprop,
 * propname or a prop list) is parsed, and every response lists the live properties we have.
 * Unknown requested properties come back in a 404 propstat, as the RFC asks.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { MountNode } from '../view/mount-source.js';
import { contentTypeFor } from './content-type.js';
import { etagOf, lastModifiedOf } from './content.js';

/** What a PROPFIND body asks for. */
export type PropRequest = { kind: 'allprop' } | { kind: 'propname' } | { kind: 'prop'; names: Array<{ ns: string; local: string }> };

/** Thrown for a body that is not well-formed XML or not a propfind element. */
export class BadPropfindBody extends Error {}

/** Parses a PROPFIND body; an empty body means allprop. */
export function parsePropfind(body: string): PropRequest {
  if (body.trim() === '') return { kind: 'allprop' };
  if (XMLValidator.validate(body) !== true) throw new BadPropfindBody('the PROPFIND body is not well-formed XML');
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', preserveOrder: true, ignoreDeclaration: true });
  const doc = parser.parse(body) as XmlNode[];
  const root = doc.find((n) => Object.keys(n).some((k) => !k.startsWith(':') && k !== '#text'));
  if (!root) throw new BadPropfindBody('the PROPFIND body has no root element');
  const scope = namespaces(root, new Map());
  const [rootName] = elementName(root);
  const rootQ = qualify(rootName, scope);
  if (rootQ.ns !== 'DAV:' || rootQ.local !== 'propfind') throw new BadPropfindBody('the PROPFIND body must be a DAV: propfind element');
  for (const child of children(root, rootName)) {
    const [name] = elementName(child);
    const childScope = namespaces(child, scope);
    const q = qualify(name, childScope);
    if (q.ns !== 'DAV:') continue;
    if (q.local === 'allprop') return { kind: 'allprop' };
    if (q.local === 'propname') return { kind: 'propname' };
    if (q.local === 'prop') {
      return { kind: 'prop', names: children(child, name).map((p) => qualify(elementName(p)[0], namespaces(p, childScope))) };
    }
  }
  throw new BadPropfindBody('the PROPFIND body names no allprop, propname or prop');
}

type XmlNode = Record<string, unknown> & { ':@'?: Record<string, string> };

function elementName(node: XmlNode): [string] {
  return [Object.keys(node).find((k) => k !== ':@' && k !== '#text') ?? ''];
}

function children(node: XmlNode, name: string): XmlNode[] {
  const list = node[name];
  return Array.isArray(list) ? (list as XmlNode[]).filter((n) => elementName(n)[0] !== '') : [];
}

function namespaces(node: XmlNode, parent: Map<string, string>): Map<string, string> {
  const attrs = node[':@'];
  if (!attrs) return parent;
  const scope = new Map(parent);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === '@xmlns') scope.set('', value);
    else if (key.startsWith('@xmlns:')) {
      if (value === '') throw new BadPropfindBody('an XML namespace prefix is bound to the empty name');
      scope.set(key.slice(7), value);
    }
  }
  return scope;
}

function qualify(name: string, scope: Map<string, string>): { ns: string; local: string } {
  const colon = name.indexOf(':');
  const prefix = colon < 0 ? '' : name.slice(0, colon);
  const local = colon < 0 ? name : name.slice(colon + 1);
  const ns = scope.get(prefix);
  if (ns === undefined && prefix !== '') throw new BadPropfindBody(`the XML namespace prefix ${prefix} is not declared`);
  return { ns: ns ?? '', local };
}

/** Escapes text for XML; characters XML 1.0 cannot hold become U+FFFD. */
export function xmlText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** One resource of a multistatus answer. */
export interface DavResource {
  href: string;
  name: string;
  node: MountNode;
}

const LIVE = ['resourcetype', 'displayname', 'getcontentlength', 'getlastmodified', 'creationdate', 'getetag', 'getcontenttype', 'supportedlock', 'lockdiscovery'] as const;

function liveValue(prop: (typeof LIVE)[number], r: DavResource): string | undefined {
  const dir = r.node.type === 'dir';
  switch (prop) {
    case 'resourcetype': return dir ? '<D:collection/>' : '';
    case 'displayname': return xmlText(r.name);
    case 'getcontentlength': return dir ? undefined : String(r.node.size);
    case 'getlastmodified': return lastModifiedOf(r.node);
    case 'creationdate': return new Date(Number(r.node.mtimeNs / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, 'Z');
    case 'getetag': return dir ? undefined : etagOf(r.node);
    case 'getcontenttype': return dir ? 'httpd/unix-directory' : contentTypeFor(r.name);
    case 'supportedlock': return '';
    case 'lockdiscovery': return '';
  }
}

/** The `<D:response>` of one resource. */
export function davResponse(r: DavResource, request: PropRequest): string {
  const found: string[] = [];
  const missing: string[] = [];
  if (request.kind === 'prop') {
    for (const { ns, local } of request.names) {
      const value = ns === 'DAV:' && (LIVE as readonly string[]).includes(local) ? liveValue(local as (typeof LIVE)[number], r) : undefined;
      const tag = ns === 'DAV:' ? `D:${local}` : `X:${local}`;
      const decl = ns === 'DAV:' ? '' : ` xmlns:X="${xmlText(ns)}"`;
      if (value === undefined) missing.push(`<${tag}${decl}/>`);
      else found.push(value === '' ? `<${tag}${decl}/>` : `<${tag}${decl}>${value}</${tag}>`);
    }
  } else {
    for (const prop of LIVE) {
      const value = liveValue(prop, r);
      if (value === undefined) continue;
      found.push(request.kind === 'propname' || value === '' ? `<D:${prop}/>` : `<D:${prop}>${value}</D:${prop}>`);
    }
  }
  const stat = (props: string[], status: string): string => (props.length ? `<D:propstat><D:prop>${props.join('')}</D:prop><D:status>HTTP/1.1 ${status}</D:status></D:propstat>` : '');
  return `<D:response><D:href>${xmlText(r.href)}</D:href>${stat(found, '200 OK')}${stat(missing, '404 Not Found')}</D:response>\n`;
}

/** The opening and closing of a multistatus document. */
export const MULTISTATUS_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">\n';
export const MULTISTATUS_TAIL = '</D:multistatus>\n';
