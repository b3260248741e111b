-- wrk script: POST one pre-signed Standard Webhooks delivery per request, each with its own
-- webhook-id (so dedup never short-circuits). HV_REQS names a file written by signed_requests.py:
-- line 1 = the body, line 2 = the timestamp, then one "id signature" pair per line.
-- Run with one wrk thread (-t1): the pairs are consumed in order and never repeat within a run
-- unless the file runs out; done() reports the count so the driver can flag repeats.
local ids, sigs, n, i = {}, {}, 0, 0
local body, ts

function init(args)
  local f = assert(io.open(os.getenv("HV_REQS"), "r"))
  body = f:read("*l")
  ts = f:read("*l")
  for line in f:lines() do
    local id, sig = line:match("^(%S+) (%S+)$")
    n = n + 1
    ids[n], sigs[n] = id, sig
  end
  f:close()
end

function request()
  i = i + 1
  local k = (i - 1) % n + 1
  return wrk.format("POST", "/webhooks", {
    ["Content-Type"] = "application/json",
    ["webhook-id"] = ids[k],
    ["webhook-timestamp"] = ts,
    ["webhook-signature"] = "v1," .. sigs[k],
  }, body)
end
