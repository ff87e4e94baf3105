package sandbox

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type av = ddbtypes.AttributeValue

func avS(s string) av { return &ddbtypes.AttributeValueMemberS{Value: s} }
func avN(n int64) av  { return &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)} }

func nOf(t *testing.T, item map[string]av, name string) string {
	t.Helper()
	n, ok := item[name].(*ddbtypes.AttributeValueMemberN)
	if !ok {
		t.Fatalf("%s is not a number in %#v", name, item)
	}
	return n.Value
}

// TestDynamoDBLease: the lock table's lease pattern. A lock is taken with
// attribute_not_exists, once; it is taken over only when its lease has
// expired, with a fencing token that counts up from if_not_exists; it is
// released only by its owner. A failed condition is the SDK's typed
// ConditionalCheckFailedException, with the item when asked.
func TestDynamoDBLease(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{TimeScale: 3000})
	client := dynamodb.NewFromConfig(awsConfig(t, url, "us-east-1"))
	createTable(t, client, "locks")
	take := func(owner string) error {
		_, err := client.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("locks"),
			Item:                                map[string]av{"id": avS("failover"), "holder": avS(owner), "expires": avN(100)},
			ConditionExpression:                 aws.String("attribute_not_exists(id)"),
			ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld})
		return err
	}
	if err := take("alice"); err != nil {
		t.Fatal(err)
	}
	err := take("bob")
	var failed *ddbtypes.ConditionalCheckFailedException
	if !errors.As(err, &failed) || aws.ToString(failed.Message) != "The conditional request failed" {
		t.Fatalf("taking a held lock: %v", err)
	}
	if h, ok := failed.Item["holder"].(*ddbtypes.AttributeValueMemberS); !ok || h.Value != "alice" {
		t.Fatalf("the failed condition's item: %#v", failed.Item)
	}
	takeOver := func(owner string, now int64) (*dynamodb.UpdateItemOutput, error) {
		return client.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("locks"),
			Key:                       map[string]av{"id": avS("failover")},
			UpdateExpression:          aws.String("SET fence = if_not_exists(fence, :zero) + :one, holder = :me, expires = :until"),
			ConditionExpression:       aws.String("attribute_not_exists(id) OR expires < :now"),
			ExpressionAttributeValues: map[string]av{":zero": avN(0), ":one": avN(1), ":me": avS(owner), ":until": avN(now + 60), ":now": avN(now)},
			ReturnValues:              ddbtypes.ReturnValueAllNew})
	}
	if _, err := takeOver("bob", 50); !errorAs[*ddbtypes.ConditionalCheckFailedException](err) {
		t.Fatalf("taking over a live lease: %v", err)
	}
	out, err := takeOver("bob", 150)
	if err != nil || nOf(t, out.Attributes, "fence") != "1" || nOf(t, out.Attributes, "expires") != "210" {
		t.Fatalf("taking over an expired lease: %v %#v", err, out)
	}
	if out, err = takeOver("carol", 300); err != nil || nOf(t, out.Attributes, "fence") != "2" {
		t.Fatalf("the fence counts up: %v %#v", err, out)
	}
	release := func(owner string) (*dynamodb.DeleteItemOutput, error) {
		return client.DeleteItem(ctx(t), &dynamodb.DeleteItemInput{TableName: aws.String("locks"),
			Key:                       map[string]av{"id": avS("failover")},
			ConditionExpression:       aws.String("holder = :me"),
			ExpressionAttributeValues: map[string]av{":me": avS(owner)},
			ReturnValues:              ddbtypes.ReturnValueAllOld})
	}
	if _, err := release("bob"); !errorAs[*ddbtypes.ConditionalCheckFailedException](err) {
		t.Fatalf("releasing another's lock: %v", err)
	}
	del, err := release("carol")
	if err != nil || nOf(t, del.Attributes, "fence") != "2" {
		t.Fatalf("releasing one's own lock: %v %#v", err, del)
	}
	if err := take("dave"); err != nil {
		t.Fatalf("taking a released lock: %v", err)
	}
}

