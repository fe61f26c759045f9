"""A model invocation job through boto3: put the records in S3, run the job, read its output and what it cost."""

import json
import os
import time
import urllib.request
from pathlib import Path

import boto3

GATEWAY = os.environ.get("FINOPS_URL", "http://127.0.0.1:8080")
PROVIDER = os.environ.get("FINOPS_PROVIDER", "bedrock")  # or openai, anthropic, gemini
MODELS = {"openai": "gpt-4.1-mini", "anthropic": "claude-haiku-4-5",
          "gemini": "gemini-2.5-flash", "bedrock": "amazon.nova-micro-v1:0"}
INPUT = Path(__file__).parent.parent / "inputs" / "bedrock-records.jsonl"  # the sample, wherever you run this from
POLL_SECONDS = float(os.environ.get("FINOPS_POLL_SECONDS", "5"))

session = boto3.Session(
    aws_access_key_id=os.environ.get("FINOPS_ACCESS_KEY_ID", "my-key"),  # a gateway AWS key pair
    aws_secret_access_key=os.environ.get("FINOPS_SECRET_ACCESS_KEY", "my-secret"),
    region_name="us-east-1",
)
s3 = session.client("s3", endpoint_url=f"{GATEWAY}/bedrock/files")
bedrock = session.client("bedrock", endpoint_url=f"{GATEWAY}/bedrock")


def route(request, **kwargs):
    request.headers["x-model-provider"] = PROVIDER  # which provider runs the job


bedrock.meta.events.register("before-send", route)

job_name = f"example-{time.time_ns()}"
s3.upload_file(str(INPUT), "my-batches", f"input/{job_name}.jsonl")
job = bedrock.create_model_invocation_job(
    jobName=job_name,
    modelId=MODELS[PROVIDER],
    roleArn="arn:aws:iam::123456789012:role/unused",  # accepted; jobs run under the stack's own role
    inputDataConfig={"s3InputDataConfig": {"s3Uri": f"s3://my-batches/input/{job_name}.jsonl"}},
    outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://my-batches/output/"}},
)
job_arn = job["jobArn"]
print(f"created {job_arn} on {PROVIDER}")

status = "Submitted"
while status not in ("Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"):
    time.sleep(POLL_SECONDS)
    status = bedrock.get_model_invocation_job(jobIdentifier=job_arn)["status"]
    print(status)

if status != "Completed":
    raise SystemExit(f"job ended {status}")

job_id = job_arn.split("/")[-1]
output = s3.get_object(Bucket="my-batches", Key=f"output/{job_id}/{job_name}.jsonl.out")["Body"].read()
for line in output.decode().splitlines():
    record = json.loads(line)
    print(record["recordId"], "→", record["modelOutput"]["output"]["message"]["content"][0]["text"])

# The FinOps API takes the credential's API key (locally, in open mode, the same string as the access key id).
request = urllib.request.Request(
    f"{GATEWAY}/finops/v1/batches/{urllib.request.quote(job_arn, safe='')}",
    headers={"x-api-key": os.environ.get("FINOPS_API_KEY", "my-key")},
)
cost = json.load(urllib.request.urlopen(request))["cost"]
print(f"cost ${cost['batch']:.6f}, saved ${cost['saved']:.6f}")
