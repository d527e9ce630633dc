#!/usr/bin/env bash
# The README's workshop-session walk-through: a provider's evening, from planning the session to its register.
# Usage: docs/sessions_walkthrough.sh [caution-url] [notification-url]   (the services must be running: `make run`)
# It plans a session starting a minute from now (bookings close when a session starts; a register opens then),
# so it takes a little over a minute.
set -euo pipefail
BASE=${1:-http://127.0.0.1:8000}
NOTIFY=${2:-http://127.0.0.1:8001}
cd "$(dirname "$0")/.."
POLICE=$(make -s token ROLE=police FORCE=CAMBS)
PROVIDER=$(make -s token ROLE=provider FORCE=CAMBS)
post() {  # post <token> <path> <json>
  curl -s -X POST "$BASE$2" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
       -H "Idempotency-Key: $(python3 -c 'import uuid; print(uuid.uuid4())')" -d "$3"
}
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
show() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({k: d.get(k) for k in sys.argv[1:]}))' "$@"; }
RUN=$(python3 -c 'import uuid; print(uuid.uuid4().hex[:6].upper())')
START=$(python3 -c 'from datetime import UTC, datetime, timedelta; print((datetime.now(UTC) + timedelta(seconds=70)).replace(microsecond=0).isoformat())')
END=$(python3 -c 'import sys; from datetime import datetime, timedelta; print((datetime.fromisoformat(sys.argv[1]) + timedelta(hours=2)).isoformat())' "$START")
YESTERDAY=$(python3 -c 'from datetime import UTC, datetime, timedelta; print((datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0).isoformat())')

echo "# the provider adds a venue and plans a men's workshop A session for ten"
VENUE=$(post "$PROVIDER" /v1/venues '{"name": "Cambridge Hub, Room 2 ('"$RUN"')", "address": "1 Hills Road, Cambridge", "postcode": "CB2 1PH", "accessible": true}' | field id)
SESSION=$(post "$PROVIDER" /v1/workshop-sessions '{"workshop": "A", "venue_id": "'"$VENUE"'", "starts_at": "'"$START"'",
  "ends_at": "'"$END"'", "capacity": 10, "group": "mens", "facilitators": ["FAC-0012", "FAC-0031"], "provider": "Respect Partnership"}')
echo "$SESSION" | show status capacity places_left group
SID=$(echo "$SESSION" | field id)

echo "# ten cautions issued yesterday; the provider records first contact with each and books them in"
IDS=()
for N in 0 1 2 3 4 5 6 7 8 9; do
  ID=$(post "$POLICE" /v1/cautions '{
    "police_reference": "CAMBS-SW-'"$RUN$N"'", "legal_basis": "conditional_caution", "occurred_at": "'"$YESTERDAY"'",
    "offender": {"reference": "PNC-SW/'"$RUN$N"'", "name": "Offender '"$N"'", "date_of_birth": "1990-05-17", "gender": "male"},
    "offence": {"category": "common_assault", "committed_on": "2026-11-20", "description": "Pushed partner",
                "relationship": "current_partner", "admitted": true, "evidence_sufficient_to_charge": true, "charge_decision_by": "CPS"},
    "history": {"last_domestic_abuse_disposal_on": null, "serving_community_sentence": false},
    "victim": {"reference": "VIC-SW-'"$RUN$N"'", "dash_risk": "standard", "consulted": true, "agrees": true},
    "issuing_officer": {"id": "SGT-1001", "name": "Sgt Jo Bloggs", "rank": "sergeant"}}' | field id)
  post "$PROVIDER" /v1/cautions/$ID/first-contact '{"occurred_at": "'"$YESTERDAY"'", "method": "phone", "outcome": "contacted"}' > /dev/null
  BOOKED=$(post "$PROVIDER" /v1/workshop-sessions/$SID/bookings '{"caution_id": "'"$ID"'"}')
  IDS+=("$ID")
done
echo "$BOOKED" | show places_left
echo "# the same caution booked twice is refused"
post "$POLICE" /v1/workshop-sessions/$SID/bookings '{"caution_id": "'"${IDS[0]}"'"}' | show status errors
echo "# waiting for the session to start"
sleep "$(python3 -c 'import sys; from datetime import UTC, datetime; print(max(0, (datetime.fromisoformat(sys.argv[1]) - datetime.now(UTC)).total_seconds() + 2))' "$START")"

echo "# the register, in one request: 2 did not attend, 1 arrived late, 1 sent home, 6 attended"
LINES=$(python3 -c '
import json, sys
outcomes = ["did_not_attend", "did_not_attend", "arrived_late", "sent_home"] + ["attended"] * 6
lines = [{"caution_id": c, "outcome": o} for c, o in zip(sys.argv[1:], outcomes)]
lines[0].update(absence_reason="medical", note="Phoned in sick at 17:00")
print(json.dumps({"lines": lines}))' "${IDS[@]}")
post "$PROVIDER" /v1/workshop-sessions/$SID/register "$LINES" \
  | python3 -c 'import collections,json,sys; d=json.load(sys.stdin); print(json.dumps({"status": d["status"], "version": d["version"], "register": dict(collections.Counter(r["outcome"] for r in d["register"]))}))'

echo "# each caution carries its own entry, as if recorded one by one"
for ID in "${IDS[0]}" "${IDS[2]}" "${IDS[3]}" "${IDS[9]}"; do
  curl -s "$BASE/v1/cautions/$ID/compliance-history?min_position=1" -H "Authorization: Bearer $POLICE" \
    | python3 -c 'import json,sys; e=json.load(sys.stdin)["entries"][-1]; print(e["event_type"] + ": " + e["summary"])'
done
sleep 3  # the notification service long-polls the feed; give it a moment
echo "# what the police were told of the misses (each needs an excuse decision)"
curl -s "$NOTIFY/v1/notifications?limit=100" -H "Authorization: Bearer $POLICE" \
  | python3 -c 'import json,sys; items=[n for n in json.load(sys.stdin)["items"] if "CAMBS-SW-'"$RUN"'" in n["title"]]; print(sorted({n["title"].split(":")[0] for n in items}), len(items))'
