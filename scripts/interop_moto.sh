#!/usr/bin/env bash
# make test-interop, second part: drpilot runs a runbook live against
# moto_server, an AWS emulator drpilot's authors did not write, through
# AWS_ENDPOINT_URL, as against any AWS-compatible endpoint. The AWS CLI
# creates the resources first and reads the effects back after. Skips, and
# says so, where moto_server or the AWS CLI is not on the machine.
set -uo pipefail
cd "$(dirname "$0")/.."

bin=${DRPILOT:-bin/drpilot}
[ -x "$bin" ] || { echo "moto interop: build drpilot first (make build)"; exit 2; }
command -v moto_server >/dev/null || { echo "moto interop: no moto_server on this machine: skipping the live run against an independent AWS emulator"; exit 0; }
command -v aws >/dev/null || { echo "moto interop: no AWS CLI on this machine: skipping"; exit 0; }

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 5123)
moto_server -p "$port" > "$work/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; rm -rf "$work"' EXIT

export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=moto AWS_SECRET_ACCESS_KEY=moto
export AWS_DEFAULT_REGION=eu-west-2 AWS_REGION=eu-west-2 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE
for _ in $(seq 100); do aws sts get-caller-identity >/dev/null 2>&1 && break; sleep 0.1; done

fail() { echo "moto interop: FAIL: $*"; exit 1; }
cli() { aws --output text "$@" || fail "aws $*"; }

# The world before the disaster, made with the AWS CLI alone.
cli ssm put-parameter --name /shop/maintenance --value off --type String >/dev/null
volume=$(cli ec2 create-volume --availability-zone eu-west-2a --size 10 --query VolumeId)
snapshot=$(cli ec2 create-snapshot --volume-id "$volume" --query SnapshotId)
cli dynamodb create-table --table-name shop-carts --attribute-definitions AttributeName=id,AttributeType=S \
  --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST >/dev/null
cli rds create-db-instance --db-instance-identifier shop-db --db-instance-class db.t3.micro --engine postgres \
  --master-username shop --master-user-password not-a-real-secret --allocated-storage 20 >/dev/null
template=$(cli ec2 create-launch-template --launch-template-name shop-web \
  --launch-template-data '{"ImageId":"ami-12c6146b","InstanceType":"t3.micro"}' --query LaunchTemplate.LaunchTemplateId)
cli autoscaling create-auto-scaling-group --auto-scaling-group-name shop-web --launch-template "LaunchTemplateId=$template" \
  --min-size 0 --max-size 2 --desired-capacity 0 --availability-zones eu-west-2a >/dev/null
zone=$(cli route53 create-hosted-zone --name example.com --caller-reference "interop-$$" --query HostedZone.Id)
zone=${zone#/hostedzone/}
cli sns create-topic --name dr-commander >/dev/null

# A trusted key next to a copy of the runbook, as a team would keep it.
mkdir -p "$work/books/keys"
cp scripts/interop/moto-runbook.toml "$work/books/"
DRPILOT_KEY="$work/key.pem" "$bin" keygen >/dev/null || fail "keygen"
cp "$work/key.pem.pub" "$work/books/keys/interop.pub"

DRPILOT_KEY="$work/key.pem" "$bin" run "$work/books/moto-runbook.toml" --headless --yes --audit-dir "$work/run" \
  --var "snapshot=$snapshot" --var "zone=$zone" > "$work/run.log" 2>&1 || { cat "$work/run.log"; fail "drpilot run against moto_server"; }
"$bin" audit verify "$work/run" --pub "$work/key.pem.pub" || fail "the run's audit log does not verify"

# The effects, read back with the AWS CLI.
check() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }
check "maintenance flag" "$(cli ssm get-parameter --name /shop/maintenance --query Parameter.Value)" on
restored=$(cli ec2 describe-volumes --query "Volumes[?SnapshotId=='$snapshot'].VolumeId")
check "volumes restored from the snapshot" "$(echo "$restored" | wc -w)" 1
check "data-volume parameter" "$(cli ssm get-parameter --name /shop/data-volume --query Parameter.Value)" "$restored"
check "web group desired capacity" "$(cli autoscaling describe-auto-scaling-groups --auto-scaling-group-names shop-web --query 'AutoScalingGroups[0].DesiredCapacity')" 2
check "shop.example.com A" "$(cli route53 list-resource-record-sets --hosted-zone-id "$zone" --query "ResourceRecordSets[?Name=='shop.example.com.'].ResourceRecords[0].Value")" 192.0.2.10
grep -q 'sns:Publish in eu-west-2: ok' "$work/run.log" || fail "the commander was not notified over SNS"
echo "moto interop: drpilot run live against moto_server, effects read back with the AWS CLI: ok"
