package sandbox

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	arc "github.com/aws/aws-sdk-go-v2/service/arcregionswitch"
	arctypes "github.com/aws/aws-sdk-go-v2/service/arcregionswitch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/ssmincidents"
	incidenttypes "github.com/aws/aws-sdk-go-v2/service/ssmincidents/types"
)

// The operations in this file are the ones the shipped runbooks'
// preconditions read before they rely on a channel or a plan.

func TestSNSSubscriptionsAndTopicAttributes(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := sns.NewFromConfig(awsConfig(t, url, "ap-northeast-3"))
	topic, err := client.CreateTopic(ctx(t), &sns.CreateTopicInput{Name: aws.String("store-managers")})
	if err != nil {
		t.Fatal(err)
	}
	counts := func() (string, string) {
		out, err := client.GetTopicAttributes(ctx(t), &sns.GetTopicAttributesInput{TopicArn: topic.TopicArn})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes["SubscriptionsConfirmed"], out.Attributes["SubscriptionsPending"]
	}
	if c, p := counts(); c != "0" || p != "0" {
		t.Fatalf("a new topic: %s confirmed, %s pending", c, p)
	}
	email, err := client.Subscribe(ctx(t), &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("store-7@example.jp")})
	if err != nil || aws.ToString(email.SubscriptionArn) != "pending confirmation" {
		t.Fatalf("email subscription: %+v %v", email, err)
	}
	if _, err := client.Subscribe(ctx(t), &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String("arn:aws:sqs:ap-northeast-3:123456789012:store-feed")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Subscribe(ctx(t), &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"),
		Endpoint: aws.String("store-8@example.jp"), Attributes: map[string]string{"Confirmed": "true"}}); err != nil {
		t.Fatal(err)
	}
	if c, p := counts(); c != "2" || p != "1" {
		t.Fatalf("after three subscriptions: %s confirmed, %s pending", c, p)
	}
	var nf *snstypes.NotFoundException
	if _, err := client.GetTopicAttributes(ctx(t), &sns.GetTopicAttributesInput{TopicArn: aws.String("arn:aws:sns:ap-northeast-3:123456789012:nope")}); !errors.As(err, &nf) {
		t.Fatalf("a missing topic: %v", err)
	}
}

func TestIncidentResponsePlans(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := ssmincidents.NewFromConfig(awsConfig(t, url, "ap-northeast-3"))
	created, err := client.CreateResponsePlan(ctx(t), &ssmincidents.CreateResponsePlanInput{Name: aws.String("stores-region-failover"),
		IncidentTemplate: &incidenttypes.IncidentTemplate{Title: aws.String("Stores: Region failover"), Impact: aws.Int32(1)},
		Engagements:      []string{"arn:aws:ssm-contacts:ap-northeast-3:123456789012:contact/stores-ic"}})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := client.GetResponsePlan(ctx(t), &ssmincidents.GetResponsePlanInput{Arn: created.Arn})
	if err != nil || len(plan.Engagements) != 1 || aws.ToString(plan.IncidentTemplate.Title) != "Stores: Region failover" {
		t.Fatalf("plan: %+v %v", plan, err)
	}
	var nf *incidenttypes.ResourceNotFoundException
	if _, err := client.GetResponsePlan(ctx(t), &ssmincidents.GetResponsePlanInput{Arn: aws.String("arn:aws:ssm-incidents::123456789012:response-plan/nope")}); !errors.As(err, &nf) {
		t.Fatalf("a missing plan: %v", err)
	}
}

func TestARCPlanEvaluation(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := arc.NewFromConfig(awsConfig(t, url, "ap-northeast-3"))
	plan := createPlan(t, client)
	status := func() arctypes.EvaluationStatus {
		out, err := client.GetPlanEvaluationStatus(ctx(t), &arc.GetPlanEvaluationStatusInput{PlanArn: aws.String(plan)})
		if err != nil {
			t.Fatal(err)
		}
		return out.EvaluationState
	}
	if st := status(); st != arctypes.EvaluationStatusPendingEvaluation {
		t.Fatalf("a new plan: %s", st)
	}
	sb.clock.Advance(31 * time.Minute)
	if st := status(); st != arctypes.EvaluationStatusPassed {
		t.Fatalf("after its first evaluation: %s", st)
	}
	sb.faults.apply(Fault{Stuck: &Stuck{Service: "arc-region-switch", Region: "global", ID: plan, State: "actionRequired"}})
	if st := status(); st != arctypes.EvaluationStatusActionRequired {
		t.Fatalf("held by a fault: %s", st)
	}
}

func TestSESAccountStanding(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := sesv2.NewFromConfig(awsConfig(t, url, "us-west-2"))
	out, err := client.GetAccount(ctx(t), &sesv2.GetAccountInput{})
	if err != nil || !out.ProductionAccessEnabled || !out.SendingEnabled {
		t.Fatalf("account: %+v %v", out, err)
	}
	sb.faults.apply(Fault{Stuck: &Stuck{Service: "ses", Region: "us-west-2", ID: "account", State: "sandbox"}})
	if out, err := client.GetAccount(ctx(t), &sesv2.GetAccountInput{}); err != nil || out.ProductionAccessEnabled {
		t.Fatalf("an account in the SES sandbox: %+v %v", out, err)
	}
}

func TestDynamoDBTimeToLive(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{TimeScale: 1000})
	client := dynamodb.NewFromConfig(awsConfig(t, url, "us-west-2"))
	createTable(t, client, "carts")
	describe := func() ddbtypes.TimeToLiveStatus {
		out, err := client.DescribeTimeToLive(ctx(t), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("carts")})
		if err != nil {
			t.Fatal(err)
		}
		return out.TimeToLiveDescription.TimeToLiveStatus
	}
	if st := describe(); st != ddbtypes.TimeToLiveStatusDisabled {
		t.Fatalf("a new table: %s", st)
	}
	spec := &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("carts"),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("expires_at")}}
	if _, err := client.UpdateTimeToLive(ctx(t), spec); err != nil {
		t.Fatal(err)
	}
	if st := describe(); st != ddbtypes.TimeToLiveStatusEnabling {
		t.Fatalf("just turned on: %s", st)
	}
	sb.clock.Advance(11 * time.Minute)
	if st := describe(); st != ddbtypes.TimeToLiveStatusEnabled {
		t.Fatalf("after the change: %s", st)
	}
	if _, err := client.UpdateTimeToLive(ctx(t), spec); apiCode(err) != "ValidationException" {
		t.Fatalf("turned on twice: %v", err)
	}
}

func TestGlobalClusterWriterEndpoint(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := rds.NewFromConfig(awsConfig(t, url, "ap-northeast-1"))
	if _, err := client.CreateGlobalCluster(ctx(t), &rds.CreateGlobalClusterInput{GlobalClusterIdentifier: aws.String("stores-global"), Engine: aws.String("aurora-postgresql")}); err != nil {
		t.Fatal(err)
	}
	out, err := client.DescribeGlobalClusters(ctx(t), &rds.DescribeGlobalClustersInput{GlobalClusterIdentifier: aws.String("stores-global")})
	if err != nil || !strings.HasPrefix(aws.ToString(out.GlobalClusters[0].Endpoint), "stores-global.global-") {
		t.Fatalf("global writer endpoint: %+v %v", out, err)
	}
}
