"""A Message Batch through the Anthropic SDK: send requests, wait, read the results and what the batch cost."""

import json
import os
import time
import urllib.request
from pathlib import Path

import anthropic

GATEWAY = os.environ.get("FINOPS_URL", "http://127.0.0.1:8080")
API_KEY = os.environ.get("FINOPS_API_KEY", "my-key")
PROVIDER = os.environ.get("FINOPS_PROVIDER", "anthropic")  # or openai, gemini, bedrock
MODELS = {"openai": "gpt-4.1-mini", "anthropic": "claude-haiku-4-5",
          "gemini": "gemini-2.5-flash", "bedrock": "amazon.nova-micro-v1:0"}
INPUT = Path(__file__).parent.parent / "inputs" / "anthropic-requests.jsonl"  # the sample, wherever you run this from
POLL_SECONDS = float(os.environ.get("FINOPS_POLL_SECONDS", "5"))

client = anthropic.Anthropic(
    base_url=f"{GATEWAY}/anthropic",
    api_key=API_KEY,
    default_headers={"x-model-provider": PROVIDER},  # which provider runs the batch
)

with open(INPUT) as f:
    requests = [json.loads(line) for line in f]
for request in requests:
    request["params"]["model"] = MODELS[PROVIDER]

batch = client.messages.batches.create(requests=requests)
print(f"created {batch.id} on {PROVIDER}")

while batch.processing_status != "ended":
    time.sleep(POLL_SECONDS)
    batch = client.messages.batches.retrieve(batch.id)
    print(f"{batch.processing_status}: {batch.request_counts.processing} processing")

for result in client.messages.batches.results(batch.id):
    if result.result.type == "succeeded":
        print(result.custom_id, "→", result.result.message.content[0].text)
    else:
        print(result.custom_id, "→", result.result.type)

# The FinOps API takes the same key and any SDK's batch id.
request = urllib.request.Request(f"{GATEWAY}/finops/v1/batches/{batch.id}", headers={"x-api-key": API_KEY})
cost = json.load(urllib.request.urlopen(request))["cost"]
print(f"cost ${cost['batch']:.6f}, saved ${cost['saved']:.6f}")
