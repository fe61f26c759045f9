import { describe, expect, it } from "vitest";
import { resultFromBedrockRecord } from "../../lambdas/formats/bedrock-records";
import { resultFromOpenAiLine } from "../../lambdas/formats/openai-batch";
import { readableResult } from "../../lambdas/formats/readable-results";

const line = (text: string, lineNumber = 3) => ({ text, lineNumber });

describe("results the gateway cannot read become that row's error, never the batch's", () => {
  it("an OpenAI line in an unexpected shape is that custom_id's error, in the upstream's words", () => {
    const text = JSON.stringify({
      custom_id: "r7",
      response: { status_code: 200, body: { choices: "not a list" } },
      error: null,
    });
    const result = readableResult(line(text), "OpenAI", resultFromOpenAiLine);
    expect(result).toMatchObject({ customId: "r7", outcome: "errored", error: { code: "unreadable_result" } });
    expect(result?.error?.message).toContain("The gateway could not read OpenAI's answer to this request");
    expect(result?.error?.message).toContain('"not a list"');
  });

  it("a Bedrock record whose modelOutput is of another form is that recordId's error", () => {
    const text = JSON.stringify({
      recordId: "11",
      modelInput: {},
      modelOutput: { content: [{ text: "Claude's own" }] },
    });
    const result = readableResult(line(text), "Bedrock", (value, n) => resultFromBedrockRecord(value, n, "m", 0));
    expect(result).toMatchObject({ customId: "11", outcome: "errored", error: { code: "unreadable_result" } });
  });

  it("a line that is not JSON, or names no request, gives nothing: the engine reports that request's result missing", () => {
    expect(readableResult(line("{not json"), "OpenAI", resultFromOpenAiLine)).toBeUndefined();
    expect(readableResult(line('{"response":{"status_code":200}}'), "OpenAI", resultFromOpenAiLine)).toBeUndefined();
  });

  it("a readable line reads as before", () => {
    const text = JSON.stringify({
      custom_id: "ok",
      response: {
        status_code: 200,
        body: { id: "c", model: "m", created: 1, choices: [{ message: { content: "hi" } }] },
      },
      error: null,
    });
    expect(readableResult(line(text), "OpenAI", resultFromOpenAiLine)).toMatchObject({
      customId: "ok",
      outcome: "succeeded",
      response: { text: "hi" },
    });
  });
});
