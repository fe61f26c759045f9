"""The rest of the OpenAI Files and Batch APIs: list, retrieve, download, cancel and delete."""

import os
import time
from pathlib import Path

from openai import OpenAI

GATEWAY = os.environ.get("FINOPS_URL", "http://127.0.0.1:8080")
PROVIDER = os.environ.get("FINOPS_PROVIDER", "openai")  # or anthropic, gemini, bedrock
INPUT = Path(__file__).parent.parent / "inputs" / "openai-chat.jsonl"
POLL_SECONDS = float(os.environ.get("FINOPS_POLL_SECONDS", "5"))

client = OpenAI(base_url=f"{GATEWAY}/openai", api_key=os.environ.get("FINOPS_API_KEY", "my-key"))

# Files: upload, list (newest first, or only those uploaded for one provider), retrieve, download.
uploaded = client.files.create(file=INPUT.open("rb"), purpose="batch", extra_body={"provider": PROVIDER})
listed = [f.id for f in client.files.list(purpose="batch", extra_query={"provider": PROVIDER})]
print(f"uploaded {uploaded.id}; listed: {uploaded.id in listed}")
print(f"retrieved: {client.files.retrieve(uploaded.id).filename}, {uploaded.bytes} bytes")
print(f"downloaded {len(client.files.content(uploaded.id).content)} bytes")

# Batches: create, list, retrieve, cancel. A cancelled batch keeps the results that were ready.
batch = client.batches.create(
    input_file_id=uploaded.id,
    endpoint="/v1/chat/completions",
    completion_window="24h",
    metadata={"project": "examples"},
)
print(f"created {batch.id}; listed: {batch.id in [b.id for b in client.batches.list(limit=20)]}")
batch = client.batches.cancel(batch.id)
print(f"cancel asked: {batch.status}")
while batch.status not in ("completed", "failed", "expired", "cancelled"):
    time.sleep(POLL_SECONDS)
    batch = client.batches.retrieve(batch.id)
print(f"ended {batch.status}: {batch.request_counts.completed} completed, {batch.request_counts.failed} not")

client.files.delete(uploaded.id)
print(f"deleted {uploaded.id}")
