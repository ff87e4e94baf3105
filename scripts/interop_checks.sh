#!/usr/bin/env bash
# The checks of make test-interop, run by scripts/interop.sh with $AWS set
# to an AWS CLI and AWS_ENDPOINT_URL to a running drpilot sandbox. Each
# check creates with the CLI and reads back with the CLI.
set -uo pipefail
failed=0
pass() { echo "  ok    $1"; }
fail() { echo "  FAIL  $1: $2"; failed=$((failed + 1)); }

# expect NAME WANT COMMAND...: the command's output, trimmed, must be WANT.
expect() {
  local name=$1 want=$2; shift 2
  local got
  got=$("$@" 2>&1 | tr -d '\r' | sed -e 's/[[:space:]]*$//')
  if [ "$got" = "$want" ]; then pass "$name"; else fail "$name" "got [$got], want [$want]"; fi
}

# supports SERVICE: whether this CLI knows the service (old CLIs predate some).
supports() { $AWS "$1" help >/dev/null 2>&1; }

# Old CLIs (v2 before 2.13) ignore AWS_ENDPOINT_URL: name the endpoint.
AWS="$AWS --endpoint-url $ENDPOINT"
out=(--output text)

expect "sts get-caller-identity" "123456789012" $AWS sts get-caller-identity --query Account "${out[@]}"

$AWS rds create-db-instance --region us-east-1 --db-instance-identifier orders --db-instance-class db.t4g.micro \
  --engine postgres --allocated-storage 20 >/dev/null
$AWS rds create-db-instance-read-replica --db-instance-identifier orders-replica \
  --source-db-instance-identifier arn:aws:rds:us-east-1:123456789012:db:orders >/dev/null
expect "rds read replica" "orders-replica	arn:aws:rds:us-east-1:123456789012:db:orders" \
  $AWS rds describe-db-instances --db-instance-identifier orders-replica \
  --query 'DBInstances[0].[DBInstanceIdentifier,ReadReplicaSourceDBInstanceIdentifier]' "${out[@]}"
expect "rds not found" "DBInstanceNotFound" \
  bash -c "$AWS rds describe-db-instances --db-instance-identifier nope 2>&1 | grep -o DBInstanceNotFound | head -n 1"
$AWS rds add-tags-to-resource --region us-east-1 --resource-name arn:aws:rds:us-east-1:123456789012:db:orders \
  --tags Key=backup-plan,Value=orders-use1 >/dev/null
expect "rds tags" "backup-plan	orders-use1" \
  $AWS rds list-tags-for-resource --region us-east-1 --resource-name arn:aws:rds:us-east-1:123456789012:db:orders \
  --query 'TagList[0].[Key,Value]' "${out[@]}"
expect "rds filters" "orders" \
  $AWS rds describe-db-instances --region us-east-1 --filters Name=engine,Values=postgres,mysql \
  --query 'DBInstances[].DBInstanceIdentifier' "${out[@]}"

$AWS dynamodb create-table --table-name carts --attribute-definitions AttributeName=id,AttributeType=S \
  --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST >/dev/null
$AWS dynamodb update-continuous-backups --table-name carts \
  --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true >/dev/null
expect "dynamodb point-in-time recovery" "ENABLED" $AWS dynamodb describe-continuous-backups --table-name carts \
  --query ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus "${out[@]}"

zone=$($AWS route53 create-hosted-zone --name shop.example.com --caller-reference interop --query HostedZone.Id "${out[@]}")
$AWS route53 change-resource-record-sets --hosted-zone-id "$zone" --change-batch \
  '{"Changes":[{"Action":"UPSERT","ResourceRecordSet":{"Name":"api.shop.example.com","Type":"CNAME","TTL":60,"ResourceRecords":[{"Value":"api.us-west-2.example.com"}]}}]}' >/dev/null
expect "route53 record" "api.us-west-2.example.com" $AWS route53 list-resource-record-sets --hosted-zone-id "$zone" \
  --query "ResourceRecordSets[?Name=='api.shop.example.com.'].ResourceRecords[0].Value" "${out[@]}"
hc=$($AWS route53 create-health-check --caller-reference hc-interop --health-check-config \
  Type=HTTPS,FullyQualifiedDomainName=shop.us-west-2.elb.amazonaws.com,Port=443,ResourcePath=/health --query HealthCheck.Id "${out[@]}")
