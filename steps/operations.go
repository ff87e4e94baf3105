package steps

import (
	"regexp"
	"strings"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// Dry-run promises that nothing changes in the account. It keeps that
// promise by sending only operations classified read-only here, so the
// classifier errs on one side only: an operation is read-only when its name
// says so and nobody has found otherwise; everything else is mutating, and
// anything drpilot cannot reason about is unknown (and refused in dry-run).

// CanonicalService returns the registry key for a service name as a runbook
// may write it (the key, mostly the IAM prefix, or an alias such as elbv2),
// and false when drpilot does not support the service. The services are
// awsclient.Registry's.
func CanonicalService(service string) (string, bool) {
	s, ok := awsclient.Lookup(service)
	return s.Prefix, ok
}

// operationName is the shape of every AWS API operation name: PascalCase
// letters and digits ("ListObjectsV2"). Anything else is not an operation,
// so it cannot be classified.
var operationName = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)

// readOnlyVerbs are the leading words AWS uses for operations that only
// read. Each was checked against every operation of the supported services
// (aws-sdk-go-v2 service modules, 2026) that starts with it; the few
// exceptions found are in reviewed below. Deliberately absent:
//   - Test: route53:TestDNSAnswer and events:TestEventPattern only read, but
//     elsewhere in AWS Test* runs code (apigateway:TestInvokeMethod), so the
//     harmless ones are listed one by one instead.
//   - Check, Validate, Verify, Export, Download, Select, Decode, Execute,
//     Invoke: mixed or mutating across AWS; read-only ones are listed.
var readOnlyVerbs = []string{
	"Describe", "Get", "List", "Head", "Search", "BatchGet", "Query", "Scan", "Lookup",
}

// decision is one reviewed classification: an operation whose name would
// mislead the verb rule, or a common one worth stating outright so that a
// change to the rule cannot silently flip it.
type decision struct {
	op    string // service:Operation, service as its registry key
	class runbooks.OperationClass
	why   string
}

// reviewed lists the decisions. Keep it sorted by operation; a test checks
// that each entry names a supported service and a well-formed operation.
var reviewed = []decision{
	{"acm:GetAcmeExternalAccountBindingCredentials", runbooks.OpMutating, "Returns the MAC key of an ACME account binding: credentials despite the Get verb."},
	{"dynamodb:ExecuteStatement", runbooks.OpMutating, "PartiQL may be an INSERT, UPDATE or DELETE."},
	{"dynamodb:Query", runbooks.OpReadOnly, "Reads items; stated because dry-run checks depend on it."},
	{"dynamodb:Scan", runbooks.OpReadOnly, "Reads items; stated because dry-run checks depend on it."},
	{"dynamodb:TransactGetItems", runbooks.OpReadOnly, "A transactional read; the verb is Transact."},
	{"ecr:GetAuthorizationToken", runbooks.OpMutating, "Issues a registry password valid for 12 hours despite the Get verb."},
	{"ecr:GetDownloadUrlForLayer", runbooks.OpMutating, "Issues a pre-signed URL that gives whoever holds it the layer."},
	{"events:TestEventPattern", runbooks.OpReadOnly, "Matches a pattern against an event; changes nothing."},
	{"iam:SimulatePrincipalPolicy", runbooks.OpReadOnly, "Evaluates the principal's policies against the actions given; changes nothing (drpilot ready asks it)."},
	{"kinesis:GetShardIterator", runbooks.OpReadOnly, "Returns a cursor that expires by itself; no stream or record changes."},
	{"kms:GetParametersForImport", runbooks.OpMutating, "Generates a wrapping key and import token: the first step of importing key material."},
	{"lambda:Invoke", runbooks.OpMutating, "Runs the function, which may do anything."},
	{"rds:DownloadDBLogFilePortion", runbooks.OpReadOnly, "Reads part of a log file."},
	{"route53:TestDNSAnswer", runbooks.OpReadOnly, "Asks Route 53 what it would answer; changes nothing."},
	{"s3:GetObject", runbooks.OpReadOnly, "Reads an object; stated because preconditions use it."},
	{"s3:SelectObjectContent", runbooks.OpReadOnly, "Runs a query over an object's content; writes nothing."},
	{"secretsmanager:BatchGetSecretValue", runbooks.OpMutating, "Decrypts secrets and records their last access; dry-run fetches no secret."},
	{"secretsmanager:GetRandomPassword", runbooks.OpReadOnly, "Generates a password and stores nothing; its output is concealed like a secret."},
	{"secretsmanager:GetSecretValue", runbooks.OpMutating, "Decrypts a secret and records its last access; dry-run fetches no secret."},
	{"ses:TestRenderEmailTemplate", runbooks.OpReadOnly, "Renders a template; sends nothing."},
	{"sns:CheckIfPhoneNumberIsOptedOut", runbooks.OpReadOnly, "Reads an opt-out flag."},
	{"ssm:GetAccessToken", runbooks.OpMutating, "Issues credentials for just-in-time node access."},
	{"states:GetActivityTask", runbooks.OpMutating, "Claims a scheduled activity task as its worker; the execution then waits on the caller."},
	{"sts:AssumeRole", runbooks.OpMutating, "Issues credentials; a run's identity must not change in dry-run."},
	{"sts:DecodeAuthorizationMessage", runbooks.OpReadOnly, "Decodes an error message; the verb is Decode."},
	{"sts:GetCallerIdentity", runbooks.OpReadOnly, "Names the caller; run.start records it in every mode."},
	{"sts:GetDelegatedAccessToken", runbooks.OpMutating, "Issues credentials despite the Get verb."},
	{"sts:GetFederationToken", runbooks.OpMutating, "Issues credentials despite the Get verb."},
	{"sts:GetSessionToken", runbooks.OpMutating, "Issues credentials despite the Get verb."},
	{"sts:GetWebIdentityToken", runbooks.OpMutating, "Issues a token despite the Get verb."},
}

