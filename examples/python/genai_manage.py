"""The rest of the Google GenAI Files and Batches APIs: inline batches, list, get, cancel and delete."""

import os
import time
from pathlib import Path

from google import genai
from google.genai import types

GATEWAY = os.environ.get("FINOPS_URL", "http://127.0.0.1:8080")
PROVIDER = os.environ.get("FINOPS_PROVIDER", "gemini")  # or openai, anthropic, bedrock
MODELS = {"openai": "gpt-4.1-mini", "anthropic": "claude-haiku-4-5",
          "gemini": "gemini-2.5-flash", "bedrock": "amazon.nova-micro-v1:0"}
INPUT = Path(__file__).parent.parent / "inputs" / "genai-requests.jsonl"
POLL_SECONDS = float(os.environ.get("FINOPS_POLL_SECONDS", "5"))
ENDED = ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED")

client = genai.Client(
    api_key=os.environ.get("FINOPS_API_KEY", "my-key"),
    http_options=types.HttpOptions(base_url=f"{GATEWAY}/genai", headers={"x-model-provider": PROVIDER}),
)

# Files: upload, list, get, delete.
uploaded = client.files.upload(file=str(INPUT), config=types.UploadFileConfig(mime_type="application/jsonl"))
print(f"uploaded {uploaded.name}; listed: {uploaded.name in [f.name for f in client.files.list()]}")
print(f"got {client.files.get(name=uploaded.name).size_bytes} bytes")
client.files.delete(name=uploaded.name)
print(f"deleted {uploaded.name}")

# An inline batch: the requests in the create call, the answers in the batch itself (in input order).
job = client.batches.create(
    model=MODELS[PROVIDER],
    src=[
        {"contents": [{"role": "user", "parts": [{"text": "What is the capital of France?"}]}]},
        {"contents": [{"role": "user", "parts": [{"text": "What is 15 * 7?"}]}]},
    ],
    config={"display_name": "inline-example"},
)
print(f"created {job.name}; listed: {job.name in [b.name for b in client.batches.list()]}")
while job.state.name not in ENDED:
    time.sleep(POLL_SECONDS)
    job = client.batches.get(name=job.name)
for answer in job.dest.inlined_responses:
    print("→", answer.response.candidates[0].content.parts[0].text)
client.batches.delete(name=job.name)
print(f"deleted {job.name}")

# Cancel: the batch ends JOB_STATE_CANCELLED, keeping what was ready.
job = client.batches.create(model=MODELS[PROVIDER], src=[{"contents": [{"parts": [{"text": "Hi"}]}]}])
client.batches.cancel(name=job.name)
while job.state.name not in ENDED:
    time.sleep(POLL_SECONDS)
    job = client.batches.get(name=job.name)
print(f"after cancel: {job.state.name}")
