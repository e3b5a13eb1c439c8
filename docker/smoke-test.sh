#!/usr/bin/env bash
# AWS CLI smoke test of a running Logbucket: waits for /_logbucket/health, then creates two
# buckets, uploads, lists and downloads an object, enables server access logging, makes logged
# requests (one of them a 404), forces a delivery with POST /_logbucket/flush, and checks that the
# delivered log object holds the records. Exits non-zero, naming the failed step, on any failure.
#
# Used by the compose file's one-shot `smoke` service and, against a locally started binary, by
# tests/container/test_docker_recipe.py, so this script is itself tested by `make test`.
#
# Environment (all optional):
#   LOGBUCKET_ENDPOINT   the server to test             (default http://127.0.0.1:9000)
#   SMOKE_WAIT           seconds to wait for health      (default 60)
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION  (default test, test, us-east-1)
# Needs: bash, curl, the aws CLI (v1 or v2).
set -euo pipefail

endpoint="${LOGBUCKET_ENDPOINT:-http://127.0.0.1:9000}"
endpoint="${endpoint%/}"
wait_seconds="${SMOKE_WAIT:-60}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_PAGER=""

step=""
report_failure() {
  local rc=$?
  [ "$rc" -eq 0 ] || echo "smoke: FAILED at step: ${step} (exit ${rc})" >&2
}
trap report_failure EXIT

begin() {
  step="$1"
  echo "smoke: ${step}"
}
fail() {
  echo "smoke: $*" >&2
  exit 1
}
s3() { aws --endpoint-url "$endpoint" "$@"; }

begin "wait for ${endpoint}/_logbucket/health (up to ${wait_seconds}s)"
deadline=$((SECONDS + wait_seconds))
until health="$(curl -fsS --max-time 5 "${endpoint}/_logbucket/health" 2>/dev/null)"; do
  [ "$SECONDS" -lt "$deadline" ] \
    || fail "no healthy Logbucket at ${endpoint} after ${wait_seconds}s"
  sleep 1
done
[[ "$health" == *'"ok"'* ]] || fail "unexpected health answer: ${health}"

# Unique names, so the script can run again against a server that keeps its data volume.
suffix="$(date -u +%Y%m%d%H%M%S)-$$-${RANDOM}"
source_bucket="smoke-src-${suffix}"
log_bucket="smoke-logs-${suffix}"
key="docs/hello.txt"
content="hello from the logbucket smoke test ${suffix}"

begin "create buckets ${source_bucket} and ${log_bucket}"
s3 s3 mb "s3://${source_bucket}"
s3 s3 mb "s3://${log_bucket}"

begin "upload, list and download s3://${source_bucket}/${key}"
printf '%s' "$content" | s3 s3 cp - "s3://${source_bucket}/${key}"
s3 s3 ls "s3://${source_bucket}" --recursive | grep -q " ${key}\$" || fail "${key} is not listed"
downloaded="$(s3 s3 cp "s3://${source_bucket}/${key}" -)"
[ "$downloaded" = "$content" ] || fail "downloaded '${downloaded}', uploaded '${content}'"

begin "put-bucket-logging ${source_bucket} -> ${log_bucket}/access/"
s3 s3api put-bucket-logging --bucket "$source_bucket" --bucket-logging-status \
  "{\"LoggingEnabled\":{\"TargetBucket\":\"${log_bucket}\",\"TargetPrefix\":\"access/\"}}"
s3 s3api get-bucket-logging --bucket "$source_bucket" --output text \
  --query LoggingEnabled.TargetBucket | grep -qx "$log_bucket" \
  || fail "get-bucket-logging does not name ${log_bucket}"

begin "make logged requests (PUT, GET, a HEAD of a missing key)"
printf '%s' "$content" | s3 s3 cp - "s3://${source_bucket}/logged.txt"
s3 s3 cp "s3://${source_bucket}/logged.txt" - >/dev/null
if s3 s3api head-object --bucket "$source_bucket" --key missing.txt >/dev/null 2>&1; then
  fail "head-object of a missing key succeeded"
fi

begin "flush access logs (POST ${endpoint}/_logbucket/flush)"
flushed="$(curl -fsS --max-time 60 -X POST "${endpoint}/_logbucket/flush?bucket=${source_bucket}")"
echo "smoke: flush answered ${flushed}"
[[ "$flushed" == *"access/"* ]] || fail "the flush wrote no log object under access/"

begin "list and read the delivered log object in s3://${log_bucket}/access/"
log_key="$(s3 s3api list-objects-v2 --bucket "$log_bucket" --prefix access/ --output text \
  --query 'Contents[0].Key')"
[[ "$log_key" == access/* ]] || fail "no log object under s3://${log_bucket}/access/"
records="$(s3 s3 cp "s3://${log_bucket}/${log_key}" -)"
for expected in "REST.PUT.OBJECT logged.txt" "REST.GET.OBJECT logged.txt" \
  "REST.HEAD.OBJECT missing.txt"; do
  grep -qF " ${source_bucket} " <<<"$records" || fail "no record names ${source_bucket}"
  grep -qF "$expected" <<<"$records" || fail "no '${expected}' record in ${log_key}:
${records}"
done
grep -qE '"HEAD [^"]*/missing\.txt HTTP/1\.1" 404 NoSuchKey ' <<<"$records" \
  || fail "no 404 NoSuchKey record for missing.txt in ${log_key}:
${records}"

step="done"
echo "smoke: OK (${endpoint}: buckets ${source_bucket}, ${log_bucket}; log object ${log_key})"