// TestDynamoDBExpressionErrors: what DynamoDB refuses before it reads an
// item, with its messages.
func TestDynamoDBExpressionErrors(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{TimeScale: 3000})
	client := dynamodb.NewFromConfig(awsConfig(t, url, "us-east-1"))
	createTable(t, client, "exprs")
	key := map[string]av{"id": avS("k")}
	cases := []struct {
		name, update, cond string
		names              map[string]string
		values             map[string]av
		want               string
	}{
		{"unused value", "SET a = :a", "", nil, map[string]av{":a": avN(1), ":b": avN(2)}, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}"},
		{"unused name", "SET a = :a", "", map[string]string{"#x": "x"}, map[string]av{":a": avN(1)}, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}"},
		{"undefined value", "SET a = :nope", "", nil, nil, "An expression attribute value used in expression is not defined; attribute value: :nope"},
		{"undefined name", "SET #n = :a", "", nil, map[string]av{":a": avN(1)}, "An expression attribute name used in the document path is not defined; attribute name: #n"},
		{"syntax", "SET a = ", "", nil, nil, `Invalid UpdateExpression: Syntax error; token: "<EOF>"`},
		{"reserved word", "SET status = :a", "", nil, map[string]av{":a": avN(1)}, "Attribute name is a reserved keyword; reserved keyword: status"},
		{"key attribute", "SET id = :a", "", nil, map[string]av{":a": avS("x")}, "Cannot update attribute id. This attribute is part of the key"},
		{"missing operand", "SET c = c + :a", "", nil, map[string]av{":a": avN(1)}, "The provided expression refers to an attribute that does not exist in the item"},
		{"overlap", "SET a = :a REMOVE a", "", nil, map[string]av{":a": avN(1)}, "Two document paths overlap"},
		{"clause twice", "SET a = :a SET b = :a", "", nil, map[string]av{":a": avN(1)}, `The "SET" section can only be used once`},
		{"add a string", "ADD a :a", "", nil, map[string]av{":a": avS("x")}, "operator: ADD, operand type: STRING"},
		{"bad function", "SET a = :a", "exists(a)", nil, map[string]av{":a": avN(1)}, "Invalid function name; function: exists"},
		{"ordering a map", "SET a = :a", "a < :m", nil, map[string]av{":a": avN(1), ":m": &ddbtypes.AttributeValueMemberM{Value: map[string]av{}}}, "operand type: MAP"},
		{"bad type name", "SET a = :a", "attribute_type(a, :t)", nil, map[string]av{":a": avN(1), ":t": avS("STRING")}, "Invalid attribute type name found"},
	}
	for _, tc := range cases {
		in := &dynamodb.UpdateItemInput{TableName: aws.String("exprs"), Key: key, UpdateExpression: aws.String(tc.update),
			ExpressionAttributeNames: tc.names, ExpressionAttributeValues: tc.values}
		if tc.cond != "" {
			in.ConditionExpression = aws.String(tc.cond)
		}
		_, err := client.UpdateItem(ctx(t), in)
		if apiCode(err) != "ValidationException" || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ValidationException with %q", tc.name, err, tc.want)
		}
	}
	_, err := client.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("exprs"), Item: key, ExpressionAttributeValues: map[string]av{":a": avN(1)}})
	if err == nil || !strings.Contains(err.Error(), "ExpressionAttributeValues can only be specified when using expressions") {
		t.Errorf("values without an expression: %v", err)
	}
	_, err = client.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("exprs"), Item: key, ReturnValues: ddbtypes.ReturnValueAllNew})
	if apiCode(err) != "ValidationException" {
		t.Errorf("PutItem ALL_NEW: %v", err)
	}
	_, err = client.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("exprs"), Item: map[string]av{"id": avN(1)}})
	if err == nil || !strings.Contains(err.Error(), "Type mismatch for key id expected: S actual: N") {
		t.Errorf("a key of the wrong type: %v", err)
	}
	if _, err := client.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("exprs"), Key: map[string]av{"other": avS("x")}}); apiCode(err) != "ValidationException" {
		t.Errorf("GetItem without the key: %v", err)
	}
}

