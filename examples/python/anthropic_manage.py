"""The rest of the Anthropic Message Batches and Files APIs: list, retrieve, cancel, results, delete."""

import json
import os
import time
from pathlib import Path

import anthropic

GATEWAY = os.environ.get("FINOPS_URL", "http://127.0.0.1:8080")
PROVIDER = os.environ.get("FINOPS_PROVIDER", "anthropic")  # or openai, gemini, bedrock
MODELS = {"openai": "gpt-4.1-mini", "anthropic": "claude-haiku-4-5",
          "gemini": "gemini-2.5-flash", "bedrock": "amazon.nova-micro-v1:0"}
INPUT = Path(__file__).parent.parent / "inputs" / "anthropic-requests.jsonl"
POLL_SECONDS = float(os.environ.get("FINOPS_POLL_SECONDS", "5"))

client = anthropic.Anthropic(
    base_url=f"{GATEWAY}/anthropic",
    api_key=os.environ.get("FINOPS_API_KEY", "my-key"),
    default_headers={"x-model-provider": PROVIDER},
)

requests = [json.loads(line) for line in INPUT.open()]
for request in requests:
    request["params"]["model"] = MODELS[PROVIDER]

# Batches: create, list, retrieve, cancel, results, delete (an ended batch only).
batch = client.messages.batches.create(requests=requests)
print(f"created {batch.id}; listed: {batch.id in [b.id for b in client.messages.batches.list(limit=20)]}")
batch = client.messages.batches.cancel(batch.id)
print(f"cancel asked: {batch.processing_status}")
while batch.processing_status != "ended":
    time.sleep(POLL_SECONDS)
    batch = client.messages.batches.retrieve(batch.id)
counts = batch.request_counts
print(f"ended: {counts.succeeded} succeeded, {counts.canceled} canceled, {counts.errored} errored")
for result in client.messages.batches.results(batch.id):
    print(result.custom_id, "→", result.result.type)
client.messages.batches.delete(batch.id)
print(f"deleted {batch.id}")

# Files (beta): upload, list, retrieve metadata, download, delete. A .jsonl upload is a batch input for the
# other SDKs too.
uploaded = client.beta.files.upload(file=("requests.jsonl", INPUT.read_bytes(), "application/jsonl"))
print(f"uploaded {uploaded.id}; listed: {uploaded.id in [f.id for f in client.beta.files.list()]}")
print(f"retrieved: {client.beta.files.retrieve_metadata(uploaded.id).filename}")
print(f"downloaded {len(client.beta.files.download(uploaded.id).read())} bytes")
client.beta.files.delete(uploaded.id)
print(f"deleted {uploaded.id}")
