import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { estimateTokens } from "../../lambdas/core/chat";

/**
 * Fault injection shared by the simulated upstreams; tests change it at run time.
 * Statuses in `failNextCalls` are answered, one per call, before the simulator behaves again.
 */
export interface Faults {
  failNextCalls: number[];
  /** The next N calls get no answer at all (the connection hangs until the caller gives up). */
  hangNextCalls?: number;
  /** The next job created fails with this reason. */
  failNextJob?: string;
  /** The next job created runs out of time half way (partial results). */
  expireNextJob?: boolean;
}

/** Behaviour of a simulated upstream. */
export interface SimulatorOptions {
  /** How long a simulated batch job takes to finish. @default 1500 */
  jobLatencyMs?: number;
  /**
   * Where the simulator keeps its files and jobs, so a restarted local gateway finds the upstream jobs its
   * batches were running (as a real provider would still have them). @default in memory only
   */
  stateDir?: string;
}

/**
 * A simulator's records by id: a Map that, given a directory, writes each record through to its own file and reads
 * them all back on start. Buffers go to files of their own beside it (a file's bytes may be hundreds of MB).
 * Records changed in place are written again with `save`.
 */
export class SimStore<V> extends Map<string, V> {
  private readonly dir?: string;

  constructor(stateDir: string | undefined, name: string) {
    super();
    if (!stateDir) return;
    const dir = join(stateDir, name);
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
      const record = JSON.parse(readFileSync(join(dir, file), "utf8"), (_key, value: unknown) =>
        typeof value === "object" && value !== null && "$bytes" in value
          ? readFileSync(join(dir, String(value.$bytes)))
          : value,
      ) as V;
      super.set(decodeURIComponent(file.slice(0, -".json".length)), record);
    }
  }

  override set(id: string, value: V): this {
    super.set(id, value);
    this.save(id);
    return this;
  }

  /** Writes a record again after a change in place. */
  save(id: string): void {
    const dir = this.dir;
    if (!dir || !this.has(id)) return;
    const name = encodeURIComponent(id);
    let buffers = 0;
    // The replacer sees each value's holder, so a Buffer (even the record itself) is written before its toJSON runs.
    const text = JSON.stringify(this.get(id), function (this: Record<string, unknown>, key, value) {
      const raw = this[key];
      if (!Buffer.isBuffer(raw)) return value;
      const file = `${name}.${buffers++}.bin`;
      writeFileSync(join(dir, file), raw);
      return { $bytes: file };
    });
    writeFileSync(join(dir, `${name}.json`), text);
  }
}

/** A request whose text holds this marker gets an error answer instead of a reply. */
export const errorMarker = "[[sim:error]]";

/** The deterministic answer every simulator gives: it names the prompt, so tests can check the text came back. */
export const simulatedAnswer = (prompt: string) => {
  const text = `Simulated reply to: ${prompt}`;
  return { text, inputTokens: estimateTokens(prompt), outputTokens: estimateTokens(text) };
};

export const readBody = async (request: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

export const sendJson = (
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void => {
  const text = JSON.stringify(body);
  response
    .writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers })
    .end(text);
};

/** A running simulator: its base URL, its faults, and how to stop it. */
export interface Simulator {
  url: string;
  faults: Faults;
  /** Every API key the simulator was called with (to check which key a batch ran on). */
  seenKeys: Set<string>;
  /** Every call it answered, as `METHOD /path`, in order (tests wait on these instead of sleeping). */
  calls: string[];
  close(): Promise<void>;
}

/** Serves `handle` on a free loopback port, answering injected faults first. */
export const serveSimulator = async (
  faults: Faults,
  fault: (response: ServerResponse, status: number) => void,
  handle: (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void>,
): Promise<{ url: string; server: Server; seenKeys: Set<string>; calls: string[] }> => {
  const seenKeys = new Set<string>();
  const calls: string[] = [];
  const server = createServer((request, response) => {
    const key =
      request.headers["x-api-key"] ??
      request.headers["x-goog-api-key"] ??
      request.headers.authorization?.replace(/^Bearer /, "");
    if (typeof key === "string") seenKeys.add(key);
    if ((faults.hangNextCalls ?? 0) > 0) {
      faults.hangNextCalls!--;
      request.resume();
      return; // never answered
    }
    const status = faults.failNextCalls.shift();
    if (status !== undefined) {
      request.resume();
      fault(response, status);
      return;
    }
    const url = new URL(request.url ?? "/", "http://localhost");
    calls.push(`${request.method} ${url.pathname}`);
    handle(request, response, url).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { message: String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seenKeys, calls };
};

export const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
