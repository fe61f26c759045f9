import { describe, expect, it } from "vitest";
import type { ChatRequest } from "../../lambdas/core/chat";
import {
  defaultAnthropicMaxTokens,
  resultFromAnthropicLine,
  toAnthropicParams,
} from "../../lambdas/formats/anthropic-messages";
import { chatRequestFromAnthropic } from "../../lambdas/formats/anthropic-request";
import { resultFromBedrockRecord, toBedrockRecord } from "../../lambdas/formats/bedrock-records";
import { parseBedrockLine } from "../../lambdas/formats/converse-request";
import { chatResponseFromGemini, resultFromGeminiLine, toGeminiRequest } from "../../lambdas/formats/gemini";
import { parseGeminiLine } from "../../lambdas/formats/gemini-request";
import { renderChatCompletion, toOpenAiChatBody } from "../../lambdas/formats/openai-batch";
import { parseOpenAiLine } from "../../lambdas/formats/openai-request";

const openAiLine = {
  custom_id: "r1",
  method: "POST",
  url: "/v1/chat/completions",
  body: {
    model: "gpt-4o-mini",
    messages: [
      { role: "system", content: "Be brief." },
      {
        role: "user",
        content: [
          { type: "text", text: "What is this?" },
          { type: "image_url", image_url: { url: "data:image/jpeg;base64,QUJD" } },
        ],
      },
      { role: "assistant", content: "A cat." },
      { role: "user", content: "Sure?" },
    ],
    max_tokens: 64,
    temperature: 0.3,
    top_p: 0.9,
    stop: "END",
  },
};

