package awsclient

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

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
// CLI's JSON writes it (the API's member names, unions as one-key tables;
// see shape.go), as TOML decodes it. A
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

// typedInput fills a new value of the SDK's input type from a TOML- or
// JSON-shaped map, as the AWS CLI's JSON writes inputs (see shape.go). A
// member the input type does not have is an error, not silently dropped.
func typedInput(t reflect.Type, input map[string]any) (reflect.Value, error) {
	s := &shaper{}
	v := s.structure(t, input)
	var msgs []string
	for _, p := range s.problems {
		if p.Warning {
			continue // the SDK sends the member under its own name
		}
		msg := p.Message
		if p.Hint != "" {
			msg += " (" + p.Hint + ")"
		}
		msgs = append(msgs, msg)
	}
	if len(msgs) > 0 {
		return reflect.Value{}, errors.New(strings.Join(msgs, "; "))
	}
	if !v.IsValid() {
		return v, errors.New("the input could not be converted")
	}
	return v.Addr(), nil
}

// describeKind names a Go type the way a runbook author thinks of it.
func describeKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return "a timestamp"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return "a base64 string"
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

// jsonOutput turns the SDK's output into a Response, in the AWS CLI's
// JSON shape (see outputValue).
func jsonOutput(out reflect.Value) (*Response, error) {
	resp := &Response{Output: map[string]any{}}
	if out.IsNil() {
		return resp, nil
	}
	if md, ok := out.Elem().FieldByName("ResultMetadata").Interface().(middleware.Metadata); ok {
		resp.RequestID, _ = awsmiddleware.GetRequestIDMetadata(md)
	}
	m, _ := outputValue(out).(map[string]any)
	delete(m, "ResultMetadata")
	if m != nil {
		resp.Output = m
	}
	return resp, nil
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
