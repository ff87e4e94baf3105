package runbooks

// The runbook format knows no action by name. Validate and Plan learn what
// actions exist, which parameters they take and which AWS operations they call
// through the Catalogue interface, which package steps implements. This keeps
// the format free of any dependency on the executor or the AWS SDK.

// Kind is the type of an action parameter.
type Kind string

// Parameter kinds. Templates (${...}) are accepted wherever a string is; a
// value that is exactly one template takes the referenced value's type.
const (
	KindString     Kind = "string"
	KindInt        Kind = "integer"
	KindFloat      Kind = "number"
	KindBool       Kind = "boolean"
	KindDuration   Kind = "duration"     // a Go duration string, d for days allowed
	KindARN        Kind = "arn"          // an ARN; Param.ARNService names the service
	KindEnum       Kind = "enum"         // a string from Param.Enum
	KindList       Kind = "list"         // an array of Param.Elem
	KindObject     Kind = "object"       // a table with the fields Param.Fields
	KindMap        Kind = "map"          // a free-form table (an AWS structure passed through)
	KindAny        Kind = "any"          // any TOML value
	KindContactIDs Kind = "contact-list" // an array of contact ids from [[contacts]]
	KindOperation  Kind = "operation"    // "service:Operation", as in require.call
	KindRegion     Kind = "region"       // an AWS Region name, checked as a step's region is
)

// Param describes one parameter of an action.
type Param struct {
	// Name is the key in [steps.with]: the AWS input member's name in
	// snake_case when the parameter fills one, or a documented convenience.
	Name string `json:"name"`
	// Member is the AWS API input member the parameter fills, or "" for a
	// convenience that does not map to one member.
	Member     string   `json:"member,omitempty"`
	Kind       Kind     `json:"kind"`
	Required   bool     `json:"required,omitempty"`
	Default    any      `json:"default,omitempty"`
	Enum       []string `json:"enum,omitempty"`
	ARNService string   `json:"arn_service,omitempty"`
	// StepRegionARN says that an ARN given for the parameter (a string
	// parameter that also takes a name) must name the step's Region: the
	// action calls that Region about that resource.
	StepRegionARN bool    `json:"step_region_arn,omitempty"`
	Elem          *Param  `json:"elem,omitempty"`
	Fields        []Param `json:"fields,omitempty"`
	// Min and Max bound integers and numbers when HasMin/HasMax are set.
	Min    float64 `json:"min,omitempty"`
	Max    float64 `json:"max,omitempty"`
	HasMin bool    `json:"-"`
	HasMax bool    `json:"-"`
	Doc    string  `json:"doc"`
}

// Call is one AWS operation an action makes.
type Call struct {
	// Operation is "service:Operation", the service as in IAM action names.
	Operation string `json:"operation"`
	// Purpose says why the action makes the call: "action", "wait", "check",
	// "lookup".
	Purpose  string `json:"purpose"`
	Mutating bool   `json:"mutating"`
	// Channel, for calls that deliver to contacts, names the contact field
	// they deliver to (sns_topic, email, ssm_contact): the plan lists the
	// call only when a recipient has that channel.
	Channel string `json:"channel,omitempty"`
	// HTTP, for a call to a resource's own endpoint rather than to the
	// service's API (an OpenSearch domain's REST API, which IAM authorizes
	// as es:ESHttpGet, es:ESHttpPost, ...), is its HTTP method: the call
	// is no SDK operation, and IAM names it by Operation all the same.
	HTTP string `json:"http,omitempty"`
}

