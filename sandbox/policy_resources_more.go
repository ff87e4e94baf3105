package sandbox

import (
	"net/mail"
	"slices"
	"strings"
)

// The rest of the services' resource tables (policy_resources.go says
// how they are read).

// cwAlarm is an alarm's ARN.
func (r *authzReq) cwAlarm(name string) string { return r.regional("cloudwatch", "alarm:"+name) }

// cwAlarmOp is an operation on the alarm AlarmName names; CloudWatch
// authorizes tags given at creation as cloudwatch:TagResource.
func cwAlarmOp(r *authzReq) []check {
	alarm := r.cwAlarm(r.in("AlarmName"))
	return append(r.own(alarm), r.tagOnCreate("Tags", "cloudwatch:TagResource", alarm)...)
}

var cloudWatchAuthz = map[string]authzFunc{
	"PutMetricAlarm":    cwAlarmOp,
	"PutCompositeAlarm": cwAlarmOp,
	"SetAlarmState":     func(r *authzReq) []check { return r.own(r.cwAlarm(r.in("AlarmName"))) },
	// DescribeAlarms is checked on the alarms it names. Composite alarms
	// need the permission on "*", and so does a listing by prefix or of
	// every alarm: the alarms it returns are not known before.
	"DescribeAlarms": func(r *authzReq) []check {
		if slices.Contains(stringsOf(list(r.c.input, "AlarmTypes")), "CompositeAlarm") {
			return r.own("*")
		}
		return r.ownEach(stringsOf(list(r.c.input, "AlarmNames")), r.cwAlarm)
	},
}

// stringsOf keeps the strings of a list.
func stringsOf(items []any) []string {
	var out []string
	for _, v := range items {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// asgGroup is an Auto Scaling group's ARN, with the group's id as the
// sandbox makes it.
func (r *authzReq) asgGroup() string {
	name := r.in("AutoScalingGroupName")
	return r.regional("autoscaling", "autoScalingGroup:"+asgUUID(r.c.region, name)+":autoScalingGroupName/"+name)
}

var autoScalingAuthz = map[string]authzFunc{
	"CreateAutoScalingGroup": func(r *authzReq) []check {
		group := r.asgGroup()
		checks := append(r.own(group), r.tagOnCreate("Tags", "autoscaling:CreateOrUpdateTags", group)...)
		return append(checks, r.passRole(r.in("ServiceLinkedRoleARN"), "autoscaling")...)
	},
	"UpdateAutoScalingGroup": func(r *authzReq) []check { return r.own(r.asgGroup()) },
	"SetDesiredCapacity":     func(r *authzReq) []check { return r.own(r.asgGroup()) },
}

// ecsService is a service's ARN in its cluster ("default" when the
// request names none); services and clusters are given by name or ARN.
func (r *authzReq) ecsService(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		return ref
	}
	cluster := ecsName(r.in("cluster"))
	if cluster == "" {
		cluster = "default"
	}
	return r.regional("ecs", "service/"+cluster+"/"+ref)
}

// ecsTags is ecs:TagResource on what a create tags, with ecs:CreateAction
// naming the create, as ECS authorizes tags given at creation.
func (r *authzReq) ecsTags(resource string) []check {
	checks := r.tagOnCreate("tags", "ecs:TagResource", resource)
	for i := range checks {
		checks[i].keys = map[string]string{"ecs:createaction": r.c.op}
	}
	return checks
}

var ecsAuthz = map[string]authzFunc{
	"CreateCluster": func(r *authzReq) []check {
		return append(r.own("*"), r.ecsTags(r.regional("ecs", "cluster/"+r.in("clusterName")))...)
	},
	"CreateService": func(r *authzReq) []check {
		svc := r.ecsService(r.in("serviceName"))
		checks := append(r.own(svc), r.ecsTags(svc)...)
		return append(checks, r.passRole(r.in("role"), "ecs")...)
	},
	"UpdateService": func(r *authzReq) []check { return r.own(r.ecsService(r.in("service"))) },
	"DescribeServices": func(r *authzReq) []check {
		return r.ownEach(stringsOf(list(r.c.input, "services")), r.ecsService)
	},
}

var elbAuthz = map[string]authzFunc{
	// A new target group's id is not known before: its ARN ends in "*".
	"CreateTargetGroup": func(r *authzReq) []check {
		tg := r.regional("elasticloadbalancing", "targetgroup/"+r.in("Name")+"/*")
		return append(r.own(tg), r.tagOnCreate("Tags", "elasticloadbalancing:AddTags", tg)...)
	},
	"RegisterTargets":   elbTargetGroupOp,
	"DeregisterTargets": elbTargetGroupOp,
}

// elbTargetGroupOp is an operation on the target group TargetGroupArn names.
func elbTargetGroupOp(r *authzReq) []check {
	return r.own(r.ref("elasticloadbalancing", "targetgroup/", r.in("TargetGroupArn")))
}

// eventsRuleAuthz is a rule's ARN: rule/NAME on the default bus, rule/BUS/NAME
// on another.
func eventsRuleAuthz(r *authzReq) []check {
	name := r.in("Name")
	if bus := ecsName(r.in("EventBusName")); bus != "" && bus != "default" {
		name = bus + "/" + name
	}
	return r.own(r.regional("events", "rule/"+name))
}

var eventsAuthz = map[string]authzFunc{
	"PutRule": func(r *authzReq) []check {
		return append(eventsRuleAuthz(r), r.passRole(r.in("RoleArn"), "events")...)
	},
	"DisableRule":  eventsRuleAuthz,
	"EnableRule":   eventsRuleAuthz,
	"DescribeRule": eventsRuleAuthz,
}

// lambdaFunctionAuthz is the function FunctionName names, by name or ARN.
func lambdaFunctionAuthz(r *authzReq) []check {
	return r.own(r.ref("lambda", "function:", r.in("FunctionName")))
}

var lambdaAuthz = map[string]authzFunc{
	"CreateFunction": func(r *authzReq) []check {
		fn := r.ref("lambda", "function:", r.in("FunctionName"))
		checks := append(r.own(fn), r.tagOnCreate("Tags", "lambda:TagResource", fn)...)
		return append(checks, r.passRole(r.in("Role"), "lambda")...)
	},
	"PutFunctionConcurrency": lambdaFunctionAuthz,
	"GetFunctionConcurrency": lambdaFunctionAuthz,
}

// sesIdentities is the identity SES authorizes a send against: the From
// address's domain, the identity a production sender verifies (the
// sandbox takes every sender as verified), and the configuration set
// when the request names one.
func sesIdentities(r *authzReq) []string {
	from := r.in("FromEmailAddress")
	if a, err := mail.ParseAddress(from); err == nil {
		from = a.Address
	}
	domain := "*"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		domain = d
	}
	res := []string{r.regional("ses", "identity/"+domain)}
	if set := r.in("ConfigurationSetName"); set != "" {
		res = append(res, r.regional("ses", "configuration-set/"+set))
	}
	return res
}

