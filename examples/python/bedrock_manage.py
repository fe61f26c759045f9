"""The rest of the S3 and Bedrock batch APIs through boto3: list, head, get, list jobs, stop, delete."""

import os
import time
from pathlib import Path

import boto3

GATEWAY = os.environ.get("FINOPS_URL", "http://127.0.0.1:8080")
PROVIDER = os.environ.get("FINOPS_PROVIDER", "bedrock")  # or openai, anthropic, gemini
MODELS = {"openai": "gpt-4.1-mini", "anthropic": "claude-haiku-4-5",
          "gemini": "gemini-2.5-flash", "bedrock": "amazon.nova-micro-v1:0"}
INPUT = Path(__file__).parent.parent / "inputs" / "bedrock-records.jsonl"
POLL_SECONDS = float(os.environ.get("FINOPS_POLL_SECONDS", "5"))

session = boto3.Session(
    aws_access_key_id=os.environ.get("FINOPS_ACCESS_KEY_ID", "my-key"),
    aws_secret_access_key=os.environ.get("FINOPS_SECRET_ACCESS_KEY", "my-secret"),
    region_name="us-east-1",
)
s3 = session.client("s3", endpoint_url=f"{GATEWAY}/bedrock/files")
bedrock = session.client("bedrock", endpoint_url=f"{GATEWAY}/bedrock")
bedrock.meta.events.register(
    "before-send", lambda request, **kwargs: request.headers.__setitem__("x-model-provider", PROVIDER)
)

# Objects: put, list, head, get.
key = f"manage/{time.time_ns()}.jsonl"
s3.put_object(Bucket="my-batches", Key=key, Body=INPUT.read_bytes())
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="my-batches", Prefix="manage/")["Contents"]]
print(f"put {key}; listed: {key in keys}")
print(f"head: {s3.head_object(Bucket='my-batches', Key=key)['ContentLength']} bytes")
print(f"got {len(s3.get_object(Bucket='my-batches', Key=key)['Body'].read())} bytes")

# Jobs: create, list (filtered), get by ARN, stop. A stopped job keeps the outputs that were ready.
job_arn = bedrock.create_model_invocation_job(
    jobName=f"manage-{time.time_ns()}",
    modelId=MODELS[PROVIDER],
    roleArn="arn:aws:iam::123456789012:role/unused",
    inputDataConfig={"s3InputDataConfig": {"s3Uri": f"s3://my-batches/{key}"}},
    outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://my-batches/manage-output/"}},
)["jobArn"]
summaries = bedrock.list_model_invocation_jobs(nameContains="manage-", sortOrder="Descending")
print(f"created {job_arn}; listed: {job_arn in [j['jobArn'] for j in summaries['invocationJobSummaries']]}")
bedrock.stop_model_invocation_job(jobIdentifier=job_arn)
status = bedrock.get_model_invocation_job(jobIdentifier=job_arn)["status"]
print(f"stop asked: {status}")
while status not in ("Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"):
    time.sleep(POLL_SECONDS)
    status = bedrock.get_model_invocation_job(jobIdentifier=job_arn)["status"]
print(f"ended {status}")

s3.delete_object(Bucket="my-batches", Key=key)
print(f"deleted {key}")
