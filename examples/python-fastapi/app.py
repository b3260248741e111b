"""A FastAPI webhook receiver: a routed endpoint with async handlers, and a dependency form.

Run: WEBHOOK_SECRET=whsec_... uvicorn app:app --port 8000
Set REDIS_URL to share duplicate suppression between processes (uvicorn workers, replicas).
"""

import logging
import os

from fastapi import Depends, FastAPI

import hookverify as hv
from hookverify.fastapi import Webhook, install

logging.basicConfig(level=logging.INFO)
SECRET = os.environ.get("WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
store = hv.RedisStore(os.environ["REDIS_URL"]) if os.environ.get("REDIS_URL") else hv.MemoryStore()

app = FastAPI()
install(app)  # rejected deliveries answer with the core's JSON body verbatim

# 1. Routed handlers: async mode answers 202, then runs them as a background task.
# Both endpoints share one store, and a sender subscribed to both sends each message to both with
# one id: `namespace` keeps their duplicate suppression apart (the URL never does).
hook = Webhook(scheme="standard", secret=SECRET, store=store, namespace="webhooks", mode=os.environ.get("WEBHOOK_MODE", "async"))


@hook.on("user.*")
async def user_event(event: hv.Event) -> None:
    logging.info("%s: %s %s", event.type, event.id, event.data)


app.add_api_route("/webhooks", hook.endpoint, methods=["POST"])

# 2. The dependency: this endpoint is the handler; it returns before the answer is sent.
checked = Webhook(scheme="standard", secret=SECRET, store=store, namespace="direct")


@app.post("/webhooks/direct")
async def direct(event: hv.Event = Depends(checked)) -> dict:
    return {"ok": True, "id": event.id, "type": event.type}
