import { randomBytes } from "node:crypto";
import { estimateTokens } from "../../lambdas/core/chat";
import { base64Of } from "../../lambdas/formats/embeddings";
import { simulatedAnswer, simulatedVector } from "./common";

const id = (prefix: string) => `${prefix}${randomBytes(8).toString("hex")}`;
const seconds = () => Math.floor(Date.now() / 1000);
/** The texts of an `input` or `prompt`: a string, or an array of strings (token arrays as their JSON). */
const texts = (value: unknown): string[] => {
  if (typeof value === "string") return [value];
  if (!Array.isArray(value)) return [];
  if (value.length > 0 && value.every((item) => typeof item === "number")) return [JSON.stringify(value)];
  return value.map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
};

/** Dimensions of OpenAI's embedding models when a request names none. */
const defaultDimensions = (model: string) => (/large/.test(model) ? 3072 : 1536);

/**
 * What OpenAI answers a batch line of an endpoint other than chat, on that endpoint's wire shape: embeddings with
 * deterministic vectors of the asked dimension and encoding, a Responses `response`, a legacy completion, a
 * moderation, an image, a video job.
 */
export const simulatedOpenAiBody = (endpoint: string, body: Record<string, unknown>): unknown => {
  const model = typeof body.model === "string" ? body.model : "";
  switch (endpoint) {
    case "/v1/embeddings": {
      const inputs = texts(body.input);
      const dimensions = typeof body.dimensions === "number" ? body.dimensions : defaultDimensions(model);
      const tokens = inputs.reduce((sum, text) => sum + estimateTokens(text), 0);
      return {
        object: "list",
        data: inputs.map((text, index) => {
          const vector = simulatedVector(text, dimensions);
          return {
            object: "embedding",
            index,
            embedding: body.encoding_format === "base64" ? base64Of(vector) : vector,
          };
        }),
        model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      };
    }
    case "/v1/responses": {
      const prompt = typeof body.input === "string" ? body.input : JSON.stringify(body.input);
      const answer = simulatedAnswer(prompt);
      return {
        id: id("resp_"),
        object: "response",
        created_at: seconds(),
        status: "completed",
        model,
        output: [
          {
            id: id("msg_"),
            type: "message",
            role: "assistant",
            status: "completed",
            content: [{ type: "output_text", text: answer.text, annotations: [] }],
          },
        ],
        usage: {
          input_tokens: answer.inputTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: answer.outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: answer.inputTokens + answer.outputTokens,
        },
      };
    }
    case "/v1/completions": {
      const answer = simulatedAnswer(texts(body.prompt).join("\n"));
      return {
        id: id("cmpl-"),
        object: "text_completion",
        created: seconds(),
        model,
        choices: [{ text: answer.text, index: 0, logprobs: null, finish_reason: "stop" }],
        usage: {
          prompt_tokens: answer.inputTokens,
          completion_tokens: answer.outputTokens,
          total_tokens: answer.inputTokens + answer.outputTokens,
        },
      };
    }
    case "/v1/moderations":
      return {
        id: id("modr-"),
        model,
        results: texts(body.input).map(() => ({ flagged: false, categories: {}, category_scores: {} })),
      };
    case "/v1/images/generations":
    case "/v1/images/edits":
      return {
        created: seconds(),
        data: [{ b64_json: Buffer.from("simulated image").toString("base64") }],
        usage: { input_tokens: 10, output_tokens: 100, total_tokens: 110 },
      };
    default:
      return { id: id("video_"), object: "video", model, status: "completed", created_at: seconds() };
  }
};
