import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type ChatRequest, estimateTokens, textOf } from "../../lambdas/core/chat";

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
  /** The per-job limits and the quota the simulated provider enforces (tests lower them). @default its real ones */
  quotas?: SimQuotas;
}

/**
 * What a simulated provider enforces as the real one does: the most requests and input bytes one job takes (a
 * larger one is refused as invalid), and a quota on what runs at once — jobs (Bedrock per model, Gemini), queued
 * requests (Anthropic) or enqueued tokens (OpenAI) — that refuses a create past it in the provider's own way.
 */
export interface SimQuotas {
  jobRequests?: number;
  jobBytes?: number;
  concurrent?: number;
}

/** A simulated provider's quota: whether a job fits beside what runs, and the most that ever ran at once. */
export class QuotaGauge {
  /** The most held at once by jobs it admitted. */
  peak = 0;
  /** Creates refused for want of room. */
  refused = 0;

  constructor(readonly limit: number | undefined) {}

  /** Whether a job holding `amount` may start beside jobs holding `held` (one alone always may). */
  admits(held: number, amount: number): boolean {
    if (this.limit !== undefined && held > 0 && held + amount > this.limit) {
      this.refused++;
      return false;
    }
    this.peak = Math.max(this.peak, held + amount);
    return true;
  }
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

/**
 * A deterministic unit vector for a text: the same text always gives the same vector, different texts different
 * ones (its values come from SHA-256 of the text and a counter), as a real embedding model is deterministic.
 */
export const simulatedVector = (text: string, dimensions: number): number[] => {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash("sha256").update(`${block}\u0000${text}`).digest();
    for (let i = 0; i + 2 <= digest.length && values.length < dimensions; i += 2)
      values.push(digest.readUInt16LE(i) / 32_768 - 1);
  }
  const norm = Math.sqrt(values.reduce((sum, value) => sum + value * value, 0)) || 1;
  return values.map((value) => value / norm);
};

/** A request whose text holds this marker gets an error answer instead of a reply. */
export const errorMarker = "[[sim:error]]";

/** A request whose text holds this marker is answered with exactly its `max_tokens` of output. */
export const maxTokensMarker = "[[sim:max_tokens]]";

/**
 * Requests whose text holds `[[sim:flaky:N]]` fail for a transient reason (a rate limit) in their first N batches,
 * then answer — as rows of real batches fail now and then and pass when run again.
 */
export class FlakyRows {
  private readonly seen = new Map<string, number>();

  /** Whether this run of the text fails (counting it as run). */
  failsNow(text: string): boolean {
    const marker = /\[\[sim:flaky:(\d+)\]\]/.exec(text);
    if (!marker) return false;
    const runs = (this.seen.get(text) ?? 0) + 1;
    this.seen.set(text, runs);
    return runs <= Number(marker[1]);
  }
}

/** The deterministic answer every simulator gives: it names the prompt, so tests can check the text came back. */
export const simulatedAnswer = (prompt: string) => {
  const text = `Simulated reply to: ${prompt}`;
  return { text, inputTokens: estimateTokens(prompt), outputTokens: estimateTokens(text) };
};

/**
 * A value the JSON Schema `schema` describes, made from the prompt (every string is the simulated answer), as a
 * model held to the schema would answer: each property, enums by their first value, one item per array.
 */
export const sampleOf = (schema: unknown, prompt: string): unknown => {
  if (typeof schema !== "object" || schema === null) return {};
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.enum)) return s.enum[0];
  if ("const" in s) return s.const;
  const choices = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(choices)) return sampleOf(choices[0], prompt);
  const type = Array.isArray(s.type) ? (s.type as unknown[]).find((t) => t !== "null") : s.type;
  switch (type) {
    case "string":
      return simulatedAnswer(prompt).text;
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return true;
    case "null":
      return null;
    case "array":
      return [sampleOf(s.items, prompt)];
    default:
      return Object.fromEntries(
        Object.entries((s.properties ?? {}) as Record<string, unknown>).map(([key, child]) => [
          key,
          sampleOf(child, prompt),
        ]),
      );
  }
};

/** The reasoning a simulated model shows when asked to think (each simulator in its provider's wire shape). */
export const simulatedThinking = (prompt: string) => `Simulated thinking about: ${prompt}`;

/** What a simulated model answers a neutral request: text, or the tool calls the request forces, or a refusal. */
export type SimulatedReply =
  | { error: string }
  | {
      text: string;
      toolCalls: { name: string; args: Record<string, unknown> }[];
      inputTokens: number;
      outputTokens: number;
    };

/**
 * The simulated answer to a request, as its provider would give it: a forced tool (one named, or any) is called with
 * arguments its schema describes; a JSON schema or JSON mode is answered with JSON; otherwise the plain answer. A
 * request a real provider refuses (a choice naming a tool it was not given, a tool result answering no call) gets
 * the provider's refusal instead, so a conversion that writes one fails the test that drives it.
 */
export const simulatedReply = (request: ChatRequest): SimulatedReply => {
  const prompt = textOf(request.messages.at(-1)?.content ?? []);
  const answer = simulatedAnswer(prompt);
  const tools = request.tools ?? [];
  const choice = request.toolChoice;
  if (choice?.type === "tool" && !tools.some((t) => t.name === choice.name))
    return { error: `tool_choice names ${choice.name}, which is not among the request's tools` };
  if ((choice?.type === "required" || choice?.type === "tool") && tools.length === 0)
    return { error: "a tool choice needs tools" };
  const calls = new Set(
    request.messages.flatMap((m) => m.content.flatMap((p) => (p.type === "tool_call" ? [p.id] : []))),
  );
  const orphan = request.messages.flatMap((m) => m.content).find((p) => p.type === "tool_result" && !calls.has(p.id));
  if (orphan?.type === "tool_result") return { error: `tool result ${orphan.id} answers no tool call` };
  const forced =
    choice?.type === "tool"
      ? tools.find((t) => t.name === choice.name)
      : choice?.type === "required"
        ? tools[0]
        : undefined;
  if (forced) {
    const args = sampleOf(forced.parameters, prompt) as Record<string, unknown>;
    return {
      ...answer,
      text: "",
      toolCalls: [{ name: forced.name, args }],
      outputTokens: estimateTokens(JSON.stringify(args)),
    };
  }
  const format = request.responseFormat;
  if (format) {
    const text = JSON.stringify(
      format.type === "json_schema" ? sampleOf(format.schema, prompt) : { answer: answer.text },
    );
    return { ...answer, text, toolCalls: [], outputTokens: estimateTokens(text) };
  }
  // An answer that spends its whole `max_tokens`, as a long answer does (what a cost estimate assumes).
  if (prompt.includes(maxTokensMarker) && request.maxTokens)
    return { ...answer, toolCalls: [], outputTokens: request.maxTokens };
  return { ...answer, toolCalls: [] };
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
  /** What the simulated quota saw (tests check the gateway stayed within it). */
  quota?: QuotaGauge;
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