// ActionSpec describes one entry of the action catalogue.
type ActionSpec struct {
	Name    string `json:"name"`
	Summary string `json:"summary"`
	// Phases are the phases the action is listed under in the catalogue.
	// Using an action in another phase is allowed.
	Phases   []string `json:"phases"`
	Mutating bool     `json:"mutating"`
	Calls    []Call   `json:"calls"`
	Params   []Param  `json:"params"`
	// OneOf lists groups of parameters of which exactly one must be given;
	// AnyOf groups of which at least one must be given.
	OneOf [][]string `json:"one_of,omitempty"`
	AnyOf [][]string `json:"any_of,omitempty"`
	// Outputs names the members of the action's response most worth
	// capturing in [steps.outputs] (the response is the AWS shape).
	Outputs []string `json:"outputs,omitempty"`
	// Response, when set, is the "service:Operation" whose output the
	// action's response is, member for member, so that check can follow
	// output queries through its type. Actions whose response adds or
	// reshapes members leave it empty.
	Response string `json:"response,omitempty"`
	// Idempotency and Wait say how the action avoids doing a thing twice and
	// what it waits for before the step counts as done.
	Idempotency string `json:"idempotency"`
	Wait        string `json:"wait"`
	// Expect is the catalogue's estimate of the action's duration, used in
	// the RTO projection when a step sets no expect; Timeout is the default
	// step timeout.
	Expect  Duration `json:"expect"`
	Timeout Duration `json:"timeout"`
	// ExpectParam, when set, names a duration parameter that is the
	// action's expected duration (wait): the catalogue cannot know it.
	ExpectParam string `json:"expect_param,omitempty"`
	// NoPrecondition marks a mutating action that changes nothing a
	// precondition could check, such as sending a message, so that the
	// validator does not ask for one.
	NoPrecondition bool `json:"no_precondition,omitempty"`
	// OperationParam, when set, names the parameter whose value is the AWS
	// operation the action calls (aws.call): the step is mutating exactly
	// when that operation is.
	OperationParam string `json:"operation_param,omitempty"`
	// InputParam, with OperationParam, names the parameter whose table is
	// that operation's input, which check checks against the operation's
	// input type.
	InputParam string `json:"input_param,omitempty"`
	// Input maps resolved parameters to the input of the action's primary
	// call, for the plan. Nil means: every parameter with a Member fills
	// that member.
	Input func(with map[string]any) map[string]any `json:"-"`
}

// OperationClass says whether an AWS operation may change anything.
type OperationClass int

// Operation classes. Unknown operations are treated as mutating by the
// executor and refused in dry-run.
const (
	OpUnknown OperationClass = iota
	OpReadOnly
	OpMutating
)

func (c OperationClass) String() string {
	switch c {
	case OpReadOnly:
		return "read-only"
	case OpMutating:
		return "mutating"
	}
	return "unknown"
}

// Catalogue is what the runbook format needs to know about actions and AWS
// operations. Package steps implements it.
type Catalogue interface {
	// Action returns the description of the named action.
	Action(name string) (ActionSpec, bool)
	// ActionNames lists every action, for "did you mean" hints.
	ActionNames() []string
	// Services lists the AWS service prefixes drpilot can call.
	Services() []string
	// Classify says whether service:operation is read-only or mutating, or
	// unknown when the service is not supported.
	Classify(service, operation string) OperationClass
	// CallRegion returns the Region a call to service is sent to when its
	// step runs in region: the same Region, except for global services
	// whose control plane lives in one Region (Route 53: us-east-1).
	CallRegion(service, region string) string
	// ControlPlane says, for a global service — one whose control plane
	// lives in a single Region — where that control plane is for a call
	// from region, and the data-plane alternative a failover should prefer
	// ("" when there is none); global is false for a regional service.
	ControlPlane(service, region string) (plane, alternative string, global bool)
	// Operations lists the operations of a supported service, sorted; nil
	// for a service drpilot does not support.
	Operations(service string) []string
	// CheckInput lists what is wrong with an operation's input, without
	// calling AWS. Strings that still hold ${...} references are known only
	// during the run and accepted wherever their value could go.
	CheckInput(service, operation string, input map[string]any) []InputProblem
	// CheckQuery follows a query's leading member path (member names,
	// QueryElem and QueryFlatten) through the operation's response and
	// says why it cannot match, or nil when it can or cannot be told.
	CheckQuery(service, operation string, path []string) *QueryProblem
}

// InputProblem is one thing wrong with an AWS operation's input.
type InputProblem struct {
	// Path leads from the input to the member: member names and map keys
	// (string) and array indices (int), so that check can find the
	// member's position in the file.
	Path    []any
	Message string
	Hint    string
	// AtKey says the member's name is what is wrong (an unknown member),
	// rather than its value.
	AtKey bool
	// Warning says the run accepts the input as it is, though it is not
	// written as it should be (a member name in another casing).
	Warning bool
}
