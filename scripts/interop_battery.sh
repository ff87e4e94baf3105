#!/usr/bin/env bash
# The game-day battery of make test-interop, run by scripts/interop.sh with
# $AWS set to an AWS CLI and $ENDPOINT to a fresh drpilot sandbox (or, with
# BATTERY_TARGET=moto, to moto_server: scripts/interop_moto.sh).
#
# It makes the calls an engineer makes by hand during a game day: the
# describes and lists of every service, and the writes that break things
# (stop an instance, delete a replica, disable a health check). Each call
# must succeed or fail cleanly: an AWS error the CLI parsed and printed,
# NotImplemented for what the sandbox does not simulate. It prints the pass
# count and percentage and fails when
#   - a call fails uncleanly (raw XML, MethodNotAllowed, a traceback, a
#     connection error, anything but "An error occurred (Code)"), or
#   - a call the sandbox simulates fails (an AWS error other than
#     NotImplemented), or
#   - fewer than min_pct percent of the calls pass.
set -uo pipefail

# The pass rate the battery must keep: the rate when it was written. Raise
# it as the sandbox simulates more; BATTERY_MIN_PCT overrides it.
min_pct=${BATTERY_MIN_PCT:-95}
target=${BATTERY_TARGET:-sandbox}

AWS="$AWS --endpoint-url $ENDPOINT"
a=123456789012
t=(--output text)
quiet() { $AWS "$@" >/dev/null 2>&1; }

# The world before the game day, made with the CLI alone. A part the
# sandbox does not simulate yet (KMS, load balancers) fails quietly here;
# the calls that read it then show it as not simulated.
quiet rds create-db-instance --region us-east-1 --db-instance-identifier orders --db-instance-class db.r6g.large \
  --engine postgres --allocated-storage 100 --backup-retention-period 7 --master-username shop \
  --master-user-password not-a-secret
for r in orders-replica orders-spare; do
  quiet rds create-db-instance-read-replica --region us-west-2 --db-instance-identifier $r \
    --source-db-instance-identifier arn:aws:rds:us-east-1:$a:db:orders
done
for r in us-west-2 us-east-1; do
  quiet dynamodb create-table --region $r --table-name carts --attribute-definitions AttributeName=id,AttributeType=S \
    --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST
done
quiet dynamodb create-global-table --global-table-name carts --replication-group RegionName=us-west-2 RegionName=us-east-1
zone=$($AWS route53 create-hosted-zone --name shop.example.com --caller-reference gameday --query HostedZone.Id "${t[@]}" 2>/dev/null)
hc=$($AWS route53 create-health-check --caller-reference gameday --health-check-config \
  Type=HTTPS,FullyQualifiedDomainName=api.shop.example.com,Port=443,ResourcePath=/health \
  --query HealthCheck.Id "${t[@]}" 2>/dev/null)
inst=$($AWS ec2 run-instances --image-id ami-0abc --instance-type m5.large --count 1 \
  --placement AvailabilityZone=us-west-2a --query 'Instances[0].InstanceId' "${t[@]}" 2>/dev/null)
vol=$($AWS ec2 create-volume --availability-zone us-west-2a --size 20 --query VolumeId "${t[@]}" 2>/dev/null)
quiet autoscaling create-auto-scaling-group --auto-scaling-group-name web --min-size 0 --max-size 4 \
  --desired-capacity 2 --launch-template LaunchTemplateName=web --availability-zones us-west-2a
tg=$($AWS elbv2 create-target-group --name web --protocol HTTP --port 80 --vpc-id vpc-0abc --target-type ip \
  --query 'TargetGroups[0].TargetGroupArn' "${t[@]}" 2>/dev/null)
quiet elbv2 register-targets --target-group-arn "$tg" --targets Id=10.0.0.10,Port=80
quiet elbv2 create-load-balancer --name web --subnets subnet-0abc subnet-0def
quiet ecs create-cluster --cluster-name shop
quiet ecs create-service --cluster shop --service-name api --task-definition api:3 --desired-count 2
quiet ssm put-parameter --name /shop/maintenance --value off --type String
quiet ssm put-parameter --name /shop/region --value us-west-2 --type String
topic=$($AWS sns create-topic --name dr-commander --query TopicArn "${t[@]}" 2>/dev/null)
quiet sns subscribe --topic-arn "$topic" --protocol email --notification-endpoint ic@example.com
quiet secretsmanager create-secret --name shop/db --secret-string hunter2
quiet backup create-backup-vault --backup-vault-name dr-vault
quiet cloudwatch put-metric-alarm --alarm-name shop-5xx --metric-name 5XXError --namespace AWS/ApplicationELB \
  --statistic Sum --period 60 --evaluation-periods 2 --threshold 10 --comparison-operator GreaterThanThreshold
