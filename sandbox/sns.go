package sandbox

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// SNS limits. Publishing is immediate, so there are no durations.
const (
	snsPageSize   = 100        // ListTopics' fixed page size
	snsMaxMessage = 256 * 1024 // bytes
	snsMaxSubject = 100
	// snsKeepMessages bounds the published messages each Region keeps
	// for /_sandbox/state, newest last; older ones are only counted.
	snsKeepMessages = 1000
)

var snsTopicNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

type snsRegion struct {
	topics    map[string]*snsTopic // by name
	messages  []snsMessage
	published uint64 // every message published in the Region, for ids
}

type snsTopic struct {
	Name, ARN string
	Attrs     map[string]string
	subs      []snsSubscription
}

type snsMessage struct {
	Topic, Subject, Message, MessageID, GroupID string
	Time                                        time.Time
}

func (c *call) sns() *snsRegion {
	return stateOf(c.sb, "sns", c.region, func() *snsRegion { return &snsRegion{topics: map[string]*snsTopic{}} })
}

func registerSNS(s *Sandbox) {
	s.addService(&service{name: "sns", protocol: queryProtocol{}, xmlns: "http://sns.amazonaws.com/doc/2010-03-31/",
		version: "2010-03-31", throttleCode: "Throttling"},
		&operation{name: "CreateTopic", mutating: true, handler: snsCreateTopic},
		&operation{name: "ListTopics", handler: snsListTopics},
		&operation{name: "Publish", mutating: true, handler: snsPublish},
		&operation{name: "Subscribe", mutating: true, handler: snsSubscribe},
		&operation{name: "ListSubscriptions", handler: snsListSubscriptions},
		&operation{name: "ListSubscriptionsByTopic", handler: snsListSubscriptions},
		&operation{name: "GetTopicAttributes", handler: snsGetTopicAttributes},
	)
}

func (r *snsRegion) dump(time.Time) any {
	topics := map[string]any{}
	for name, t := range r.topics {
		topics[name] = t.ARN
	}
	messages := make([]any, len(r.messages))
	for i, m := range r.messages {
		messages[i] = map[string]any{"topic": m.Topic, "subject": m.Subject, "message": m.Message,
			"message_id": m.MessageID, "message_group_id": m.GroupID, "time": m.Time}
	}
	return map[string]any{"topics": topics, "messages": messages, "published": r.published}
}

func snsInvalid(format string, args ...any) *awsError {
	return errorf("InvalidParameter", "Invalid parameter: "+format, args...)
}

// snsAttributes reads a query map member (Attributes.entry.N.key/value).
func snsAttributes(in map[string]any) map[string]string {
	out := map[string]string{}
	for _, e := range list(in, "Attributes") {
		if m, ok := e.(map[string]any); ok {
			out[str(m, "key")] = str(m, "value")
		}
	}
	return out
}

// snsCreateTopic is idempotent as in AWS: a name that exists returns its
// ARN, unless the request gives an attribute a different value.
func snsCreateTopic(c *call) (any, error) {
	name, err := required(c.input, "Name", "InvalidParameter")
	if err != nil {
		return nil, err
	}
	attrs := snsAttributes(c.input)
	fifo := attrs["FifoTopic"] == "true"
	base, isFifoName := strings.CutSuffix(name, ".fifo")
	if !snsTopicNameRE.MatchString(base) || len(name) > 256 {
		return nil, snsInvalid("Topic Name")
	}
	if fifo != isFifoName {
		return nil, snsInvalid("Fifo Topic names must end with .fifo and only FIFO topics (FifoTopic=true) may use the suffix")
	}
	r := c.sns()
	if t, ok := r.topics[name]; ok {
		for k, v := range attrs {
			if old, set := t.Attrs[k]; set && old != v {
				return nil, snsInvalid("Attributes Reason: Topic already exists with different attributes")
			}
		}
		return map[string]any{"TopicArn": t.ARN}, nil
	}
	t := &snsTopic{Name: name, ARN: arn("sns", c.region, c.account(), name), Attrs: attrs}
	r.topics[name] = t
	return map[string]any{"TopicArn": t.ARN}, nil
}

func snsListTopics(c *call) (any, error) {
	r := c.sns()
	items := make([]any, 0, len(r.topics))
	for _, name := range sortedKeys(r.topics) {
		items = append(items, map[string]any{"TopicArn": r.topics[name].ARN})
	}
	return snsPage(c, "Topics", items)
}