$AWS route53 update-health-check --health-check-id "$hc" --inverted >/dev/null
expect "route53 health check inverted" "True" $AWS route53 get-health-check --health-check-id "$hc" \
  --query HealthCheck.HealthCheckConfig.Inverted "${out[@]}"

$AWS cloudwatch put-metric-alarm --alarm-name shop-5xx --metric-name 5XXError --namespace AWS/ApplicationELB \
  --statistic Sum --period 60 --evaluation-periods 2 --threshold 10 --comparison-operator GreaterThanThreshold >/dev/null
$AWS cloudwatch set-alarm-state --alarm-name shop-5xx --state-value ALARM --state-reason interop >/dev/null
expect "cloudwatch alarm state" "ALARM" $AWS cloudwatch describe-alarms --alarm-names shop-5xx \
  --query 'MetricAlarms[0].StateValue' "${out[@]}"

# The CLI checks that --zip-file is a zip: an empty archive is one.
printf 'PK\005\006\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000' > /tmp/interop-fn.zip
$AWS lambda create-function --function-name order-export --runtime python3.12 --handler app.handler \
  --role arn:aws:iam::123456789012:role/fn --zip-file fileb:///tmp/interop-fn.zip >/dev/null
$AWS lambda put-function-concurrency --function-name order-export --reserved-concurrent-executions 0 >/dev/null
expect "lambda concurrency" "0" $AWS lambda get-function-concurrency --function-name order-export \
  --query ReservedConcurrentExecutions "${out[@]}"

vol=$($AWS ec2 create-volume --availability-zone us-west-2a --size 20 --query VolumeId "${out[@]}")
expect "ec2 volume" "20	us-west-2a" $AWS ec2 describe-volumes --volume-ids "$vol" --query 'Volumes[0].[Size,AvailabilityZone]' "${out[@]}"
inst=$($AWS ec2 run-instances --image-id ami-0abc --instance-type m5.large --count 1 \
  --placement AvailabilityZone=us-west-2a --query 'Instances[0].InstanceId' "${out[@]}")
expect "ec2 instance" "$inst" $AWS ec2 describe-instances --instance-ids "$inst" \
  --query 'Reservations[0].Instances[0].InstanceId' "${out[@]}"
$AWS ec2 create-tags --resources "$vol" --tags Key=backup-plan,Value=docstore >/dev/null
expect "ec2 tags" "$vol" $AWS ec2 describe-volumes --filters Name=tag:backup-plan,Values=docstore \
  --query 'Volumes[].VolumeId' "${out[@]}"

$AWS s3api create-bucket --bucket interop-assets --create-bucket-configuration LocationConstraint=us-west-2 >/dev/null
printf 'canary' > /tmp/interop-canary.txt
$AWS s3api put-object --bucket interop-assets --key canary.txt --body /tmp/interop-canary.txt >/dev/null
expect "s3 object" "6" $AWS s3api head-object --bucket interop-assets --key canary.txt --query ContentLength "${out[@]}"

$AWS autoscaling create-auto-scaling-group --auto-scaling-group-name web --min-size 0 --max-size 4 --desired-capacity 2 \
  --launch-template LaunchTemplateName=web --availability-zones us-west-2a us-west-2b >/dev/null
expect "autoscaling group" "2" $AWS autoscaling describe-auto-scaling-groups --auto-scaling-group-names web \
  --query 'AutoScalingGroups[0].DesiredCapacity' "${out[@]}"

tg=$($AWS elbv2 create-target-group --name web --protocol HTTP --port 80 --vpc-id vpc-0abc --target-type ip \
  --query 'TargetGroups[0].TargetGroupArn' "${out[@]}")
$AWS elbv2 register-targets --target-group-arn "$tg" --targets Id=10.0.0.10,Port=80 >/dev/null
expect "elbv2 target" "10.0.0.10" $AWS elbv2 describe-target-health --target-group-arn "$tg" \
  --query 'TargetHealthDescriptions[0].Target.Id' "${out[@]}"

topic=$($AWS sns create-topic --name dr-commander --query TopicArn "${out[@]}")
expect "sns publish" "1" bash -c "$AWS sns publish --topic-arn '$topic' --message 'fail over' --query MessageId --output text | grep -c ."

