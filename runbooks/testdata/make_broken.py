#!/usr/bin/env python3
"""Writes the broken fixtures: the valid minimal runbook with one mistake
each. Each fixture lists the diagnostics it must produce in "# want:"
lines, which validate_test.go compares exactly; run this script only to add
a case, then fill in and review its want lines by hand."""
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
base = open(os.path.join(here, "valid", "minimal.toml")).read()
cases = {}
def case(name, old, new, count=1):
    assert old in base, (name, old)
    cases[name] = base.replace(old, new, count)

case("unknown-key", 'title = "Minimal runbook"', 'titel = "Minimal runbook"')
case("unknown-key-case", 'phase = "switch"', 'Phase = "switch"')
case("unknown-param", 'db_instance_identifier = "${vars.replica}"', 'db_instanse = "${vars.replica}"')
case("missing-param", 'to = ["commander"]\n', '')
case("wrong-type", 'rto = "30m"', 'rto = 30')
case("wrong-type-param", 'to = ["commander"]', 'to = "commander"')
case("bad-duration", 'rto = "30m"', 'rto = "30 minutes"')
case("unknown-phase", 'phase = "switch"', 'phase = "swtich"')
case("unknown-action", 'action = "rds.promote-read-replica"', 'action = "rds.promote-replica"')
case("unknown-var", 'input = { DBInstanceIdentifier = "${vars.replica}" }', 'input = { DBInstanceIdentifier = "${vars.replicas}" }')
case("unknown-template", '${runbook.regions.recovery}', '${runbook.region}')
case("unterminated-template", '${runbook.regions.recovery}', '${runbook.regions.recovery')
case("output-not-before", 'id = "tell"\nphase = "notify"', 'id = "tell"\nphase = "notify"\nafter = ["declare"]')
case("unknown-output", '${steps.promote.endpoint}', '${steps.promote.address}')
case("cycle", 'id = "declare"\nphase = "declare"', 'id = "declare"\nphase = "declare"\nafter = ["tell"]')
case("unknown-after", 'id = "tell"\nphase = "notify"', 'id = "tell"\nphase = "notify"\nafter = ["promte"]')
case("duplicate-id", 'id = "tell"', 'id = "promote"')
case("unknown-contact", 'to = ["commander"]', 'to = ["comander"]')
case("mutating-require", 'call = "rds:DescribeDBInstances"', 'call = "rds:DeleteDBInstance"')
case("phase-order", 'phase = "declare"', 'phase = "verify"')
case("bad-region", 'recovery = "us-west-2"', 'recovery = "us-west"')
case("bad-arn", 'email = "ic@example.com"', 'sns_topic = "arn:aws:sqs:us-west-2:123456789012:dr"')
case("bad-account", 'account = "123456789012"', 'account = "1234"')
case("bad-query", 'query = "DBInstances[0].DBInstanceStatus"', 'query = "DBInstances[0.DBInstanceStatus"')
case("bad-toml", 'title = "Minimal runbook"', 'title = "Minimal runbook')
case("unsupported-format", 'format = 1', 'format = 2')
case("missing-regions", '[runbook.regions]\nprimary = "us-east-1"\nrecovery = "us-west-2"\n', '')
case("no-test", 'equals = "available"\n', '')
case("secret", 'replica = "orders-db-replica"', 'replica = "orders-db-replica"\naws_key = "AKIAIOSFODNN7EXAMPLE"')
case("no-doc", 'doc = "Say where the database is."\n', '')
case("no-precondition", '[[steps.require]]\ncall = "rds:DescribeDBInstances"\ninput = { DBInstanceIdentifier = "${vars.replica}" }\nquery = "DBInstances[0].DBInstanceStatus"\nequals = "available"\n', '')
case("rto-exceeded", 'rto = "30m"', 'rto = "5m"')
case("steps-not-array", '[[steps]]\nid = "declare"', '[steps]\nid = "declare"')

case("many-errors", 'rto = "30m"', 'rto = "1 hour"')
cases["many-errors"] = cases["many-errors"].replace('recovery = "us-west-2"', 'recovery = "us-west"').replace(
    'action = "rds.promote-read-replica"', 'action = "rds.promote-replica"').replace('to = ["commander"]', 'to = ["comander"]')
case("transposed-key", 'title = "Minimal runbook"', 'titel = "Minimal runbook"\nownre = "x"')
case("var-type-mismatch", 'replica = "orders-db-replica"', 'replica = ["a", "b"]')
case("zero-durations", 'rto = "30m"', 'rto = "0s"\nrpo = "0"')
case("empty-in", 'equals = "available"', 'in = []')
case("with-array-of-tables", '[steps.with]\ndb_instance_identifier', '[[steps.with]]\ndb_instance_identifier')
case("unknown-region", 'recovery = "us-west-2"', 'recovery = "us-wst-2"')
case("unknown-step-region", 'action = "rds.promote-read-replica"', 'action = "rds.promote-read-replica"\nregion = "eu-centrl-1"')
case("unknown-arn-region", 'email = "ic@example.com"', 'sns_topic = "arn:aws:sns:eu-centrl-1:123456789012:dr"')
case("new-regions", 'rto = "30m"', 'rto = "30m"\nnew_regions = ["bogus", "eu-west-1", "eu-centrl-1", "xx-unused-1"]')
case("new-regions-not-list", 'rto = "30m"', 'rto = "30m"\nnew_regions = "xx-newregion-1"')
case("wrong-type-keeps-going", 'phase = "switch"', 'phase = 5\nretries = "2"')
case("bom", 'format = 1', '\ufeffformat = 1\nbogus = 1')
case("unknown-operation", 'call = "rds:DescribeDBInstances"', 'call = "rds:DescribeDBInstancez"')
case("unknown-input-member", 'input = { DBInstanceIdentifier = "${vars.replica}" }', 'input = { DBInstanceIdentifer = "${vars.replica}" }')
aws_call_step = """[[steps]]
id = "mark"
phase = "switch"
title = "Record the failover"
doc = "Write the failover marker."
action = "aws.call"
[steps.with]
call = "dynamodb:PutItem"
[steps.with.input]
TableName = "dr-state"
ConditionExpresion = "attribute_not_exists(pk)"
Item = { pk = { S = "failover" }, run = { S = "${run.id}" }, at = { N = 3 }, by = { Str = "me" }, two = { S = "a", N = "1" }, log = { L = [{ M = { step = { S = "promote" }, ok = { BOOL = "yes" } } }] } }
[[steps.require]]
call = "dynamodb:ListTables"
input = { Limit = "${vars.replica}", ExclusiveStartTableName = "${run.id}" }
exists = true

"""
case("aws-call-input", '[[steps]]\nid = "tell"', aws_call_step + '[[steps]]\nid = "tell"')
case("aws-call-unknown-operation", '[[steps]]\nid = "tell"', aws_call_step.replace('dynamodb:PutItem', 'dynamodb:PutItme') + '[[steps]]\nid = "tell"')

