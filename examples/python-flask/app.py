"""A Flask webhook receiver: Standard Webhooks (Svix-style) and GitHub on one URL, deduplicated.

Run: WEBHOOK_SECRET=whsec_... GITHUB_SECRET=... flask --app app run --port 8000
Set REDIS_URL to share duplicate suppression between processes (gunicorn workers, replicas).
"""

import logging
import os

from flask import Flask

import hookverify as hv
from hookverify.flask import WebhookBlueprint

logging.basicConfig(level=logging.INFO)
store = hv.RedisStore(os.environ["REDIS_URL"]) if os.environ.get("REDIS_URL") else hv.MemoryStore()

hooks = WebhookBlueprint(
    "hooks", __name__, url="/webhooks", store=store,
    # "sync" runs handlers before answering (200/500); "async" answers 202 and runs them on a thread pool.
    mode=os.environ.get("WEBHOOK_MODE", "sync"),
    providers=[
        hv.Provider("github", scheme="github", secret=os.environ.get("GITHUB_SECRET", "gh-secret")),
        hv.Provider("standard", scheme="standard", secret=os.environ.get("WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")),
    ],
)


@hooks.on("user.created", provider="standard")
def user_created(event: hv.Event) -> None:
    logging.info("user created: %s %s", event.id, event.data)


@hooks.on("issues", provider="github")
def issue(event: hv.Event) -> None:
    logging.info("github %s: %s", event.type, event.id)


app = Flask(__name__)
app.register_blueprint(hooks)

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
