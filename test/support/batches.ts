import type OpenAI from "openai";
import { toFile } from "openai";
import type { Batch } from "openai/resources/batches";

export const terminal = ["completed", "failed", "expired", "cancelled"];

/** Polls a batch as the seeds do until it ends (or `timeoutMs` passes). */
export const waitForBatch = async (client: OpenAI, id: string, timeoutMs = 30_000): Promise<Batch> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await client.batches.retrieve(id);
    if (terminal.includes(batch.status) || Date.now() > deadline) return batch;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/** OpenAI batch input lines asking one question each. */
export const chatLines = (model: string, prompts: string[], ids = prompts.map((_, i) => `req-${i + 1}`)) =>
  prompts
    .map((content, i) =>
      JSON.stringify({
        custom_id: ids[i],
        method: "POST",
        url: "/v1/chat/completions",
        body: { model, messages: [{ role: "user", content }], max_tokens: 100 },
      }),
    )
    .join("\n");

/** Uploads JSONL text as a batch input file, for the given provider (the seeds' extra body field). */
export const uploadBatchInput = async (client: OpenAI, text: string, provider: string) =>
  client.files.create({
    file: await toFile(Buffer.from(text), "batch_e2e.jsonl", { type: "application/jsonl" }),
    purpose: "batch",
    provider,
  } as never);

/** The lines of a result file, parsed. */
export const resultLines = async (client: OpenAI, fileId: string | null | undefined) => {
  if (!fileId) return [];
  const text = await (await client.files.content(fileId)).text();
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map(
      (line) =>
        JSON.parse(line) as {
          id: string;
          custom_id: string;
          response: {
            status_code: number;
            body: {
              model: string;
              choices: { message: { content: string } }[];
              object: string;
              usage: { total_tokens: number };
            };
          } | null;
          error: { code: string; message: string } | null;
        },
    );
};