$AWS ssm put-parameter --name /shop/maintenance --value on --type String >/dev/null
expect "ssm parameter" "on	1" $AWS ssm get-parameter --name /shop/maintenance --query 'Parameter.[Value,Version]' "${out[@]}"
ops=$($AWS ssm create-ops-item --title "Region failover" --description "interop" --source drpilot --query OpsItemId "${out[@]}")
expect "ssm ops item" "Region failover" $AWS ssm get-ops-item --ops-item-id "$ops" --query OpsItem.Title "${out[@]}"

$AWS ecs create-cluster --cluster-name shop >/dev/null
$AWS ecs create-service --cluster shop --service-name api --task-definition api:3 --desired-count 0 >/dev/null
$AWS ecs update-service --cluster shop --service api --desired-count 4 >/dev/null
expect "ecs service" "api	4" $AWS ecs describe-services --cluster shop --services api \
  --query 'services[0].[serviceName,desiredCount]' "${out[@]}"

$AWS events put-rule --name nightly-export --schedule-expression 'rate(1 day)' >/dev/null
$AWS events disable-rule --name nightly-export >/dev/null
expect "eventbridge rule" "DISABLED" $AWS events describe-rule --name nightly-export --query State "${out[@]}"

contact=$($AWS ssm-contacts create-contact --alias ic --display-name "Incident commander" --type PERSONAL \
  --plan '{"Stages":[]}' --query ContactArn "${out[@]}")
expect "ssm-contacts engagement" "1" bash -c "$AWS ssm-contacts start-engagement --contact-id '$contact' --sender drpilot \
  --subject failover --content 'failing over' --query EngagementArn --output text | grep -c engagement/"

$AWS backup create-backup-vault --backup-vault-name dr-vault >/dev/null
job=$($AWS backup start-backup-job --backup-vault-name dr-vault --iam-role-arn arn:aws:iam::123456789012:role/backup \
  --resource-arn arn:aws:ec2:us-west-2:123456789012:volume/vol-0abc --query BackupJobId "${out[@]}")
expect "backup job" "dr-vault" $AWS backup describe-backup-job --backup-job-id "$job" --query BackupVaultName "${out[@]}"
expect "backup recovery points" "1" $AWS backup list-recovery-points-by-backup-vault --backup-vault-name dr-vault \
  --query 'length(RecoveryPoints)' "${out[@]}"

incident=$($AWS ssm-incidents start-incident --response-plan-arn arn:aws:ssm-incidents::123456789012:response-plan/failover \
  --title "Region down" --impact 1 --query incidentRecordArn "${out[@]}")
expect "ssm-incidents record" "OPEN" $AWS ssm-incidents get-incident-record --arn "$incident" --query incidentRecord.status "${out[@]}"

expect "sesv2 send email" "1" bash -c "$AWS sesv2 send-email --from-email-address dr@example.com \
  --destination ToAddresses=ic@example.com --content 'Simple={Subject={Data=failover},Body={Text={Data=hi}}}' \
  --query MessageId --output text | grep -c ."

$AWS cloudformation create-change-set --stack-name shop --change-set-name v1 --change-set-type CREATE \
  --template-body '{"Parameters":{"Env":{"Type":"String"}},"Resources":{"Queue":{"Type":"AWS::SQS::Queue"}}}' \
  --parameters ParameterKey=Env,ParameterValue=dr >/dev/null
expect "cloudformation stack in review" "shop	REVIEW_IN_PROGRESS" $AWS cloudformation describe-stacks --stack-name shop \
  --query 'Stacks[0].[StackName,StackStatus]' "${out[@]}"
expect "cloudformation list stacks" "1" $AWS cloudformation list-stacks --query 'length(StackSummaries)' "${out[@]}"
expect "cloudformation change set" "Env	dr" $AWS cloudformation describe-change-set --stack-name shop --change-set-name v1 \
  --query 'Parameters[0].[ParameterKey,ParameterValue]' "${out[@]}"

if supports arc-region-switch; then
  plan=$($AWS arc-region-switch create-plan --name interop --execution-role arn:aws:iam::123456789012:role/arc \
    --regions us-east-1 us-west-2 --recovery-approach activePassive \
    --workflows '[{"workflowTargetAction":"activate","workflowTargetRegion":"us-west-2","steps":[]}]' --query plan.arn "${out[@]}")
  expect "arc-region-switch plan" "interop" bash -c "echo '$plan' | sed 's|.*plan/\([^:]*\):.*|\1|'"
else
  echo "  skip  arc-region-switch: this CLI predates the service"
fi

[ "$failed" -eq 0 ]
