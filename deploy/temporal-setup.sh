#!/bin/sh
# Run once by the `temporal-setup` service (temporalio/admin-tools image) when the server is up:
# the namespace, with a retention no longer than heardback's own, and heardback's search
# attributes (the workers would register missing ones too; this makes it explicit).
set -eu
NS="${HEARDBACK_NAMESPACE:-default}"
until temporal operator cluster health --address temporal:7233 >/dev/null 2>&1; do
  echo "waiting for temporal"; sleep 1
done
temporal operator namespace describe --address temporal:7233 -n "$NS" >/dev/null 2>&1 ||
  temporal operator namespace create --address temporal:7233 -n "$NS" --retention "${TEMPORAL_RETENTION:-30d}"
for attr in HeardbackRoleId:Keyword HeardbackState:Keyword HeardbackStage:Keyword \
            HeardbackNextDeadline:Datetime HeardbackLastDeliveredAt:Datetime \
            HeardbackHoursInvested:Double HeardbackFeedbackOverdueSince:Datetime; do
  temporal operator search-attribute create --address temporal:7233 -n "$NS" \
    --name "${attr%%:*}" --type "${attr##*:}" 2>/dev/null || true   # exists already
done
echo "namespace $NS and search attributes ready"