printf 'PK\005\006\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000' > /tmp/battery-fn.zip
quiet lambda create-function --function-name order-export --runtime python3.12 --handler app.handler \
  --role arn:aws:iam::$a:role/fn --zip-file fileb:///tmp/battery-fn.zip
quiet events put-rule --name nightly-export --schedule-expression 'rate(1 day)'
quiet s3api create-bucket --bucket shop-assets --create-bucket-configuration LocationConstraint=us-west-2
printf 'canary' > /tmp/battery-canary.txt
quiet s3api put-object --bucket shop-assets --key canary.txt --body /tmp/battery-canary.txt
quiet kms create-key --description dr
key=$($AWS kms list-keys --query 'Keys[0].KeyId' "${t[@]}" 2>/dev/null)
quiet kms create-alias --alias-name alias/dr --target-key-id "$key"
quiet sesv2 create-email-identity --email-identity dr@example.com
quiet elasticache create-replication-group --replication-group-id sessions --replication-group-description sessions
# Let simulated time pass so that what was created is available.
[ "$target" = sandbox ] && curl -s -X POST -d '{"advance": "2h"}' "$ENDPOINT/_sandbox/clock" >/dev/null

# The battery: one call a line, as typed (after "aws"). $vars are expanded.
# "@advance D" is not a call: it lets D pass on the sandbox's clock, as an
# engineer waits for a change to settle before the next one.
read -r -d '' calls <<EOF
sts get-caller-identity
sts assume-role --role-arn arn:aws:iam::$a:role/dr-operator --role-session-name gameday
ec2 describe-regions
ec2 describe-availability-zones
ec2 describe-vpcs
ec2 describe-security-groups
ec2 describe-instances
ec2 describe-instance-status
ec2 describe-volumes
ec2 describe-snapshots --owner-ids self
ec2 describe-tags
ec2 create-snapshot --volume-id $vol --description gameday
ec2 attach-volume --volume-id $vol --instance-id $inst --device /dev/sdf
ec2 stop-instances --instance-ids $inst
rds describe-db-instances --region us-east-1
rds describe-db-instances --region us-west-2 --db-instance-identifier orders-replica
rds describe-db-clusters
rds describe-global-clusters
rds describe-db-snapshots --region us-east-1
rds describe-db-instance-automated-backups --region us-east-1
rds describe-events --region us-east-1
rds create-db-snapshot --region us-east-1 --db-instance-identifier orders --db-snapshot-identifier gameday
rds modify-db-instance --region us-east-1 --db-instance-identifier orders --backup-retention-period 14 --apply-immediately
@advance 10m
rds reboot-db-instance --region us-east-1 --db-instance-identifier orders
rds promote-read-replica --region us-west-2 --db-instance-identifier orders-replica
rds delete-db-instance --region us-west-2 --db-instance-identifier orders-spare --skip-final-snapshot
dynamodb list-tables
dynamodb describe-table --table-name carts
dynamodb describe-continuous-backups --table-name carts
dynamodb describe-time-to-live --table-name carts
dynamodb describe-global-table --global-table-name carts
dynamodb put-item --table-name carts --item {"id":{"S":"gameday"},"n":{"N":"1"}}
dynamodb get-item --table-name carts --key {"id":{"S":"gameday"}}
dynamodb scan --table-name carts
route53 list-hosted-zones
route53 list-hosted-zones-by-name --dns-name shop.example.com
route53 list-resource-record-sets --hosted-zone-id $zone
route53 list-health-checks
route53 get-health-check --health-check-id $hc
route53 get-health-check-status --health-check-id $hc
route53 update-health-check --health-check-id $hc --disabled
route53 change-resource-record-sets --hosted-zone-id $zone --change-batch {"Changes":[{"Action":"UPSERT","ResourceRecordSet":{"Name":"api.shop.example.com","Type":"CNAME","TTL":60,"ResourceRecords":[{"Value":"api.us-west-2.example.com"}]}}]}
elbv2 describe-load-balancers
elbv2 describe-target-groups
elbv2 describe-target-health --target-group-arn $tg
elbv2 deregister-targets --target-group-arn $tg --targets Id=10.0.0.10,Port=80
ecs list-clusters
ecs describe-clusters --clusters shop
ecs list-services --cluster shop
ecs describe-services --cluster shop --services api
ecs update-service --cluster shop --service api --desired-count 0
autoscaling describe-auto-scaling-groups
autoscaling describe-scaling-activities --auto-scaling-group-name web
autoscaling set-desired-capacity --auto-scaling-group-name web --desired-capacity 0
autoscaling update-auto-scaling-group --auto-scaling-group-name web --min-size 0 --max-size 2
ssm get-parameter --name /shop/maintenance
ssm get-parameters --names /shop/maintenance /shop/region
ssm get-parameters-by-path --path /shop
ssm describe-parameters
ssm put-parameter --name /shop/maintenance --value on --type String --overwrite
sns list-topics
sns list-subscriptions
sns get-topic-attributes --topic-arn $topic
sns publish --topic-arn $topic --message failing-over
sesv2 list-email-identities
sesv2 get-account
backup list-backup-vaults
backup list-backup-jobs
backup list-backup-plans
backup list-recovery-points-by-backup-vault --backup-vault-name dr-vault
cloudwatch describe-alarms
cloudwatch set-alarm-state --alarm-name shop-5xx --state-value ALARM --state-reason gameday
cloudwatch put-metric-data --namespace GameDay --metric-name Injected --value 1
cloudwatch get-metric-statistics --namespace AWS/ApplicationELB --metric-name 5XXError --statistics Sum --period 60 --start-time 2026-01-01T00:00:00Z --end-time 2026-01-01T01:00:00Z
cloudwatch list-metrics
lambda list-functions
lambda get-function --function-name order-export
lambda put-function-concurrency --function-name order-export --reserved-concurrent-executions 0
events list-rules
events describe-rule --name nightly-export
events disable-rule --name nightly-export
s3 ls
s3api list-buckets
s3api list-objects-v2 --bucket shop-assets
s3api get-object --bucket shop-assets --key canary.txt /dev/null
s3api get-bucket-versioning --bucket shop-assets
s3api head-object --bucket shop-assets --key canary.txt
kms list-keys
kms list-aliases
kms describe-key --key-id alias/dr
secretsmanager list-secrets
secretsmanager describe-secret --secret-id shop/db
secretsmanager get-secret-value --secret-id shop/db
elasticache describe-replication-groups
elasticache describe-global-replication-groups
cloudformation describe-stacks
cloudformation list-stacks
opensearch list-domain-names
EOF

