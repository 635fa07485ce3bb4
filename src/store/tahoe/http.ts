/**
 * The HTTP layer of the Tahoe client (the only place that uses got): every request has timeouts,
 * failures become typed errors, and transient failures are retried with backoff where that is safe.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import got, { type Headers } from 'got';
import { TimefsError } from '../../model/errors.js';
import { noteAnswer as noteAnswerTime } from '../answer-times.js';
import { errorFromNetwork, errorFromResponse, isRetryable, wasRefused } from './errors.js';

/** Settings of the HTTP layer. */
export interface HttpSettings {
  /** Base URL of the client node, e.g. `http://127.0.0.1:3456/`. */
  nodeUrl: string;
  /** Idle time after which a request counts as hung (no bytes moving), and the wait for an answer. */
  timeoutMs: number;
  /** Extra attempts for retryable failures. */
  retries: number;
  /** First backoff delay; doubles on each retry. */
  retryDelayMs: number;
}

/** One request to the node. */
export interface TahoeRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Path below the node URL, already percent-encoded (e.g. `uri/URI%3ACHK%3A…`). */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** A Buffer is replayable; a stream body is sent once and never retried. */
  body?: Buffer | string | (() => Readable);
  /** Describes the operation for messages, caps already redacted. */
  what: string;
  /** Repeating it cannot change the outcome (reads, convergent uploads). */
  idempotent: boolean;
  /** Extra time the node may legitimately stay silent (it answers an upload only after storing it all). */
  extraWaitMs?: number;
  /** Never repeat (e.g. a one-shot stream body). */
  once?: boolean;
  signal?: AbortSignal | undefined;
}

/** A complete answer. */
export interface TahoeResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

/**
 * Web-API requests sent by this process, by kind (`PUT uri`, `POST mkdir-immutable`, `GET range`,
 * …), retries included: what `push --json` and `restore --json` report and the benchmarks compare.
 */
export const requestTally: Record<string, number> = {};

function tally(req: TahoeRequest): void {
  const t = req.query?.t;
  const kind = t ? `${req.method} ${t}` : req.headers?.range ? `${req.method} range` : `${req.method} ${req.path.startsWith('uri/') ? 'uri/CAP' : req.path}`;
  requestTally[kind] = (requestTally[kind] ?? 0) + 1;
}

/** Records how quickly a read answered, and whether the node needed the grid for it. */
function noteAnswer(req: TahoeRequest, timings: { phases?: { firstByte?: number | undefined } } | undefined): void {
  const ms = timings?.phases?.firstByte;
  // A PUT or POST waits for its upload; t=readonly-uri and literal caps (data inside the cap) are
  // answered from the node's memory.
  if (req.method !== 'GET' || ms === undefined) return;
  noteAnswerTime(ms, req.query?.t === 'readonly-uri' || /LIT(%3A|:)/.test(req.path));
}

/** Sends requests to one Tahoe client node. */
export class TahoeHttp {
  readonly nodeUrl: string;

  constructor(readonly settings: HttpSettings) {
    this.nodeUrl = settings.nodeUrl.endsWith('/') ? settings.nodeUrl : `${settings.nodeUrl}/`;
  }

  /** The absolute URL of a request. */
  url(path: string, query?: Record<string, string>): string {
    const qs = query ? new URLSearchParams(query).toString() : '';
    return `${this.nodeUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  /** Send a request and read the whole answer; non-2xx answers throw typed errors. */
  async request(req: TahoeRequest): Promise<TahoeResponse> {
    return this.withRetries(req, async () => {
      tally(req);
      const body = typeof req.body === 'function' ? req.body() : req.body;
      let res;
      try {
        res = await got(this.url(req.path, req.query), {
          method: req.method,
          headers: { accept: 'text/plain', ...req.headers },
          ...(body === undefined ? {} : { body }),
          responseType: 'buffer',
          throwHttpErrors: false,
          followRedirect: false,
          decompress: false,
          retry: { limit: 0 },
          timeout: this.timeouts(req.extraWaitMs),
          ...(req.signal ? { signal: req.signal } : {}),
        });
      } catch (err) {
        throw this.networkError(err, req);
      }
      if (res.statusCode >= 300) throw errorFromResponse(res.statusCode, res.body.toString('utf8'), req.what);
      noteAnswer(req, res.timings);
      return { status: res.statusCode, headers: res.headers, body: res.body };
    });
  }

  /**
   * Open a streaming request (no body): resolves once the status line is in (errors are thrown then),
   * with the body as an async iterable that must be consumed.
   */
  async openStream(req: TahoeRequest): Promise<{ status: number; headers: Headers; body: AsyncIterable<Buffer> }> {
    return this.withRetries(req, async () => {
      tally(req);
      const stream = got.stream(this.url(req.path, req.query), {
        method: req.method,
        headers: { accept: 'text/plain', ...req.headers },
        throwHttpErrors: false,
        decompress: false,
        retry: { limit: 0 },
        timeout: this.timeouts(),
        ...(req.signal ? { signal: req.signal } : {}),
      });
      // A streamed request with a method that may carry a body waits for one: send none.
      if (req.method !== 'GET') stream.end();
      const response = await new Promise<{ statusCode: number; headers: Headers; timings?: { phases?: { firstByte?: number } } }>((resolve, reject) => {
        stream.once('response', resolve);
        stream.once('error', reject);
      }).catch((err: unknown) => {
        stream.destroy();
        throw this.networkError(err, req);
      });
      if (response.statusCode >= 300) {
        const chunks: Buffer[] = [];
        try {
          for await (const chunk of stream) chunks.push(chunk as Buffer);
        } catch { /* the status is what matters */ }
        throw errorFromResponse(response.statusCode, Buffer.concat(chunks).toString('utf8'), req.what);
      }
      noteAnswer(req, response.timings);
      const networkError = (err: unknown) => this.networkError(err, req);
      async function* body(): AsyncIterable<Buffer> {
        try {
          for await (const chunk of stream) yield chunk as Buffer;
        } catch (err) {
          throw networkError(err);
        } finally {
          stream.destroy();
        }
      }
      return { status: response.statusCode, headers: response.headers, body: body() };
    });
  }

  /** Run one attempt, repeating it after retryable failures with exponential backoff. */
  async withRetries<T>(req: Pick<TahoeRequest, 'idempotent' | 'signal' | 'once'>, attempt: () => Promise<T>): Promise<T> {
    let nodeRestarting = false;
    for (let i = 0; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        if (!(err instanceof TimefsError) || req.once || i >= this.settings.retries || req.signal?.aborted) throw err;
        if (!isRetryable(err, req.idempotent, nodeRestarting)) throw err;
        nodeRestarting ||= wasRefused(err);
        await sleep(this.settings.retryDelayMs * 2 ** i);
      }
    }
  }

  private timeouts(extraWaitMs = 0) {
    const t = this.settings.timeoutMs + extraWaitMs;
    // No total limit: big transfers may take long, but a silent socket or a late answer may not.
    return { connect: Math.min(this.settings.timeoutMs, 10_000), socket: t, response: t };
  }

  private networkError(err: unknown, req: Pick<TahoeRequest, 'what' | 'signal'>): TimefsError {
    if (req.signal?.aborted) return new TimefsError('aborted', `${req.what}: cancelled`, { cause: err });
    return errorFromNetwork(err, req.what, this.nodeUrl);
  }
}
