package sandbox

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

func putAlarm(t *testing.T, client *cloudwatch.Client, name string) {
	t.Helper()
	_, err := client.PutMetricAlarm(ctx(t), &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name),
		MetricName: aws.String("5XXError"), Namespace: aws.String("AWS/ApplicationELB"), Statistic: cwtypes.StatisticSum,
		Period: aws.Int32(60), EvaluationPeriods: aws.Int32(2), Threshold: aws.Float64(10),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
		Dimensions:         []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String("app/shop/1")}}})
	if err != nil {
		t.Fatal(err)
	}
}

func alarmState(t *testing.T, client *cloudwatch.Client, name string) cwtypes.StateValue {
	t.Helper()
	out, err := client.DescribeAlarms(ctx(t), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil || len(out.MetricAlarms) != 1 {
		t.Fatalf("describe %s: %+v %v", name, out, err)
	}
	return out.MetricAlarms[0].StateValue
}

// TestCloudWatchAlarmsFollowTheRegion: over the Go SDK's rpcv2cbor, an
// alarm is INSUFFICIENT_DATA for its first period, then OK, ALARM while
// its Region is out, and a state set by hand lasts one period.
func TestCloudWatchAlarmsFollowTheRegion(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := cloudwatch.NewFromConfig(awsConfig(t, url, "us-east-1"))
	putAlarm(t, client, "shop-5xx")
	if st := alarmState(t, client, "shop-5xx"); st != cwtypes.StateValueInsufficientData {
		t.Fatalf("a new alarm is %s", st)
	}
	sb.clock.Advance(90 * time.Second)
	if st := alarmState(t, client, "shop-5xx"); st != cwtypes.StateValueOk {
		t.Fatalf("after a period: %s", st)
	}
	if _, err := client.SetAlarmState(ctx(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("shop-5xx"),
		StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("game day")}); err != nil {
		t.Fatal(err)
	}
	if st := alarmState(t, client, "shop-5xx"); st != cwtypes.StateValueAlarm {
		t.Fatalf("after SetAlarmState: %s", st)
	}
	sb.clock.Advance(61 * time.Second)
	if st := alarmState(t, client, "shop-5xx"); st != cwtypes.StateValueOk {
		t.Fatalf("a period after SetAlarmState: %s", st)
	}
	recovery := cloudwatch.NewFromConfig(awsConfig(t, url, "us-west-2"))
	putAlarm(t, recovery, "shop-5xx-west")
	sb.clock.Advance(90 * time.Second)
	sb.faults.apply(Fault{Outage: &Outage{Region: "us-east-1"}})
	sb.mu.Lock()
	c := &call{sb: sb, region: "us-east-1", now: sb.clock.Now()}
	st, _ := c.alarmState(sb.state["monitoring/us-east-1"].(*cloudWatchRegion).alarms["shop-5xx"])
	sb.mu.Unlock()
	if st != "ALARM" {
		t.Fatalf("with us-east-1 out, its alarm is %s", st)
	}
	if st := alarmState(t, recovery, "shop-5xx-west"); st != cwtypes.StateValueOk {
		t.Fatalf("the other Region's alarm: %s", st)
	}
	var nf *cwtypes.ResourceNotFound
	_, err := recovery.SetAlarmState(ctx(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("nope"),
		StateValue: cwtypes.StateValueOk, StateReason: aws.String("x")})
	if !errors.As(err, &nf) {
		t.Fatalf("SetAlarmState on a missing alarm: %v", err)
	}
}

// TestCloudWatchQueryAndJSONForms: the AWS CLIs speak awsquery or JSON
// 1.0 to CloudWatch; the same alarms answer both.
func TestCloudWatchQueryAndJSONForms(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	putAlarm(t, cloudwatch.NewFromConfig(awsConfig(t, url, "eu-west-1")), "api-latency")
	auth := "AWS4-HMAC-SHA256 Credential=AKID/20261121/eu-west-1/monitoring/aws4_request, SignedHeaders=host, Signature=00"
	query := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=api-latency"))
	query.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	query.Header.Set("Authorization", auth)
	rec := httptest.NewRecorder()
	sb.ServeHTTP(rec, query)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<MetricAlarms><member><ActionsEnabled>true</ActionsEnabled>") ||
		!strings.Contains(rec.Body.String(), "<AlarmName>api-latency</AlarmName>") {
		t.Fatalf("query form: %d %s", rec.Code, rec.Body.String())
	}
	js := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"AlarmNames":["api-latency"]}`))
	js.Header.Set("X-Amz-Target", "GraniteServiceVersion20100801.DescribeAlarms")
	js.Header.Set("Content-Type", "application/x-amz-json-1.0")
	js.Header.Set("Authorization", auth)
	rec = httptest.NewRecorder()
	sb.ServeHTTP(rec, js)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"AlarmName":"api-latency"`) {
		t.Fatalf("JSON form: %d %s", rec.Code, rec.Body.String())
	}
}

// TestCloudWatchPutMetricDataReadBack: over the Go SDK, a custom metric
// published with PutMetricData is read back with GetMetricStatistics, by
// its dimensions; another dimension's has no datapoints, and AWS/
// namespaces are refused.
func TestCloudWatchPutMetricDataReadBack(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := cloudwatch.NewFromConfig(awsConfig(t, url, "us-east-1"))
	dims := []cwtypes.Dimension{{Name: aws.String("Runbook"), Value: aws.String("shop")}}
	for _, v := range []float64{3, 4} {
		_, err := client.PutMetricData(ctx(t), &cloudwatch.PutMetricDataInput{Namespace: aws.String("drpilot"),
			MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("ReadinessHeld"), Value: aws.Float64(v), Dimensions: dims, Unit: cwtypes.StandardUnitCount}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	get := func(value string) []cwtypes.Datapoint {
		out, err := client.GetMetricStatistics(ctx(t), &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("drpilot"),
			MetricName: aws.String("ReadinessHeld"), Dimensions: []cwtypes.Dimension{{Name: aws.String("Runbook"), Value: aws.String(value)}},
			StartTime: aws.Time(time.Now().Add(-time.Hour)), EndTime: aws.Time(time.Now().Add(time.Hour)), Period: aws.Int32(60),
			Statistics: []cwtypes.Statistic{cwtypes.StatisticMaximum, cwtypes.StatisticSampleCount}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Datapoints
	}
	points := get("shop")
	if len(points) != 1 || aws.ToFloat64(points[0].Maximum) != 4 || aws.ToFloat64(points[0].SampleCount) != 2 {
		t.Fatalf("read back %+v", points)
	}
	if other := get("other"); len(other) != 0 {
		t.Fatalf("another dimension has %+v", other)
	}
	_, err := client.PutMetricData(ctx(t), &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/RDS"),
		MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("X"), Value: aws.Float64(1)}}})
	if err == nil || !strings.Contains(err.Error(), "InvalidParameterValue") {
		t.Fatalf("AWS/ namespace: %v", err)
	}
}