// endpointOperations are the IAM actions of requests to a resource's own
// endpoint (runbooks.Call.HTTP), which no SDK client has: an OpenSearch
// domain's REST API is authorized by HTTP method, and only GET and HEAD
// read (a POST may be a search, but also a restore or a delete by query).
var endpointOperations = map[string]runbooks.OperationClass{
	"es:ESHttpGet": runbooks.OpReadOnly, "es:ESHttpHead": runbooks.OpReadOnly,
	"es:ESHttpPost": runbooks.OpMutating, "es:ESHttpPut": runbooks.OpMutating,
	"es:ESHttpDelete": runbooks.OpMutating, "es:ESHttpPatch": runbooks.OpMutating,
}

// EndpointOperation reports whether "service:Operation" is a request to a
// resource's own endpoint rather than an API operation.
func EndpointOperation(operation string) bool {
	service, op, _ := splitOperation(operation)
	canon, _ := CanonicalService(service)
	_, ok := endpointOperations[canon+":"+op]
	return ok
}

// reviewedIndex finds a decision by "service:Operation".
var reviewedIndex = func() map[string]decision {
	m := make(map[string]decision, len(reviewed))
	for _, d := range reviewed {
		m[d.op] = d
	}
	return m
}()

// Classify says whether an operation of a supported service is read-only or
// mutating. It returns OpUnknown when the service is not supported (the
// elbv2 alias is) or the operation is not a PascalCase name; the executor
// treats unknown as mutating and dry-run refuses it.
func Classify(service, operation string) runbooks.OperationClass {
	canon, ok := CanonicalService(service)
	if !ok || !operationName.MatchString(operation) {
		return runbooks.OpUnknown
	}
	if d, ok := reviewedIndex[canon+":"+operation]; ok {
		return d.class
	}
	if class, ok := endpointOperations[canon+":"+operation]; ok {
		return class
	}
	if hasReadOnlyVerb(operation) {
		return runbooks.OpReadOnly
	}
	return runbooks.OpMutating
}

// hasReadOnlyVerb reports whether operation starts with a read-only verb as
// a whole word: "GetItem" does, a made-up "Getaway" would not.
func hasReadOnlyVerb(operation string) bool {
	for _, verb := range readOnlyVerbs {
		rest, ok := strings.CutPrefix(operation, verb)
		if !ok {
			continue
		}
		if rest == "" || rest[0] >= 'A' && rest[0] <= 'Z' || rest[0] >= '0' && rest[0] <= '9' {
			return true
		}
	}
	return false
}

// splitOperation splits "service:Operation" as written in require.call,
// aws.call and ActionSpec.Calls.
func splitOperation(call string) (service, operation string, ok bool) {
	service, operation, ok = strings.Cut(call, ":")
	return service, operation, ok && service != "" && operation != ""
}

// ReadOnly reports whether an operation is classified read-only: the rule
// the dry-run guard on every client applies.
func ReadOnly(service, operation string) bool {
	return Classify(service, operation) == runbooks.OpReadOnly
}