query_steps = """[[steps]]
id = "table"
phase = "verify"
title = "Read the table"
doc = "Read the state table."
action = "aws.call"
[steps.with]
call = "dynamodb:DescribeTable"
input = { TableName = "dr-state" }
[steps.outputs]
status = "table.tableStatus"
items = "Table.ItemCount"
first_key = "Table.KeySchema.AttributeName"
counted = "length(Table.KeySchema)"

[[steps]]
id = "stop"
phase = "verify"
title = "Stop the experiment"
doc = "Stop the game day."
action = "fis.stop-experiment"
[steps.with]
experiment_id = "EXP123"
[[steps.require]]
call = "fis:GetExperiment"
input = { Id = "EXP123" }
query = "experiment.state.status"
equals = "running"
[steps.outputs]
state = "Experiment.State.status"

"""
case("query-unknown-member", '[[steps]]\nid = "tell"', query_steps + '[[steps]]\nid = "tell"')
cases["query-unknown-member"] = cases["query-unknown-member"].replace('query = "DBInstances[0].DBInstanceStatus"', 'query = "DBInstances[?DBInstanceStatus == \'x\'].dbInstanceStatus | [0]"')

casing_step = """[[steps]]
id = "mark"
phase = "switch"
title = "Record the failover"
doc = "Write the failover marker."
action = "aws.call"
[steps.with]
call = "dynamodb:PutItem"
[steps.with.input]
tablename = "dr-state"
Item = { pk = { s = "failover" }, tags = { Ss = ["a"] } }
[[steps.require]]
call = "eks:DescribeNodegroup"
input = { clusterName = "shop", nodegroupName = "web" }
query = "Nodegroup.Status"
equals = "ACTIVE"

[[steps]]
id = "scale"
phase = "switch"
title = "Scale the nodes"
doc = "Scale the node group up."
action = "aws.call"
after = ["mark"]
[steps.with]
call = "eks:UpdateNodegroupConfig"
input = { clusterName = "shop", nodegroupName = "web", scalingConfig = { desiredSize = 4, desiredsize = 3 } }
[[steps.require]]
call = "eks:DescribeNodegroup"
input = { clusterName = "shop", nodegroupName = "web" }
query = "nodegroup.status"
equals = "ACTIVE"

"""
case("input-member-casing", '[[steps]]\nid = "tell"', casing_step + '[[steps]]\nid = "tell"')

region_steps = """[[steps]]
id = "replicated"
phase = "verify"
title = "Assets replicated"
doc = "The newest asset is in the recovery Region."
action = "s3.check-replication"
[steps.with]
bucket = "shop-assets"
destination_region = "us-wst-2"

[[steps]]
id = "cache"
phase = "verify"
title = "Promote the cache"
doc = "Make the recovery cache the primary."
action = "elasticache.failover-global-datastore"
[steps.with]
global_replication_group_id = "ldgnf-sessions"
primary_replication_group_id = "sessions-recovery"
primary_region = "us-west-3"
[[steps.require]]
call = "elasticache:DescribeGlobalReplicationGroups"
query = "GlobalReplicationGroups[0].Status"
equals = "primary"

[[steps]]
id = "secret"
phase = "verify"
title = "Promote the secret"
doc = "Make the credentials a secret of the recovery Region."
action = "secretsmanager.promote-replica"
[steps.with]
secret_id = "arn:aws:secretsmanager:${runbook.regions.primary}:123456789012:secret:prod/orders-db-AbCdEf"
[steps.outputs]
arn = "ARN"
[[steps.require]]
call = "secretsmanager:DescribeSecret"
input = { SecretId = "prod/orders-db" }
query = "PrimaryRegion"
equals = "us-east-1"

[[steps]]
id = "secret-later"
phase = "verify"
title = "Promote a secret found at run time"
doc = "Its ARN is known only during the run."
action = "secretsmanager.promote-replica"
[steps.with]
secret_id = "${steps.secret.arn}"
[[steps.require]]
call = "secretsmanager:DescribeSecret"
input = { SecretId = "prod/orders-db" }
exists = true

"""
case("region-params", '[[steps]]\nid = "tell"', region_steps + '[[steps]]\nid = "tell"')

for name, text in cases.items():
    path = os.path.join(here, "broken", name + ".toml")
    if os.path.exists(path) and "--force" not in sys.argv:
        continue
    open(path, "w").write(text + "# want: (fill in: see validate_test.go)\n")