// snsPage answers one page of an SNS list, which has no page-size member
// (the "" key is never in an input) and pages by NextToken.
func snsPage(c *call, key string, items []any) (any, error) {
	if tok := str(c.input, "NextToken"); tok != "" {
		// Checked here so that a bad token is SNS's InvalidParameter; the
		// check mirrors paginate's markers (the index of the next item).
		if n, err := strconv.Atoi(tok); err != nil || n < 0 || n > len(items) {
			return nil, snsInvalid("NextToken")
		}
	}
	page, next, err := paginate(c.input, "", "NextToken", items, pageLimits{def: snsPageSize, min: snsPageSize, max: snsPageSize})
	if err != nil {
		return nil, err
	}
	out := map[string]any{key: page}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// snsTopicOf finds the topic a Publish names by TopicArn or TargetArn. A
// topic ARN of another Region is InvalidParameter, as SNS answers a client
// of the wrong Region; an unknown topic is NotFound.
func (c *call) snsTopicOf() (*snsTopic, *awsError) {
	topicArn, targetArn := str(c.input, "TopicArn"), str(c.input, "TargetArn")
	member, a := "TopicArn", topicArn
	switch {
	case topicArn != "" && targetArn != "":
		return nil, snsInvalid("TopicArn Reason: Only one of TopicArn or TargetArn may be specified")
	case topicArn == "" && targetArn == "":
		return nil, snsInvalid("TopicArn or TargetArn Reason: no value for required parameter")
	case targetArn != "":
		member, a = "TargetArn", targetArn
	}
	parts := strings.Split(a, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" || parts[3] != c.region {
		return nil, snsInvalid("%s", member)
	}
	t, ok := c.sns().topics[parts[5]]
	if !ok || t.ARN != a {
		return nil, notFound("NotFound", "Topic does not exist")
	}
	return t, nil
}

// snsCheckMessage applies Publish's checks on the message itself.
func snsCheckMessage(in map[string]any, fifo bool, contentDedup bool) *awsError {
	msg, subject := str(in, "Message"), str(in, "Subject")
	switch {
	case msg == "":
		return snsInvalid("Empty message")
	case len(msg) > snsMaxMessage:
		return snsInvalid("Message too long")
	case len(subject) > snsMaxSubject || strings.ContainsAny(subject, "\r\n"):
		return snsInvalid("Subject")
	case fifo && str(in, "MessageGroupId") == "":
		return snsInvalid("The MessageGroupId parameter is required for FIFO topics")
	case fifo && !contentDedup && str(in, "MessageDeduplicationId") == "":
		return snsInvalid("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	}
	if str(in, "MessageStructure") == "json" {
		var body map[string]any
		if err := json.Unmarshal([]byte(msg), &body); err != nil {
			return snsInvalid("Message Structure - JSON message body failed to parse")
		}
		if _, ok := body["default"]; !ok {
			return snsInvalid("Message Structure - No default entry in JSON message body")
		}
	}
	return nil
}

func snsPublish(c *call) (any, error) {
	t, err := c.snsTopicOf()
	if err != nil {
		return nil, err
	}
	fifo := t.Attrs["FifoTopic"] == "true"
	if err := snsCheckMessage(c.input, fifo, t.Attrs["ContentBasedDeduplication"] == "true"); err != nil {
		return nil, err
	}
	r := c.sns()
	r.published++
	h := fnv.New32a()
	h.Write([]byte(c.region))
	m := snsMessage{Topic: t.ARN, Subject: str(c.input, "Subject"), Message: str(c.input, "Message"),
		GroupID: str(c.input, "MessageGroupId"), Time: c.now,
		MessageID: fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", h.Sum32(), r.published>>48&0xffff,
			r.published>>36&0xfff, r.published>>24&0xfff, r.published&0xffffffffffff)}
	r.messages = append(r.messages, m)
	if len(r.messages) > snsKeepMessages {
		r.messages = r.messages[1:] // append reallocates, so the dropped ones are freed
	}
	out := map[string]any{"MessageId": m.MessageID}
	if fifo {
		out["SequenceNumber"] = fmt.Sprintf("1%019d", r.published)
	}
	return out, nil
}