// TestDynamoDBUpdateClauses: SET with arithmetic and list_append, REMOVE,
// ADD to a number and a set, DELETE from a set; UpdateItem makes the item
// when it is absent; UPDATED_OLD and UPDATED_NEW.
func TestDynamoDBUpdateClauses(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{TimeScale: 3000})
	client := dynamodb.NewFromConfig(awsConfig(t, url, "us-east-1"))
	createTable(t, client, "approvals")
	key := map[string]av{"id": avS("change-1")}
	update := func(expr string, values map[string]av, rv ddbtypes.ReturnValue) map[string]av {
		t.Helper()
		in := &dynamodb.UpdateItemInput{TableName: aws.String("approvals"), Key: key,
			UpdateExpression: aws.String(expr), ExpressionAttributeValues: values, ReturnValues: rv}
		if strings.Contains(expr, "#s") {
			in.ExpressionAttributeNames = map[string]string{"#s": "status"}
		}
		out, err := client.UpdateItem(ctx(t), in)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return out.Attributes
	}
	got := update("SET #s = :pending, approvers = :none, n = :ten ADD votes :one, tags :tags",
		map[string]av{":pending": avS("pending"), ":none": &ddbtypes.AttributeValueMemberL{}, ":ten": avN(10), ":one": avN(1),
			":tags": &ddbtypes.AttributeValueMemberSS{Value: []string{"db", "dns"}}}, ddbtypes.ReturnValueAllNew)
	if nOf(t, got, "votes") != "1" || got["id"] == nil {
		t.Fatalf("a new item: %#v", got)
	}
	got = update("SET approvers = list_append(if_not_exists(approvers, :none), :alice), n = n - :half ADD votes :one DELETE tags :dns REMOVE #s",
		map[string]av{":alice": &ddbtypes.AttributeValueMemberL{Value: []av{avS("alice")}}, ":none": &ddbtypes.AttributeValueMemberL{}, ":half": &ddbtypes.AttributeValueMemberN{Value: "0.5"},
			":one": avN(1), ":dns": &ddbtypes.AttributeValueMemberSS{Value: []string{"dns"}}}, ddbtypes.ReturnValueUpdatedNew)
	if nOf(t, got, "n") != "9.5" || nOf(t, got, "votes") != "2" || got["status"] != nil || got["id"] != nil {
		t.Fatalf("UPDATED_NEW: %#v", got)
	}
	if l, ok := got["approvers"].(*ddbtypes.AttributeValueMemberL); !ok || len(l.Value) != 1 {
		t.Fatalf("list_append: %#v", got["approvers"])
	}
	if ss, ok := got["tags"].(*ddbtypes.AttributeValueMemberSS); !ok || len(ss.Value) != 1 || ss.Value[0] != "db" {
		t.Fatalf("DELETE from a set: %#v", got["tags"])
	}
	old := update("SET n = :one", map[string]av{":one": avN(1)}, ddbtypes.ReturnValueUpdatedOld)
	if nOf(t, old, "n") != "9.5" || len(old) != 1 {
		t.Fatalf("UPDATED_OLD: %#v", old)
	}
}

