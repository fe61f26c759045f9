"""A batch through the OpenAI SDK: upload a JSONL file, run it, read the results and what the batch cost."""

import json
import os
import time
from pathlib import Path

from openai import OpenAI

GATEWAY = os.environ.get("FINOPS_URL", "http://127.0.0.1:8080")
PROVIDER = os.environ.get("FINOPS_PROVIDER", "openai")  # or anthropic, gemini, bedrock
MODELS = {"openai": "gpt-4.1-mini", "anthropic": "claude-haiku-4-5",
          "gemini": "gemini-2.5-flash", "bedrock": "amazon.nova-micro-v1:0"}
INPUT = Path(__file__).parent.parent / "inputs" / "openai-chat.jsonl"  # the sample, wherever you run this from
POLL_SECONDS = float(os.environ.get("FINOPS_POLL_SECONDS", "5"))

client = OpenAI(base_url=f"{GATEWAY}/openai", api_key=os.environ.get("FINOPS_API_KEY", "my-key"))

# Each line names its model: one the provider that runs the batch serves.
with open(INPUT) as f:
    lines = [json.loads(line) for line in f]
for line in lines:
    line["body"]["model"] = MODELS[PROVIDER]
jsonl = "".join(json.dumps(line) + "\n" for line in lines).encode()

batch_input = client.files.create(file=("requests.jsonl", jsonl), purpose="batch")
batch = client.batches.create(
    input_file_id=batch_input.id,
    endpoint="/v1/chat/completions",
    completion_window="24h",
    extra_body={"provider": PROVIDER},  # the gateway's one extra field: which provider runs the batch
)
print(f"created {batch.id} on {PROVIDER}")

while batch.status not in ("completed", "failed", "expired", "cancelled"):
    time.sleep(POLL_SECONDS)
    batch = client.batches.retrieve(batch.id)
    print(f"{batch.status}: {batch.request_counts.completed} of {batch.request_counts.total} done")

if batch.status != "completed":
    raise SystemExit(f"batch ended {batch.status}: {batch.errors}")

for line in client.files.content(batch.output_file_id).text.splitlines():
    result = json.loads(line)
    print(result["custom_id"], "→", result["response"]["body"]["choices"][0]["message"]["content"])

# Each settled batch carries its cost at batch prices and what it saved against on-demand prices.
print(f"cost ${batch.metadata['finops_cost_usd']}, saved ${batch.metadata['finops_saved_usd']}")
