import os, time
from openai import OpenAI

client = OpenAI(base_url=os.environ.get("FINOPS_URL", "http://127.0.0.1:8080") + "/openai", api_key="my-key")
requests = client.files.create(file=open("examples/inputs/openai-chat.jsonl", "rb"), purpose="batch")
batch = client.batches.create(input_file_id=requests.id, endpoint="/v1/chat/completions", completion_window="24h")
while batch.status not in ("completed", "failed", "expired", "cancelled"):
    time.sleep(2)
    batch = client.batches.retrieve(batch.id)
print(client.files.content(batch.output_file_id).text)