func createSortedTable(t *testing.T, client *dynamodb.Client, name string, sortType ddbtypes.ScalarAttributeType) {
	t.Helper()
	_, err := client.CreateTable(ctx(t), &dynamodb.CreateTableInput{TableName: aws.String(name),
		KeySchema: []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: ddbtypes.KeyTypeRange}},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: sortType}},
		BillingMode: ddbtypes.BillingModePayPerRequest})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDynamoDBQuery: a partition read in numeric sort key order (9 before
// 10), in pages of Limit with ExclusiveStartKey, backwards, with a key
// range, a filter (which counts after Limit), a projection and Select
// COUNT; and the key conditions DynamoDB refuses.
func TestDynamoDBQuery(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{TimeScale: 3000})
	client := dynamodb.NewFromConfig(awsConfig(t, url, "us-east-1"))
	createSortedTable(t, client, "events", ddbtypes.ScalarAttributeTypeN)
	for _, n := range []int64{10, 3, 7, 1, 9, 2, 8, 4, 6, 5} {
		item := map[string]av{"pk": avS("run-1"), "sk": avN(n), "odd": &ddbtypes.AttributeValueMemberBOOL{Value: n%2 == 1}, "note": avS("x")}
		if _, err := client.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("events"), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("events"), Item: map[string]av{"pk": avS("run-2"), "sk": avN(1)}}); err != nil {
		t.Fatal(err)
	}
	query := func(in dynamodb.QueryInput) *dynamodb.QueryOutput {
		t.Helper()
		in.TableName = aws.String("events")
		out, err := client.Query(ctx(t), &in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	part := map[string]av{":p": avS("run-1")}
	var seen []string
	var start map[string]av
	for pages := 0; pages < 10; pages++ {
		out := query(dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: part,
			Limit: aws.Int32(3), ExclusiveStartKey: start})
		for _, item := range out.Items {
			seen = append(seen, nOf(t, item, "sk"))
		}
		if start = out.LastEvaluatedKey; start == nil {
			break
		}
	}
	if strings.Join(seen, ",") != "1,2,3,4,5,6,7,8,9,10" {
		t.Fatalf("pages: %v", seen)
	}
	back := query(dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk BETWEEN :lo AND :hi"), ScanIndexForward: aws.Bool(false),
		ExpressionAttributeValues: map[string]av{":p": avS("run-1"), ":lo": avN(3), ":hi": avN(9), ":t": &ddbtypes.AttributeValueMemberBOOL{Value: true}},
		FilterExpression:          aws.String("odd = :t"), ProjectionExpression: aws.String("sk"), Limit: aws.Int32(4)})
	if back.ScannedCount != 4 || back.Count != 2 || nOf(t, back.Items[0], "sk") != "9" || nOf(t, back.Items[1], "sk") != "7" || back.Items[0]["note"] != nil {
		t.Fatalf("backwards, filtered, projected: %+v %#v", back, back.Items)
	}
	count := query(dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk > :n"), Select: ddbtypes.SelectCount,
		ExpressionAttributeValues: map[string]av{":p": avS("run-1"), ":n": avN(8)}})
	if count.Count != 2 || count.Items != nil {
		t.Fatalf("COUNT: %+v", count)
	}
	for expr, want := range map[string]string{
		"sk = :n":                         "Query condition missed key schema element: pk",
		"pk = :p OR sk = :n":              "Invalid operator used in KeyConditionExpression: OR",
		"pk > :p":                         "Query key condition not supported",
		"pk = :p AND sk = :n AND pk = :p": "Conditions can be of length 1 or 2 only",
		"pk = :n":                         "Condition parameter type does not match schema type",
		"pk = :p AND begins_with(sk, :n)": "Condition parameter type does not match schema type",
	} {
		_, err := client.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("events"), KeyConditionExpression: aws.String(expr),
			ExpressionAttributeValues: map[string]av{":p": avS("run-1"), ":n": avN(1)}})
		if apiCode(err) != "ValidationException" || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", expr, err, want)
		}
	}
	scan, err := client.Scan(ctx(t), &dynamodb.ScanInput{TableName: aws.String("events"), FilterExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]av{":p": avS("run-2")}})
	if err != nil || scan.Count != 1 || scan.ScannedCount != 11 {
		t.Fatalf("scan: %v %+v", err, scan)
	}
}

