import { Option, type Command } from 'commander';
import { redactCaps } from '../../model/cap.js';
import { TimefsError } from '../../model/errors.js';
import { isLoopback, readAccessFile, type AccessSecret } from '../../serve/access.js';
import { createSearch } from '../../serve/search.js';
import { createServer } from '../../serve/server.js';
import { GridSnapshotCatalogue } from '../../view/snapshot-catalogue.js';
import { parseByteSize } from '../byte-size-option.js';
import { EXIT } from '../exit-codes.js';
import { integerOption } from '../options.js';
import { addRepoOptions } from '../repo-options.js';
import { openRepoView } from '../repo-view.js';
import type { CommandModule } from './index.js';

interface ServeOptions extends Record<string, unknown> {
  listen: string;
  port: number;
  authFile?: string;
  utc?: boolean;
  cacheSize: number;
  timeout: number;
  refresh: number;
  maxRequests: number;
  accessLog?: boolean;
  json?: boolean;
}

function log(line: string): void {
  process.stderr.write(`${redactCaps(line)}\n`);
}

/** `timefs serve`: the whole history over HTTP, as web pages and read-only WebDAV. */
export const serveCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command('serve')
      .description('serve every snapshot over HTTP: web pages for a browser and read-only WebDAV for file managers (foreground; Ctrl-C stops)')
      .option('--listen <ADDRESS>', 'address to listen on; anything but loopback needs --auth-file', '127.0.0.1')
      .option('--port <PORT>', 'TCP port (0 picks a free one)', integerOption('--port', 0, 65535), 8080)
      .option('--auth-file <FILE>', 'require HTTP Basic authentication with the user:password (or token) in FILE (mode 600)')
      .option('--utc', 'day names (2009-01-09) follow UTC instead of the local time zone')
      .addOption(new Option('--cache-size <SIZE>', 'memory for cached file content and deltas, e.g. 256M').argParser(parseByteSize).default(64 << 20, '64M'))
      .option('--timeout <SECONDS>', 'a grid request slower than this fails the HTTP request with 504', integerOption('--timeout', 1, 3600), 30)
      .option('--refresh <SECONDS>', 'how often the snapshot list is re-read, so new pushes appear', integerOption('--refresh', 1, 3600), 30)
      .option('--max-requests <N>', 'requests handled at once; more get 503 Retry-After', integerOption('--max-requests', 1, 10_000), 64)
      .option('--no-index', 'list directories, versions and search results from the snapshot trees only, not from the metadata indexes')
      .option('--access-log', 'print one line per request on stderr (method, path, status, time)')
      .option('--json', 'print one JSON line {"url", "snapshots"} on stdout once it listens')
      .addHelpText('after', [
        '',
        'Layout (as in `timefs mount`): / is the timeline; /latest/ and /2009-01-09/ (newest snapshot by',
        'the end of that day) are followed to their snapshot; /2009-01-09T01:49:00Z/PATH; /history/PATH/',
        'holds one entry per version of PATH. In a browser: FILE?view shows versions and diffs,',
        'FILE?download downloads, DIR/?download=zip or DIR/?download=tar downloads a directory.',
        'Only a read cap is needed: --repo URI:DIR2-RO:... works. Caps never appear in URLs or logs.',
        '',
        'Examples:',
        '  timefs serve --repo backups:                                   # http://127.0.0.1:8080/',
        '  rclone copy :webdav,url=http://127.0.0.1:8080:latest/home/me/docs ./docs-copy',
        '  timefs serve --repo backups: --listen 0.0.0.0 --auth-file ~/.config/timefs/serve-auth',
        '',
      ].join('\n'));
    addRepoOptions(cmd);
    cmd.action(async (opts: ServeOptions) => {
      let secret: AccessSecret | undefined;
      if (opts.authFile) secret = await readAccessFile(opts.authFile);
      else if (!isLoopback(opts.listen)) {
        throw new TimefsError('usage', `listening on ${opts.listen} needs an access control`, {
          hint: 'pass --auth-file FILE holding user:password (chmod 600 FILE), or listen on 127.0.0.1 behind a reverse proxy (see docs/serve.md)',
        });
      }
      const { repo, view, indexes } = await openRepoView(opts, log);
      const top = await view.readdir([]); // an unreachable grid or a wrong cap fails here, not on the first request
      const catalogue = new GridSnapshotCatalogue(repo.store, repo.snapshotsCap);
      const app = createServer({
        source: view,
        catalogue,
        search: createSearch(indexes, catalogue),
        zone: opts.utc ? 'utc' : 'local',
        timeoutMs: opts.timeout * 1000,
        maxRequests: opts.maxRequests,
        ...(secret ? { secret } : {}),
        accessLog: opts.accessLog === true,
        log,
      });
      try {
        await app.listen({ host: opts.listen, port: opts.port });
      } catch (err) {
        throw new TimefsError('config', `cannot listen on ${opts.listen}:${opts.port}: ${(err as Error).message}`, { cause: err, hint: 'pick another --port, or stop what uses this one' });
      }
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : opts.port;
      const host = opts.listen.includes(':') ? `[${opts.listen}]` : opts.listen;
      const url = `http://${host}:${port}/`;
      const snapshots = top.filter((child) => child.name.includes('T')).length;
      if (opts.json) process.stdout.write(`${JSON.stringify({ url, snapshots })}\n`);
      log(`timefs: serving ${snapshots} snapshot${snapshots === 1 ? '' : 's'} at ${url}${secret ? ' (authentication required)' : ''} (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          app.close().then(resolve, resolve);
          setTimeout(resolve, 5_000).unref();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      log('timefs: stopped serving');
      process.exitCode = EXIT.ok;
    });
  },
};
