import { channel } from "node:diagnostics_channel";
import { setTimeout as sleep } from "node:timers/promises";
import { RetryableError, UpstreamError } from "../core/errors";

/** Options of {@link upstreamFetch}. */
export interface UpstreamFetchOptions {
  /** Attempts after the first for 408/409/429/5xx and network errors. @default 3 */
  retries?: number;
  /** First backoff in ms, doubled each retry (a `retry-after` header wins). @default 250 */
  backoffMs?: number;
  /** Milliseconds before an unanswered call counts as failed. @default UPSTREAM_TIMEOUT_MS or 120000 */
  timeoutMs?: number;
}

/** The diagnostics channel every upstream answer, retry and failure is reported on (lambdas/metrics.ts counts them). */
export const upstreamChannel = "finops:upstream";

/** One answered, retried or failed upstream call (status 0: the upstream could not be reached). */
export interface UpstreamCall {
  provider: string;
  outcome: "ok" | "retry" | "error";
  status: number;
  /** From the request to the answer's headers (or the failure) of this attempt. */
  milliseconds: number;
}

const calls = channel(upstreamChannel);
const report = (provider: string, outcome: UpstreamCall["outcome"], status: number, started: number) => {
  if (calls.hasSubscribers) calls.publish({ provider, outcome, status, milliseconds: performance.now() - started });
};

const transient = (status: number): boolean => status === 408 || status === 409 || status === 429 || status >= 500;

/**
 * fetch against an upstream API, retrying transient failures with backoff. A transient failure that outlasts
 * the retries becomes a RetryableError (the state machine retries the whole task later); any other non-2xx
 * becomes an UpstreamError carrying the upstream's own message (the batch fails at once, with it).
 */
export const upstreamFetch = async (
  provider: string,
  url: string,
  init: RequestInit,
  options: UpstreamFetchOptions = {},
): Promise<Response> => {
  const retries = options.retries ?? 3;
  let delay = options.backoffMs ?? 250;
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    const started = performance.now();
    try {
      const timeoutMs = options.timeoutMs ?? (Number(process.env.UPSTREAM_TIMEOUT_MS) || 120_000);
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (cause) {
      if (attempt >= retries || init.body instanceof ReadableStream || isStream(init.body)) {
        report(provider, "error", 0, started);
        throw new RetryableError(
          `${provider} could not be reached: ${cause instanceof Error ? cause.message : cause}`,
          { cause },
        );
      }
      report(provider, "retry", 0, started);
      await sleep(delay);
      delay *= 2;
      continue;
    }
    if (response.ok) {
      report(provider, "ok", response.status, started);
      return response;
    }
    const text = await response.text();
    if (transient(response.status) && attempt < retries && !isStream(init.body)) {
      report(provider, "retry", response.status, started);
      const retryAfter = Number(response.headers.get("retry-after"));
      await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : delay);
      delay *= 2;
      continue;
    }
    report(provider, "error", response.status, started);
    const message = `${provider} answered ${response.status}: ${upstreamMessage(text)}`;
    throw transient(response.status) ? new RetryableError(message) : new UpstreamError(message);
  }
};

const isStream = (body: unknown): boolean => typeof body === "object" && body !== null && Symbol.asyncIterator in body;

/** The message of an upstream error body (OpenAI/Anthropic/Google/AWS shapes), or the body itself. */
const upstreamMessage = (text: string): string => {
  try {
    const body = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    if (typeof body.error === "object" && body.error?.message) return body.error.message;
    if (typeof body.error === "string") return body.error;
    if (body.message) return body.message;
  } catch {
    // not JSON
  }
  return text.slice(0, 500);
};

/** Bytes of a streamed request body are sent in pieces of about this size: a write per line costs more than the line. */
const pieceBytes = 1024 * 1024;

/** Joins many small chunks (a line each) into pieces of about 1 MiB for a streamed request body. */
export async function* inPieces(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let held: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of chunks) {
    held.push(chunk);
    bytes += chunk.byteLength;
    if (bytes >= pieceBytes) {
      yield Buffer.concat(held, bytes);
      held = [];
      bytes = 0;
    }
  }
  if (bytes > 0) yield Buffer.concat(held, bytes);
}
