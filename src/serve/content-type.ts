/** Content types by file name extension, for the few kinds a browser shows inline; else octet-stream. */
const TYPES: Record<string, string> = {
  txt: 'text/plain; charset=utf-8', md: 'text/plain; charset=utf-8', log: 'text/plain; charset=utf-8', csv: 'text/csv; charset=utf-8',
  json: 'application/json', xml: 'application/xml', pdf: 'application/pdf', zip: 'application/zip', gz: 'application/gzip',
  tar: 'application/x-tar', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  svg: 'image/svg+xml', mp3: 'audio/mpeg', mp4: 'video/mp4', webm: 'video/webm', odt: 'application/vnd.oasis.opendocument.text',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

/**
 * The Content-Type served for `name`. HTML and scripts are served as plain text on purpose: a
 * backed-up page must never run in the origin of the server that shows the backups.
 */
export function contentTypeFor(name: string): string {
  const dot = name.lastIndexOf('.');
  if (dot < 0) return 'application/octet-stream';
  const ext = name.slice(dot + 1).toLowerCase();
  if (ext === 'html' || ext === 'htm' || ext === 'js' || ext === 'mjs' || ext === 'css') return 'text/plain; charset=utf-8';
  return TYPES[ext] ?? 'application/octet-stream';
}