set -f # a line's JSON ([...]) is an argument, not a glob
total=0 passed=0 notsim=0 failed=0 skipped=0
while read -r line; do
  [ -n "$line" ] || continue
  if [ "${line%% *}" = @advance ]; then
    [ "$target" = sandbox ] && curl -s -X POST -d "{\"advance\": \"${line#* }\"}" "$ENDPOINT/_sandbox/clock" >/dev/null
    continue
  fi
  total=$((total + 1))
  # Word splitting is the point: a line is the call as typed.
  # shellcheck disable=SC2086
  out=$($AWS $line 2>&1 >/dev/null)
  rc=$?
  code=$(printf '%s' "$out" | sed -n 's/.*An error occurred (\([A-Za-z0-9.]*\)).*/\1/p' | head -n 1)
  if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'Invalid choice'; then
    total=$((total - 1)); skipped=$((skipped + 1)); echo "  skip   aws $line: this CLI predates the call"
  elif [ $rc -eq 0 ]; then
    passed=$((passed + 1)); echo "  ok     aws $line"
  elif printf '%s' "$out" | grep -qE '<\?xml|<Error|MethodNotAllowed|Traceback|Could not connect|Unable to parse|InternalFailure|InternalError'; then
    failed=$((failed + 1)); echo "  UNCLEAN aws $line: $(printf '%s' "$out" | head -c 300)"
  elif { [ "$code" = NotImplemented ] && printf '%s' "$out" | grep -q 'does not simulate'; } ||
    { [ "$target" = moto ] && [ -n "$code" ]; }; then
    notsim=$((notsim + 1)); echo "  nosim  aws $line"
  elif [ -n "$code" ]; then
    failed=$((failed + 1)); echo "  FAIL   aws $line: $(printf '%s' "$out" | tr '\n' ' ' | head -c 300)"
  else
    failed=$((failed + 1)); echo "  UNCLEAN aws $line: rc $rc: $(printf '%s' "$out" | tr '\n' ' ' | head -c 300)"
  fi
done <<< "$calls"

pct=$(( total > 0 ? passed * 100 / total : 0 ))
echo "battery: $passed of $total calls pass ($pct%); $notsim not simulated, answered cleanly; $failed failed; $skipped skipped"
status=0
[ "$failed" -eq 0 ] || { echo "battery: FAIL: $failed call(s) failed otherwise than cleanly not simulated"; status=1; }
[ "$pct" -ge "$min_pct" ] || { echo "battery: FAIL: $pct% pass, below the battery's threshold of $min_pct%"; status=1; }
exit $status
