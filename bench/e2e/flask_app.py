"""End-to-end bench app, served by gunicorn (one sync worker): ``BENCH_MODE=bare|hookverify``.

- bare: a Flask view that reads the raw body and answers 200 without verifying anything.
- hookverify: ``hookverify.flask.WebhookBlueprint`` (verify + MemoryStore dedup + dispatch to a
  no-op ``user.created`` handler), sync mode so the handler runs before the answer.
"""

import os

from flask import Flask, request

app = Flask(__name__)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

if os.environ.get("BENCH_MODE", "bare") == "bare":

    @app.post("/webhooks")
    def bare() -> tuple[str, int]:
        request.get_data()
        return "", 200

else:
    import hookverify as hv
    from hookverify.flask import WebhookBlueprint

    hooks = WebhookBlueprint(
        "hooks", __name__, url="/webhooks", store=hv.MemoryStore(), mode="sync",
        providers=[hv.Provider("standard", scheme="standard", secret=SECRET)],
    )
    hooks.on("user.created", lambda event: None)
    app.register_blueprint(hooks)
