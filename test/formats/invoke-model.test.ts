import { describe, expect, it } from "vitest";
import type { ChatResponse } from "../../lambdas/core/chat";
import { parseAnyLine } from "../../lambdas/formats/detect";
import { invokeModelOutput } from "../../lambdas/formats/invoke-model";

const read = (modelInput: object) => parseAnyLine({ recordId: "r1", modelInput }, 1).request;

describe("model families' own InvokeModel bodies", () => {
  it.each([
    [
      "Llama 3's chat template",
      {
        prompt:
          "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>" +
          "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nhello<|eot_id|>" +
          "<|start_header_id|>user<|end_header_id|>\n\nbye<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
        max_gen_len: 64,
        temperature: 0.3,
      },
      "llama-invoke",
      {
        system: "Be brief.",
        turns: [
          ["user", "hi"],
          ["assistant", "hello"],
          ["user", "bye"],
        ],
        maxTokens: 64,
        temperature: 0.3,
      },
    ],
    [
      "Mistral's [INST] template",
      { prompt: "<s>[INST] hi [/INST] hello</s>[INST] bye [/INST]", max_tokens: 64, stop: ["\n\n"] },
      "mistral-invoke",
      {
        turns: [
          ["user", "hi"],
          ["assistant", "hello"],
          ["user", "bye"],
        ],
        maxTokens: 64,
        stop: ["\n\n"],
      },
    ],
    [
      "Titan Text",
      { inputText: "User: hi\nBot:", textGenerationConfig: { maxTokenCount: 64, topP: 0.9 } },
      "titan-invoke",
      { turns: [["user", "User: hi\nBot:"]], maxTokens: 64, topP: 0.9 },
    ],
    [
      "Nova's messages-v1",
      {
        schemaVersion: "messages-v1",
        system: [{ text: "Be brief." }],
        messages: [{ role: "user", content: [{ text: "hi" }] }],
        inferenceConfig: { max_new_tokens: 64, temperature: 0.3, top_p: 0.9 },
      },
      "nova-invoke",
      { system: "Be brief.", turns: [["user", "hi"]], maxTokens: 64, temperature: 0.3, topP: 0.9 },
    ],
  ])("reads %s: its limits and sampling reach every provider", (_name, body, shape, want) => {
    const request = read(body);
    expect(request.shape).toBe(shape);
    expect(request.uncarried).toBeUndefined();
    expect(request.native).toBe(body);
    const { turns, ...fields } = want as { turns: string[][] };
    expect(request.request).toMatchObject(fields);
    expect(
      request.request.messages.map((m) => [m.role, m.content.map((p) => (p as { text: string }).text).join("")]),
    ).toEqual(turns);
  });

  it("names a family's field it cannot carry (Nova's top_k, Llama's images)", () => {
    expect(
      read({
        schemaVersion: "messages-v1",
        messages: [{ role: "user", content: [{ text: "hi" }] }],
        inferenceConfig: { top_k: 5 },
      }).uncarried,
    ).toEqual(["modelInput.inferenceConfig.top_k"]);
    expect(read({ prompt: "hi", max_gen_len: 8, images: ["AAAA"] }).uncarried).toEqual(["modelInput.images"]);
  });

  it("answers each family in its own response body", () => {
    const response: ChatResponse = {
      id: "x",
      model: "m",
      text: "hello",
      finishReason: "length",
      usage: { inputTokens: 10, outputTokens: 5 },
      created: 0,
    };
    expect(invokeModelOutput("llama-invoke", response)).toEqual({
      generation: "hello",
      prompt_token_count: 10,
      generation_token_count: 5,
      stop_reason: "length",
    });
    expect(invokeModelOutput("mistral-invoke", response)).toEqual({
      outputs: [{ text: "hello", stop_reason: "length" }],
    });
    expect(invokeModelOutput("titan-invoke", response)).toEqual({
      inputTextTokenCount: 10,
      results: [{ tokenCount: 5, outputText: "hello", completionReason: "LENGTH" }],
    });
    expect(invokeModelOutput("nova-invoke", response)).toMatchObject({
      output: { message: { role: "assistant", content: [{ text: "hello" }] } },
      stopReason: "max_tokens",
      usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
    });
    expect(invokeModelOutput("claude-invoke", response)).toMatchObject({
      type: "message",
      content: [{ type: "text", text: "hello" }],
      stop_reason: "max_tokens",
      usage: { input_tokens: 10, output_tokens: 5 },
    });
  });
});