describe("batch line codecs", () => {
  const neutral = parseOpenAiLine(openAiLine, 1);

  it("reads an OpenAI line into the neutral request", () => {
    expect(neutral.request).toEqual({
      model: "gpt-4o-mini",
      system: "Be brief.",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image", mediaType: "image/jpeg", data: "QUJD" },
          ],
        },
        { role: "assistant", content: [{ type: "text", text: "A cat." }] },
        { role: "user", content: [{ type: "text", text: "Sure?" }] },
      ],
      maxTokens: 64,
      temperature: 0.3,
      topP: 0.9,
      stop: ["END"],
    });
    // max_completion_tokens: the field every current OpenAI chat model takes (reasoning models refuse max_tokens).
    const { max_tokens, ...body } = openAiLine.body;
    expect(toOpenAiChatBody(neutral.request, "gpt-4o-mini")).toEqual({
      ...body,
      max_completion_tokens: max_tokens,
      stop: ["END"],
    });
  });

  it("writes Anthropic Messages params: system, roles, image blocks, stop sequences, max_tokens", () => {
    const params = toAnthropicParams(neutral.request, "ignored");
    expect(params).toEqual({
      model: "gpt-4o-mini",
      max_tokens: 64,
      system: "Be brief.",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "QUJD" } },
          ],
        },
        { role: "assistant", content: "A cat." },
        { role: "user", content: "Sure?" },
      ],
      temperature: 0.3,
      top_p: 0.9,
      stop_sequences: ["END"],
    });
    const bare: ChatRequest = { messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }] };
    expect(toAnthropicParams(bare, "claude-x")).toMatchObject({
      model: "claude-x",
      max_tokens: defaultAnthropicMaxTokens,
    });
    expect(chatRequestFromAnthropic(params as never)).toEqual(neutral.request);
  });

  it("writes Gemini requests: user/model roles, systemInstruction, generationConfig, inline images", () => {
    const request = toGeminiRequest(neutral.request);
    expect(request).toEqual({
      contents: [
        { role: "user", parts: [{ text: "What is this?" }, { inlineData: { mimeType: "image/jpeg", data: "QUJD" } }] },
        { role: "model", parts: [{ text: "A cat." }] },
        { role: "user", parts: [{ text: "Sure?" }] },
      ],
      systemInstruction: { parts: [{ text: "Be brief." }] },
      generationConfig: { maxOutputTokens: 64, temperature: 0.3, topP: 0.9, stopSequences: ["END"] },
    });
    const back = parseGeminiLine({ key: "r1", request: { ...request, model: "models/gpt-4o-mini" } }, 1);
    expect(back.request).toEqual(neutral.request);
    expect(parseGeminiLine({ request, metadata: { key: "k9" } }, 2).customId).toBe("k9");
  });

  it("writes Bedrock Converse records and reads them back", () => {
    const record = toBedrockRecord("r1", neutral.request);
    expect(record.modelInput).toEqual({
      messages: [
        {
          role: "user",
          content: [{ text: "What is this?" }, { image: { format: "jpeg", source: { bytes: "QUJD" } } }],
        },
        { role: "assistant", content: [{ text: "A cat." }] },
        { role: "user", content: [{ text: "Sure?" }] },
      ],
      system: [{ text: "Be brief." }],
      inferenceConfig: { maxTokens: 64, temperature: 0.3, topP: 0.9, stopSequences: ["END"] },
    });
    const { model: _model, ...withoutModel } = neutral.request;
    expect(parseBedrockLine(record, 1).request).toEqual(withoutModel);
  });

  it("turns every provider's answer into the same chat.completion", () => {
    const anthropic = resultFromAnthropicLine(
      {
        custom_id: "a",
        result: {
          type: "succeeded",
          message: {
            id: "msg_1",
            model: "claude",
            content: [{ type: "text", text: "Hi" }],
            stop_reason: "max_tokens",
            usage: { input_tokens: 5, output_tokens: 7 },
          },
        },
      },
      1,
      100,
    );
    const gemini = resultFromGeminiLine(
      {
        key: "g",
        response: {
          candidates: [{ content: { parts: [{ text: "Hi" }] }, finishReason: "MAX_TOKENS" }],
          usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 4, thoughtsTokenCount: 3 },
        },
      },
      1,
      "gemini",
      100,
    );
    const bedrock = resultFromBedrockRecord(
      {
        recordId: "b",
        modelInput: {},
        modelOutput: {
          output: { message: { content: [{ text: "Hi" }] } },
          stopReason: "max_tokens",
          usage: { inputTokens: 5, outputTokens: 7 },
        },
      },
      1,
      "nova",
      100,
    );
    for (const result of [anthropic, gemini, bedrock]) {
      const completion = renderChatCompletion(result.response!);
      expect(completion).toMatchObject({
        object: "chat.completion",
        choices: [{ index: 0, message: { role: "assistant", content: "Hi" }, finish_reason: "length" }],
        usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
      });
    }
    expect(chatResponseFromGemini({ candidates: [{ finishReason: "SAFETY" }] }, "m", 0).finishReason).toBe(
      "content_filter",
    );
  });

  it("keeps the id and an HTTP status on every kind of error result", () => {
    expect(
      resultFromAnthropicLine(
        {
          custom_id: "a",
          result: { type: "errored", error: { type: "error", error: { type: "overloaded_error", message: "busy" } } },
        },
        1,
        0,
      ),
    ).toEqual({
      customId: "a",
      outcome: "errored",
      error: { code: "overloaded_error", message: "busy", statusCode: 529 },
    });
    expect(resultFromAnthropicLine({ custom_id: "b", result: { type: "expired" } }, 1, 0)).toMatchObject({
      customId: "b",
      outcome: "expired",
    });
    expect(resultFromGeminiLine({ key: "g", error: { code: 8, message: "quota" } }, 1, "m", 0)).toMatchObject({
      customId: "g",
      error: { statusCode: 429 },
    });
    expect(
      resultFromBedrockRecord(
        { recordId: "r", modelInput: {}, error: { errorCode: 400, errorMessage: "bad" } },
        1,
        "m",
        0,
      ),
    ).toMatchObject({ customId: "r", error: { statusCode: 400, message: "bad" } });
  });
});
