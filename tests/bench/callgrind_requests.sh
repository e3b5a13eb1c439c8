#!/usr/bin/env bash
# Instructions per request of the server, from callgrind: repeatable on a noisy shared machine,
# where throughput and CPU time are not. Starts BUILD_DIR/logbucket under valgrind with a fresh
# data directory, creates the buckets "plain", "logged" and "logs" ("logged" logs into "logs"),
# sends 500 warm-up requests, zeroes the counters, sends N measured requests with loadgen at 16
# connections, dumps, and prints the server's instructions (all threads) per measured request.
# GET workloads first PUT 1000 objects k/00000000... to read back.
# Usage: tests/bench/callgrind_requests.sh BUILD_DIR get|put plain|logged N [loadgen options]
# The callgrind profile is kept (its path is printed) for callgrind_annotate.
set -euo pipefail

build=${1:?usage: callgrind_requests.sh BUILD_DIR get|put plain|logged N [loadgen options]}
mode=${2:?mode get or put}
bucket=${3:?bucket plain or logged}
n=${4:?number of measured requests}
shift 4
build=$(cd "$build" && pwd)
work=$(mktemp -d /tmp/logbucket-callgrind-XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
profile="$work/callgrind.out"

valgrind --tool=callgrind --callgrind-out-file="$profile" "$build/logbucket" \
  --listen "127.0.0.1:$port" --data-dir "$work/data" --diagnostics-level warn \
  >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 300); do
  curl -s -o /dev/null "$endpoint/_logbucket/health" && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.2
done
python3 - "$endpoint" <<'PY'
import sys
import boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test",
                  config=Config(s3={"addressing_style": "path"}))
for name in ("plain", "logged", "logs"):
    s3.create_bucket(Bucket=name)
s3.put_bucket_logging(Bucket="logged", BucketLoggingStatus={
    "LoggingEnabled": {"TargetBucket": "logs", "TargetPrefix": "access/"}})
PY
loadgen=("$build/tests/bench/loadgen" --endpoint "$endpoint" --bucket "$bucket" --warmup 0
         --connections 16)
warm_prefix=k/
if [[ "$mode" == get ]]; then
  "${loadgen[@]}" --mode put --requests 1000 --key-prefix k/ >/dev/null
  set -- --no-prepare "$@"
else
  warm_prefix=w/  # PUTs measure distinct new keys
fi
"${loadgen[@]}" --mode "$mode" --requests 500 --key-prefix "$warm_prefix" "$@" >/dev/null
callgrind_control -z "$server" >/dev/null 2>&1
"${loadgen[@]}" --mode "$mode" --requests "$n" "$@" >"$work/loadgen.json"
callgrind_control -d "$server" >/dev/null 2>&1
dump=$(ls -t "$profile".* | head -1)
total=$(sed -n 's/^summary: //p' "$dump")
kill -TERM "$server"
wait "$server" || true
trap - EXIT
echo "$mode $bucket: $((total / n)) instructions/request ($total for $n requests); profile $dump"
