#!/usr/bin/env bash
# Part of `make demo`: start `hookverify listen`, deliver events to it with
# `hookverify sign` + curl, and show each status (valid, duplicate, tampered, stale).
set -euo pipefail
cd "$(dirname "$0")/.."
HV=target/release/hookverify
work=$(mktemp -d)
secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
"$HV" listen --port 0 --path /webhooks --scheme standard --secret "$secret" --sync >"$work/events" 2>"$work/log" &
pid=$!
# The listener dies of the kill, so `wait` reports 143: under `set -e` that failure would end the
# trap before rm (temp dir left) and make the script exit 143. Neither may fail here.
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q listening "$work/log" && break; sleep 0.05; done
url=$(grep -o 'http://[^ ]*' "$work/log")
printf '\n\033[1m== hookverify listen (%s)\033[0m\n' "$url"

post() { # label, timestamp, body-file
  local args=() line
  while IFS= read -r line; do args+=(-H "$line"); done < <("$HV" sign --scheme standard --secret "$secret" --id evt_listen_1 --timestamp "$2" --body-file "$3")
  [ -n "${4:-}" ] && printf ' ' >> "$3"
  printf '  %-10s -> ' "$1"
  curl -s -o "$work/resp" -w '%{http_code} ' "${args[@]}" --data-binary @"$3" "$url"
  cat "$work/resp"; echo
}
now=$(date +%s)
echo '{"type":"user.created","timestamp":"2026-01-01T00:00:00Z","data":{"user":"u_1"}}' > "$work/body"
post valid "$now" "$work/body"
post duplicate "$now" "$work/body"
cp "$work/body" "$work/tampered"; post tampered "$now" "$work/tampered" tamper
post stale $((now - 3600)) "$work/body"
echo "  events printed by the receiver:"
sed 's/^/    /' "$work/events"
