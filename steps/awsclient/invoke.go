package awsclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Response is one operation's answer in JSON shape: the SDK's output
// structure marshalled with the AWS API's member names (PascalCase), with
// unset members left out.
type Response struct {
	Output    map[string]any
	RequestID string
}

// Invoke calls service:operation in region with input written as the AWS
// API reference writes it (PascalCase members, as TOML decodes them). A
// member the operation does not have is an error, not silently dropped: a
// typo in a recovery step must not become a call that does something else.
func (f *Factory) Invoke(ctx context.Context, service, region, operation string, input map[string]any) (*Response, error) {
	canon, ok := canonical(service)
	if !ok {
		return nil, fmt.Errorf("drpilot cannot call AWS service %q; it supports %v", service, Services())
	}
	method, ok := operationIndex()[canon][operation]
	if !ok {
		return nil, fmt.Errorf("%s has no operation %q (see the AWS API reference for its operation names)", canon, operation)
	}
	in, err := typedInput(method.Type.In(2).Elem(), input)
	if err != nil {
		return nil, fmt.Errorf("%s:%s input: %w", canon, operation, err)
	}
	client, err := f.Client(canon, region)
	if err != nil {
		return nil, err
	}
	results := method.Func.Call([]reflect.Value{reflect.ValueOf(client), reflect.ValueOf(ctx), in})
	if errV := results[1]; !errV.IsNil() {
		return nil, newCallError(canon, operation, region, errV.Interface().(error))
	}
	return jsonOutput(results[0])
}

// typedInput fills a new value of the SDK's input type from a JSON-shaped
// map. encoding/json matches keys to field names (the member names) and
// refuses keys that match none.
func typedInput(t reflect.Type, input map[string]any) (reflect.Value, error) {
	v := reflect.New(t)
	if len(input) == 0 {
		return v, nil
	}
	raw, err := json.Marshal(input)
	if err != nil {
		return v, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v.Interface()); err != nil {
		return v, memberError(err)
	}
	return v, nil
}

// memberError rewrites encoding/json's wording in the runbook's terms.
func memberError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Errorf("member %s must be %s, not a JSON %s", typeErr.Field, describeKind(typeErr.Type), typeErr.Value)
	}
	if msg, ok := cutUnknownField(err.Error()); ok {
		return fmt.Errorf("unknown member %s (member names are PascalCase, as in the AWS API reference)", msg)
	}
	return err
}

func cutUnknownField(msg string) (string, bool) {
	const prefix = "json: unknown field "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		return msg[len(prefix):], true
	}
	return "", false
}

// describeKind names a Go type the way a runbook author thinks of it.
func describeKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "a table"
	}
	return t.String()
}

// jsonOutput turns the SDK's output into a Response.
func jsonOutput(out reflect.Value) (*Response, error) {
	resp := &Response{Output: map[string]any{}}
	if out.IsNil() {
		return resp, nil
	}
	if md, ok := out.Elem().FieldByName("ResultMetadata").Interface().(middleware.Metadata); ok {
		resp.RequestID, _ = awsmiddleware.GetRequestIDMetadata(md)
	}
	raw, err := json.Marshal(out.Interface())
	if err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	delete(m, "ResultMetadata")
	resp.Output = dropNulls(m).(map[string]any)
	return resp, nil
}

// dropNulls removes unset members, so that the audit log and the UI show
// what AWS answered rather than every member the SDK knows.
func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = dropNulls(e)
		}
	case []any:
		for i, e := range x {
			x[i] = dropNulls(e)
		}
	}
	return v
}

// CallError is a failed AWS call, with what a reviewer needs to find it in
// CloudTrail and what the executor needs to decide on a retry.
type CallError struct {
	Service, Operation, Region string
	// Code and Message are AWS's error code and message, when AWS answered.
	Code, Message string
	RequestID     string
	HTTPStatus    int
	// Retryable is set for throttling, timeouts and server-side errors:
	// the SDK retried them already, and a step's retries may try again.
	Retryable bool
	Err       error
}

func newCallError(service, operation, region string, err error) *CallError {
	ce := &CallError{Service: service, Operation: operation, Region: region, Err: err}
	var api smithy.APIError
	if errors.As(err, &api) {
		ce.Code, ce.Message = api.ErrorCode(), api.ErrorMessage()
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) {
		ce.RequestID = resp.ServiceRequestID()
		ce.HTTPStatus = resp.HTTPStatusCode()
	}
	ce.Retryable = retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary ||
		retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
	var refused *RefusedError
	if errors.As(err, &refused) {
		ce.Retryable = false
	}
	return ce
}

func (e *CallError) Error() string {
	where := fmt.Sprintf("%s:%s in %s", e.Service, e.Operation, e.Region)
	switch {
	case e.Code != "" && e.RequestID != "":
		return fmt.Sprintf("%s: %s: %s (request id %s)", where, e.Code, e.Message, e.RequestID)
	case e.Code != "":
		return fmt.Sprintf("%s: %s: %s", where, e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %v", where, unwrapOperationError(e.Err))
}

// Unwrap returns the SDK's error.
func (e *CallError) Unwrap() error { return e.Err }

// unwrapOperationError drops the SDK's "operation X: " wrapping, which
// CallError already says.
func unwrapOperationError(err error) error {
	var op *smithy.OperationError
	if errors.As(err, &op) {
		return op.Err
	}
	return err
}
