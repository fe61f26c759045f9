import { Readable } from "node:stream";
import { inPieces, upstreamFetch } from "../http";
import type { PerModel } from "../quotas";

/** Where the OpenAI API is and how to authenticate; `baseUrl` includes `/v1`, as the SDK reads OPENAI_BASE_URL. */
export interface OpenAiSettings {
  apiKey: string;
  baseUrl: string;
  /** Each model's enqueued-token limit (OpenAI sets it per usage tier); 0 or absent: not counted. */
  enqueuedTokens?: PerModel;
}

/** The few OpenAI Files and Batches calls the gateway makes, over fetch so uploads and downloads stream. */
export class OpenAiClient {
  constructor(private readonly settings: OpenAiSettings) {}

  private url(path: string): string {
    return `${this.settings.baseUrl.replace(/\/$/, "")}${path}`;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.settings.apiKey}`, ...extra };
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await upstreamFetch("OpenAI", this.url(path), {
      method,
      headers: this.headers(body === undefined ? {} : { "content-type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as T;
  }

  /** Uploads a JSONL stream as a `batch` file without buffering it: the multipart body is streamed. */
  async uploadBatchFile(filename: string, lines: AsyncIterable<Uint8Array>): Promise<{ id: string }> {
    const boundary = `finops-${Math.random().toString(36).slice(2)}`;
    async function* multipart() {
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n`);
      yield Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/jsonl\r\n\r\n`,
      );
      yield* inPieces(lines);
      yield Buffer.from(`\r\n--${boundary}--\r\n`);
    }
    const response = await upstreamFetch("OpenAI", this.url("/files"), {
      method: "POST",
      headers: this.headers({ "content-type": `multipart/form-data; boundary=${boundary}` }),
      body: Readable.from(multipart()) as unknown as RequestInit["body"],
      duplex: "half",
    } as RequestInit);
    return (await response.json()) as { id: string };
  }

  /** A file's content as a byte stream. */
  async download(fileId: string): Promise<Readable> {
    const response = await upstreamFetch("OpenAI", this.url(`/files/${encodeURIComponent(fileId)}/content`), {
      headers: this.headers(),
    });
    if (!response.body) throw new Error(`OpenAI returned no content for ${fileId}`);
    return Readable.fromWeb(response.body as import("node:stream/web").ReadableStream);
  }
}
