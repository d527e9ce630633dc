#!/usr/bin/env bash
# The README's walk-through: one caution from issue to completion, over HTTP with curl.
# Usage: docs/walkthrough.sh [caution-url] [notification-url]   (the services must be running: `make run`)
set -euo pipefail
BASE=${1:-http://127.0.0.1:8000}
cd "$(dirname "$0")/.."
POLICE=$(make -s token ROLE=police FORCE=CAMBS)
PROVIDER=$(make -s token ROLE=provider FORCE=CAMBS)
VICTIM=$(make -s token ROLE=victim_contact FORCE=CAMBS)
COURT=$(make -s token ROLE=court FORCE=CAMBS)
post() {  # post <token> <path> <json>
  curl -s -X POST "$BASE$2" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
       -H "Idempotency-Key: $(python3 -c 'import uuid; print(uuid.uuid4())')" -d "$3"
}
# A reference of its own each run: the service refuses a second caution under one police reference, or for one
# offender within two years.
RUN=$(python3 -c 'import uuid; print(uuid.uuid4().hex[:6].upper())')
show() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({k: d.get(k) for k in sys.argv[1:]}, indent=None))' "$@"; }

echo "# issue a caution (police)"
ISSUED=$(post "$POLICE" /v1/cautions '{
  "police_reference": "CAMBS-2026-'"$RUN"'", "legal_basis": "conditional_caution",
  "occurred_at": "2026-09-01T14:30:00+01:00",
  "offender": {"reference": "PNC-99/'"$RUN"'", "name": "Alex Example", "date_of_birth": "1990-05-17", "gender": "male"},
  "offence": {"category": "common_assault", "committed_on": "2026-08-20", "description": "Pushed partner during an argument",
              "relationship": "current_partner", "admitted": true, "evidence_sufficient_to_charge": true, "charge_decision_by": "CPS East of England"},
  "history": {"last_domestic_abuse_disposal_on": null, "serving_community_sentence": false},
  "victim": {"reference": "VIC-7781", "dash_risk": "standard", "consulted": true, "agrees": true,
             "contact_details": {"name": "Sam Victim", "phone": "07700 900123"}},
  "issuing_officer": {"id": "SGT-1001", "name": "Sgt Jo Bloggs", "rank": "sergeant"}}')
echo "$ISSUED" | show id version status period_ends_on next_action
ID=$(echo "$ISSUED" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

echo "# provider books workshop A and B"
post "$PROVIDER" /v1/cautions/$ID/workshops/A/schedule '{"occurred_at": "2026-09-03T09:00:00+01:00", "session_at": "2026-09-10T18:00:00+01:00", "venue": "Cambridge Hub, Room 2"}' | show version next_action
post "$PROVIDER" /v1/cautions/$ID/workshops/B/schedule '{"occurred_at": "2026-09-03T09:05:00+01:00", "session_at": "2026-10-12T18:00:00+01:00", "venue": "Cambridge Hub, Room 2"}' | show version next_action
echo "# workshop A attended"
post "$PROVIDER" /v1/cautions/$ID/workshops/A/attendance '{"occurred_at": "2026-09-10T20:00:00+01:00"}' | show version required_actions
MIDWAY=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ); sleep 1
echo "# victim contact service records its contact after A"
post "$VICTIM" /v1/cautions/$ID/victim-contacts '{"occurred_at": "2026-09-14T11:00:00+01:00", "stage": "after_workshop_a", "outcome": "contacted", "notes": "Feels safe; wants a call after completion."}' | show version victim_contacted_after_workshop_a
echo "# workshop B attended (32 days after A)"
post "$PROVIDER" /v1/cautions/$ID/workshops/B/attendance '{"occurred_at": "2026-10-12T20:00:00+01:00"}' | show version next_action
echo "# completion"
post "$POLICE" /v1/cautions/$ID/completion '{"occurred_at": "2026-10-13T09:00:00+01:00"}' | show version status closed_at next_action
echo "# what a court sees now, and what the record showed just after workshop A was recorded"
curl -s "$BASE/v1/cautions/$ID" -H "Authorization: Bearer $COURT" | show status workshops victim spent_on
curl -s "$BASE/v1/cautions/$ID?as_of=$MIDWAY" -H "Authorization: Bearer $COURT" | show as_of version status next_action
echo "# the court's verdict now, and on 20 September (what had happened by the end of that day)"
curl -s "$BASE/v1/cautions/$ID/compliance-history" -H "Authorization: Bearer $COURT" | show verdict spent_on digest
curl -s "$BASE/v1/cautions/$ID/compliance-history?on=2026-09-20" -H "Authorization: Bearer $COURT" | show on verdict
echo "# the history exported, then checked with no service and no token"
EXPORT=$(mktemp); trap 'rm -f "$EXPORT"' EXIT
curl -s "$BASE/v1/cautions/$ID/compliance-history/export" -H "Authorization: Bearer $COURT" > "$EXPORT"
.venv/bin/python -m shared.history_verifier "$EXPORT" || true

NOTIFY=${2:-http://127.0.0.1:8001}
sleep 3  # the notification service long-polls the feed; give it a moment
echo "# what the notification service told each role"
for ROLE in provider victim_contact police; do
  T=$(make -s token ROLE=$ROLE FORCE=CAMBS)
  curl -s "$NOTIFY/v1/notifications" -H "Authorization: Bearer $T" \
    | python3 -c 'import json,sys; print(sys.argv[1] + ": " + json.dumps([n["title"] for n in json.load(sys.stdin)["items"]]))' "$ROLE"
done