// TestDynamoDBTTLExpiry: once time to live is ENABLED, an item whose
// attribute is a past epoch second on the sandbox's clock is gone; one in
// the future stays until the clock passes it; one without the attribute,
// with a string, or with a time more than five years past (0), never goes.
func TestDynamoDBTTLExpiry(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{TimeScale: 1})
	client := dynamodb.NewFromConfig(awsConfig(t, url, "us-east-1"))
	createTableNoWait(t, client, "leases") // real time, moved by Advance
	now := sb.Clock().Now().Unix()
	items := map[string]av{"past": avN(now - 10), "soon": avN(now + 3600), "none": nil, "text": avS("0"), "ancient": avN(0)}
	for id, exp := range items {
		item := map[string]av{"id": avS(id)}
		if exp != nil {
			item["ttl"] = exp
		}
		if _, err := client.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("leases"), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	present := func() string {
		t.Helper()
		var ids []string
		for _, id := range []string{"ancient", "none", "past", "soon", "text"} {
			out, err := client.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("leases"), Key: map[string]av{"id": avS(id)}})
			if err != nil {
				t.Fatal(err)
			}
			if out.Item != nil {
				ids = append(ids, id)
			}
		}
		return strings.Join(ids, ",")
	}
	if got := present(); got != "ancient,none,past,soon,text" {
		t.Fatalf("before time to live: %s", got)
	}
	if _, err := client.UpdateTimeToLive(ctx(t), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("leases"),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("ttl")}}); err != nil {
		t.Fatal(err)
	}
	if got := present(); got != "ancient,none,past,soon,text" {
		t.Fatalf("while time to live is ENABLING: %s", got)
	}
	if err := sb.Clock().Advance(11 * time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := present(); got != "ancient,none,soon,text" {
		t.Fatalf("ENABLED: %s", got)
	}
	if err := sb.Clock().Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := present(); got != "ancient,none,text" {
		t.Fatalf("an hour later: %s", got)
	}
	// A write sweeps; a condition sees the expired item as absent.
	_, err := client.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("leases"), Item: map[string]av{"id": avS("soon")},
		ConditionExpression: aws.String("attribute_not_exists(id)")})
	if err != nil {
		t.Fatalf("taking an expired lease: %v", err)
	}
}

// TestDynamoDBQueryBeginsWith: a string sort key by prefix, in byte
// order (upper case before lower), and the approvals of one change
// counted with a filter on a nested map attribute.
func TestDynamoDBQueryBeginsWith(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{TimeScale: 3000})
	client := dynamodb.NewFromConfig(awsConfig(t, url, "us-east-1"))
	createSortedTable(t, client, "approvals", ddbtypes.ScalarAttributeTypeS)
	for _, sk := range []string{"approval#bob", "approval#Alice", "request", "approval#carol"} {
		item := map[string]av{"pk": avS("change-1"), "sk": avS(sk),
			"by": &ddbtypes.AttributeValueMemberM{Value: map[string]av{"team": avS(map[bool]string{true: "dba", false: "sre"}[sk == "approval#bob"])}}}
		if _, err := client.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("approvals"), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := client.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("approvals"),
		KeyConditionExpression:    aws.String("pk = :c AND begins_with(sk, :a)"),
		FilterExpression:          aws.String("#by.team = :sre"),
		ExpressionAttributeNames:  map[string]string{"#by": "by"},
		ExpressionAttributeValues: map[string]av{":c": avS("change-1"), ":a": avS("approval#"), ":sre": avS("sre")}})
	if err != nil || out.ScannedCount != 3 || out.Count != 2 {
		t.Fatalf("approvals: %v %+v", err, out)
	}
	if first := out.Items[0]["sk"].(*ddbtypes.AttributeValueMemberS).Value; first != "approval#Alice" {
		t.Fatalf("byte order: %s first", first)
	}
}

// createTableNoWait makes a table keyed by id without waiting for it to
// be ACTIVE, which items do not need: for sandboxes on real time.
func createTableNoWait(t *testing.T, client *dynamodb.Client, name string) {
	t.Helper()
	if _, err := client.CreateTable(ctx(t), &dynamodb.CreateTableInput{TableName: aws.String(name),
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}}}); err != nil {
		t.Fatal(err)
	}
}
