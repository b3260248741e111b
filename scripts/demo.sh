#!/usr/bin/env bash
# make demo: for every preset and the three custom examples, sign a sample event
# with the CLI, verify it, then show a tampered body and a stale delivery rejected.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --release -q -p hookverify-cli
HV=target/release/hookverify
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
now=$(date +%s)

demo() { # name, scheme args..., -- secret body
  local label=$1; shift
  local scheme_args=()
  while [ "$1" != -- ]; do scheme_args+=("$1"); shift; done; shift
  local secret=$1 body=$2 type=${3:-user.created}
  printf '%s' "$body" > "$work/body"
  printf '\n\033[1m== %s\033[0m\n' "$label"
  mapfile -t headers < <("$HV" sign "${scheme_args[@]}" --secret "$secret" --id evt_demo_1 --type "$type" --timestamp "$now" --body-file "$work/body")
  local hargs=()
  for h in "${headers[@]}"; do echo "  $h"; hargs+=(-H "$h"); done
  printf '  valid:    '; "$HV" verify "${scheme_args[@]}" --secret "$secret" "${hargs[@]}" --now "$now" --body-file "$work/body" || true
  printf '%s ' "$body" > "$work/tampered"
  printf '  tampered: '; "$HV" verify "${scheme_args[@]}" --secret "$secret" "${hargs[@]}" --now "$now" --body-file "$work/tampered" || true
  printf '  stale:    '
  local spec; spec=$("$HV" schemes "${scheme_args[1]}" 2>/dev/null || true)
  if [[ $spec == *'"tolerance_seconds": '[0-9]* ]]; then
    "$HV" verify "${scheme_args[@]}" --secret "$secret" "${hargs[@]}" --now $((now + 3600)) --body-file "$work/body" || true
  else
    echo "(no signed timestamp in this scheme: a receiver catches replays by duplicate suppression on a signed key: the signed event id, else a digest of the signed body)"
  fi
}

env_body='{"id":"evt_demo_1","type":"user.created","created_at":'$now',"data":{"user":"u_1"}}'
demo "standard (Standard Webhooks / Svix)" --scheme standard -- whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw \
  '{"type":"user.created","timestamp":"2026-01-01T00:00:00Z","data":{"user":"u_1"}}'
demo "stripe" --scheme stripe -- whsec_stripe_demo '{"id":"evt_1","object":"event","type":"invoice.paid","created":'$now',"data":{"object":{}}}'
demo "github" --scheme github -- "It's a Secret to Everybody" '{"action":"opened","issue":{"number":1}}' issues.opened
demo "github-sha1 (legacy, explicit)" --scheme github-sha1 -- "It's a Secret to Everybody" '{"action":"opened"}' issues.opened
demo "slack" --scheme slack -- 8f742231b10e8888abcd99yyyzzz85a5 '{"type":"event_callback","event_id":"Ev1","event_time":'$now',"event":{"type":"app_mention"}}'
demo "shopify" --scheme shopify -- shpss_demo '{"id":1,"total_price":"1.00"}' orders/create
demo "custom: generic X-Webhook-Signature" --scheme-json '{"name":"generic","signature_header":"X-Webhook-Signature"}' -- s3cret "$env_body"
demo "custom: revnoxa" --scheme-json '{"name":"revnoxa","signature_header":"X-Revnoxa-Signature"}' -- s3cret "$env_body"
demo "custom: PHP json_encode body" --scheme-json '{"name":"php-json","signature_header":"Signature"}' -- s3cret \
  '{"id":"evt_php_1","type":"order.paid","created_at":'$now',"data":{"url":"https:\/\/shop.example\/o\/1","customer":"Jos\u00e9"}}'
for s in scripts/demo-*.sh; do [ -x "$s" ] && "$s"; done
true
