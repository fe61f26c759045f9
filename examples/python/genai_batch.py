"""A batch through the Google GenAI SDK: upload a JSONL file, run it, read the results and what it cost."""

import json
import os
import time
import urllib.request
from pathlib import Path

from google import genai
from google.genai import types

GATEWAY = os.environ.get("FINOPS_URL", "http://127.0.0.1:8080")
API_KEY = os.environ.get("FINOPS_API_KEY", "my-key")
PROVIDER = os.environ.get("FINOPS_PROVIDER", "gemini")  # or openai, anthropic, bedrock
MODELS = {"openai": "gpt-4.1-mini", "anthropic": "claude-haiku-4-5",
          "gemini": "gemini-2.5-flash", "bedrock": "amazon.nova-micro-v1:0"}
INPUT = Path(__file__).parent.parent / "inputs" / "genai-requests.jsonl"  # the sample, wherever you run this from
POLL_SECONDS = float(os.environ.get("FINOPS_POLL_SECONDS", "5"))
ENDED = ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED")

client = genai.Client(
    api_key=API_KEY,
    http_options=types.HttpOptions(
        base_url=f"{GATEWAY}/genai",
        headers={"x-model-provider": PROVIDER},  # which provider runs the batch
    ),
)

uploaded = client.files.upload(
    file=str(INPUT),
    config=types.UploadFileConfig(mime_type="application/jsonl", display_name="genai-requests"),
)
job = client.batches.create(model=MODELS[PROVIDER], src=uploaded.name)
print(f"created {job.name} on {PROVIDER}")

while job.state.name not in ENDED:
    time.sleep(POLL_SECONDS)
    job = client.batches.get(name=job.name)
    print(job.state.name)

if job.state.name != "JOB_STATE_SUCCEEDED":
    raise SystemExit(f"batch ended {job.state.name}: {job.error}")

for line in client.files.download(file=job.dest.file_name).decode().splitlines():
    result = json.loads(line)
    print(result["key"], "→", result["response"]["candidates"][0]["content"]["parts"][0]["text"])

# The FinOps API takes the same key and any SDK's batch id.
request = urllib.request.Request(f"{GATEWAY}/finops/v1/{job.name}", headers={"x-goog-api-key": API_KEY})
cost = json.load(urllib.request.urlopen(request))["cost"]
print(f"cost ${cost['batch']:.6f}, saved ${cost['saved']:.6f}")