var sesAuthz = map[string]authzFunc{
	"SendEmail": func(r *authzReq) []check { return r.own(sesIdentities(r)...) },
}

// snsTopicAuthz is the topic TopicArn (or Publish's TargetArn) names.
func snsTopicAuthz(r *authzReq) []check {
	topic := r.in("TopicArn")
	if topic == "" {
		topic = r.in("TargetArn")
	}
	return r.own(r.ref("sns", "", topic))
}

var snsAuthz = map[string]authzFunc{
	"CreateTopic": func(r *authzReq) []check {
		topic := r.regional("sns", r.in("Name"))
		return append(r.own(topic), r.tagOnCreate("Tags", "sns:TagResource", topic)...)
	},
	"Publish":            snsTopicAuthz,
	"Subscribe":          snsTopicAuthz,
	"GetTopicAttributes": snsTopicAuthz,
}

// ssmParameter is the parameter Name names, by name or ARN, without a
// version or label selector (":3"), which IAM does not see.
func (r *authzReq) ssmParameter() string {
	name := r.in("Name")
	if strings.HasPrefix(name, "arn:") {
		parts := strings.SplitN(name, ":", 6)
		if len(parts) == 6 {
			parts[5], _, _ = strings.Cut(parts[5], ":")
		}
		return strings.Join(parts, ":")
	}
	name, _, _ = strings.Cut(name, ":")
	if name == "" {
		name = "*"
	}
	return r.regional("ssm", "parameter/"+strings.TrimPrefix(name, "/"))
}

var ssmAuthz = map[string]authzFunc{
	"PutParameter": func(r *authzReq) []check {
		p := r.ssmParameter()
		return append(r.own(p), r.tagOnCreate("Tags", "ssm:AddTagsToResource", p)...)
	},
	"GetParameter": func(r *authzReq) []check { return r.own(r.ssmParameter()) },
	"GetOpsItem":   func(r *authzReq) []check { return r.own(r.ref("ssm", "opsitem/", r.in("OpsItemId"))) },
}

var contactsAuthz = map[string]authzFunc{
	"CreateContact":   func(r *authzReq) []check { return r.own(r.ref("ssm-contacts", "contact/", r.in("Alias"))) },
	"StartEngagement": func(r *authzReq) []check { return r.own(r.ref("ssm-contacts", "contact/", r.in("ContactId"))) },
}

// incidentsARN is an Incident Manager ARN: response plans and incident
// records have no Region in theirs.
func incidentsARN(r *authzReq, kind, ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		return ref
	}
	if ref == "" {
		ref = "*"
	}
	return arn("ssm-incidents", "", r.c.account(), kind+ref)
}

var incidentsAuthz = map[string]authzFunc{
	"StartIncident":      func(r *authzReq) []check { return r.own(incidentsARN(r, "response-plan/", r.in("responsePlanArn"))) },
	"GetIncidentRecord":  func(r *authzReq) []check { return r.own(r.arnIn("arn")) },
	"CreateResponsePlan": func(r *authzReq) []check { return r.own(incidentsARN(r, "response-plan/", r.in("name"))) },
	"GetResponsePlan":    func(r *authzReq) []check { return r.own(incidentsARN(r, "response-plan/", r.in("arn"))) },
}

// arcPlanAuthz is an operation on the plan planArn names.
func arcPlanAuthz(r *authzReq) []check { return r.own(r.arnIn("planArn")) }

var arcAuthz = map[string]authzFunc{
	"CreatePlan": func(r *authzReq) []check {
		return append(r.own("*"), r.passRole(r.in("executionRole"), "arc-region-switch")...)
	},
	"StartPlanExecution":      arcPlanAuthz,
	"GetPlanExecution":        arcPlanAuthz,
	"ListPlanExecutions":      arcPlanAuthz,
	"GetPlanEvaluationStatus": arcPlanAuthz,
}
