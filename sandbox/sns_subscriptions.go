package sandbox

import (
	"fmt"
	"strconv"
)

// snsSubscription is one endpoint of a topic. Email and HTTP(S)
// endpoints wait for their owner to confirm, as in SNS; the others are
// confirmed at once. A scenario seeds a confirmed email subscription with
// Attributes = { Confirmed = "true" }: a sandbox convenience, since nobody
// clicks the link there.
type snsSubscription struct {
	ARN, Protocol, Endpoint string
	Confirmed               bool
}

var snsProtocols = map[string]bool{"email": false, "email-json": false, "http": false, "https": false,
	"sqs": true, "lambda": true, "sms": true, "application": true, "firehose": true}

func (c *call) snsTopic() (*snsTopic, *awsError) {
	topicARN, err := required(c.input, "TopicArn", "InvalidParameter")
	if err != nil {
		return nil, err
	}
	for _, t := range c.sns().topics {
		if t.ARN == topicARN {
			return t, nil
		}
	}
	return nil, notFound("NotFound", "Topic does not exist")
}

func snsSubscribe(c *call) (any, error) {
	t, err := c.snsTopic()
	if err != nil {
		return nil, err
	}
	proto, endpoint := str(c.input, "Protocol"), str(c.input, "Endpoint")
	autoConfirmed, known := snsProtocols[proto]
	if !known || endpoint == "" {
		return nil, snsInvalid("Invalid parameter: Protocol %q or Endpoint %q", proto, endpoint)
	}
	confirmed := autoConfirmed || stringMap(c.input, "Attributes")["Confirmed"] == "true"
	for _, s := range t.subs {
		if s.Protocol == proto && s.Endpoint == endpoint {
			return c.subscribed(s), nil
		}
	}
	s := snsSubscription{ARN: fmt.Sprintf("%s:%s", t.ARN, stableUUID(c.region, t.ARN+proto+endpoint)),
		Protocol: proto, Endpoint: endpoint, Confirmed: confirmed}
	t.subs = append(t.subs, s)
	return c.subscribed(s), nil
}

func (c *call) subscribed(s snsSubscription) map[string]any {
	if s.Confirmed {
		return map[string]any{"SubscriptionArn": s.ARN}
	}
	return map[string]any{"SubscriptionArn": "pending confirmation"}
}

func snsGetTopicAttributes(c *call) (any, error) {
	t, err := c.snsTopic()
	if err != nil {
		return nil, err
	}
	confirmed, pending := 0, 0
	for _, s := range t.subs {
		if s.Confirmed {
			confirmed++
		} else {
			pending++
		}
	}
	attrs := entries{"TopicArn": t.ARN, "Owner": c.account(), "SubscriptionsConfirmed": strconv.Itoa(confirmed),
		"SubscriptionsPending": strconv.Itoa(pending), "SubscriptionsDeleted": "0", "DisplayName": ""}
	for k, v := range t.Attrs {
		attrs[k] = v
	}
	return map[string]any{"Attributes": attrs}, nil
}

// subscriptionValue is a subscription as the List calls answer it: a
// pending one's ARN reads "PendingConfirmation".
func subscriptionValue(c *call, t *snsTopic, s snsSubscription) map[string]any {
	subARN := s.ARN
	if !s.Confirmed {
		subARN = "PendingConfirmation"
	}
	return map[string]any{"SubscriptionArn": subARN, "Owner": c.account(), "Protocol": s.Protocol, "Endpoint": s.Endpoint, "TopicArn": t.ARN}
}

// snsListSubscriptions lists the Region's subscriptions (of one topic for
// ListSubscriptionsByTopic), snsPageSize at a time.
func snsListSubscriptions(c *call) (any, error) {
	r := c.sns()
	var topics []*snsTopic
	if c.op == "ListSubscriptionsByTopic" {
		t, err := c.snsTopic()
		if err != nil {
			return nil, err
		}
		topics = []*snsTopic{t}
	} else {
		for _, name := range sortedKeys(r.topics) {
			topics = append(topics, r.topics[name])
		}
	}
	items := []any{}
	for _, t := range topics {
		for _, s := range t.subs {
			items = append(items, subscriptionValue(c, t, s))
		}
	}
	return snsPage(c, "Subscriptions", items)
}
