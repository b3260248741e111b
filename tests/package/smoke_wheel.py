"""Smoke test of the INSTALLED wheel, run by scripts/test-package.sh with a fresh venv's Python from a
scratch directory: the extension loads from site-packages, verifies a delivery signed with Python's
hmac (never hookverify's signer), and has no test hook (HOOKVERIFY_TEST_PANIC=1 is set by the runner).
With IN_TREE_WHEEL set, the same check finds the hooks in the in-tree test wheel (it can fail)."""

import base64
import hashlib
import hmac
import os
import pathlib
import sys
import time
import zipfile

import hookverify as hv
from hookverify import _native

ROOT = pathlib.Path(os.environ["HOOKVERIFY_ROOT"]).resolve()
MARKERS = (b"deliberate panic", b"HOOKVERIFY_TEST_PANIC", b"_panic_for_tests", b"_panic_next_call_for_tests")
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

native = pathlib.Path(_native.__file__).resolve()
assert "site-packages" in native.parts, native
assert ROOT not in native.parents, f"{native} is inside the checkout"
assert pathlib.Path(sys.prefix).resolve() in native.parents, native
print("ok import: the extension loads from", native.relative_to(pathlib.Path(sys.prefix).resolve()))

now = int(time.time())
body = b'{"type":"invoice.paid","timestamp":"2024-01-01T00:00:00Z","data":{"id":"obj_1"}}'
key = base64.b64decode(SECRET.removeprefix("whsec_"))
sig = base64.b64encode(hmac.new(key, b"msg_py.%d." % now + body, hashlib.sha256).digest()).decode()
headers = {"webhook-id": "msg_py", "webhook-timestamp": str(now), "webhook-signature": "v1," + sig}
verifier = hv.Verifier(scheme="standard", secret=SECRET)
event = verifier.verify(body, headers)
assert (event.id, event.type) == ("msg_py", "invoice.paid"), event
try:
    verifier.verify(body.replace(b"paid", b"void"), headers)
    raise AssertionError("a changed body verified")
except hv.HookverifyError as err:
    assert err.code == "no_matching_signature", err.code
print("ok verify: a signed delivery verifies, a changed one is no_matching_signature")


def hooks(names, files):
    """Test hooks among the module's names and in the bytes of the files."""
    found = [n for n in names if "panic" in n.lower()]
    for name, data in files:
        found += [f"{name}: {m.decode()}" for m in MARKERS if m in data]
    return found


assert os.environ.get("HOOKVERIFY_TEST_PANIC") == "1"
package_dir = native.parent
installed = [(str(p.relative_to(package_dir)), p.read_bytes()) for p in package_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
assert any(name.endswith(".so") for name, _ in installed)
assert hooks(dir(_native), installed) == [], hooks(dir(_native), installed)
print("ok no test hooks in the module, its binary or its stubs")

in_tree = os.environ.get("IN_TREE_WHEEL")
if in_tree:
    with zipfile.ZipFile(in_tree) as z:
        found = hooks([], [(n, z.read(n)) for n in z.namelist() if n.endswith(".so")])
    assert len(found) >= 2, f"the in-tree test wheel shows the hooks: {found}"
    print("ok the same check finds the hooks in the in-tree test wheel:", len(found))
