package sandbox

import (
	"net/http"
	"time"
)

// lambdaAccountConcurrency is the account's concurrency limit per Region;
// reservations must leave 100 unreserved, as Lambda requires.
const lambdaAccountConcurrency = 1000

type lambdaRegion struct {
	functions map[string]*function
}

type function struct {
	Name, Runtime, Role, Handler string
	Created                      time.Time
	Reserved                     *int64 // nil: no reservation
}

func (r *lambdaRegion) dump(time.Time) any {
	out := map[string]any{}
	for name, f := range r.functions {
		out[name] = map[string]any{"reserved_concurrency": f.Reserved}
	}
	return map[string]any{"functions": out}
}

func (c *call) lambda() *lambdaRegion {
	return stateOf(c.sb, "lambda", c.region, func() *lambdaRegion { return &lambdaRegion{functions: map[string]*function{}} })
}

func registerLambda(s *Sandbox) {
	s.addService(&service{name: "lambda", protocol: restJSONProtocol{}, throttleCode: "TooManyRequestsException", throttleStatus: 429},
		&operation{name: "CreateFunction", mutating: true, method: "POST", path: "/2015-03-31/functions", status: http.StatusCreated, handler: lambdaCreateFunction},
		&operation{name: "ListFunctions", method: "GET", path: "/2015-03-31/functions", handler: lambdaListFunctions},
		&operation{name: "GetFunction", method: "GET", path: "/2015-03-31/functions/{FunctionName}", handler: lambdaGetFunction},
		&operation{name: "PutFunctionConcurrency", mutating: true, method: "PUT", path: "/2017-10-31/functions/{FunctionName}/concurrency", handler: lambdaPutConcurrency},
		&operation{name: "GetFunctionConcurrency", method: "GET", path: "/2019-09-30/functions/{FunctionName}/concurrency", handler: lambdaGetConcurrency},
	)
}

func lambdaCreateFunction(c *call) (any, error) {
	name, err := required(c.input, "FunctionName", "InvalidParameterValueException")
	if err != nil {
		return nil, err
	}
	role, err := required(c.input, "Role", "InvalidParameterValueException")
	if err != nil {
		return nil, err
	}
	r := c.lambda()
	if _, exists := r.functions[name]; exists {
		return nil, &awsError{Code: "ResourceConflictException", Message: "Function already exist: " + name, Status: http.StatusConflict}
	}
	f := &function{Name: name, Runtime: str(c.input, "Runtime"), Role: role, Handler: str(c.input, "Handler"), Created: c.now}
	r.functions[name] = f
	return c.functionConfiguration(f), nil
}

// functionConfiguration is a function as CreateFunction, GetFunction and
// ListFunctions answer it.
func (c *call) functionConfiguration(f *function) map[string]any {
	return map[string]any{
		"FunctionName": f.Name, "FunctionArn": arn("lambda", c.region, c.account(), "function:"+f.Name),
		"Runtime": f.Runtime, "Role": f.Role, "Handler": f.Handler, "State": "Active", "Version": "$LATEST",
		"LastModified": f.Created.Format("2006-01-02T15:04:05.000-0700"), "CodeSize": 1024, "MemorySize": 128, "Timeout": 3,
		"LastUpdateStatus": "Successful", "PackageType": "Zip", "Architectures": []any{"x86_64"},
	}
}

// lambdaListFunctions lists the Region's functions by name, MaxItems (1
// to 10,000; 50 by default) at a time.
func lambdaListFunctions(c *call) (any, error) {
	r := c.lambda()
	items := []any{}
	for _, name := range sortedKeys(r.functions) {
		items = append(items, c.functionConfiguration(r.functions[name]))
	}
	return listPage("Functions", "NextMarker", c.input, "MaxItems", "Marker", items, pageLimits{def: 50, min: 1, max: 10000, validation: "ValidationException", code: "InvalidParameterValueException"})
}

func lambdaGetFunction(c *call) (any, error) {
	f, err := c.function()
	if err != nil {
		return nil, err
	}
	out := map[string]any{"Configuration": c.functionConfiguration(f),
		"Code": map[string]any{"RepositoryType": "S3", "Location": "https://awslambda-" + c.region + "-tasks.s3." + c.region + ".amazonaws.com/snapshots/" + c.account() + "/" + f.Name}}
	if f.Reserved != nil {
		out["Concurrency"] = map[string]any{"ReservedConcurrentExecutions": *f.Reserved}
	}
	return out, nil
}

// function finds a function by name or ARN, as Lambda accepts both.
func (c *call) function() (*function, *awsError) {
	name := str(c.input, "FunctionName")
	if i := lastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	f, ok := c.lambda().functions[name]
	if !ok {
		return nil, notFound("ResourceNotFoundException", "Function not found: %s", arn("lambda", c.region, c.account(), "function:"+name))
	}
	return f, nil
}

func lastIndexByte(s string, b byte) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == b {
			return i
		}
	}
	return -1
}

// lambdaPutConcurrency reserves concurrency; 0 throttles the function, as
// a freeze step does to stop a writer.
func lambdaPutConcurrency(c *call) (any, error) {
	f, err := c.function()
	if err != nil {
		return nil, err
	}
	n, set, aerr := integer(c.input, "ReservedConcurrentExecutions")
	if aerr != nil {
		return nil, aerr
	}
	if !set || n < 0 {
		return nil, errorf("InvalidParameterValueException", "ReservedConcurrentExecutions must be 0 or more")
	}
	var others int64
	for name, g := range c.lambda().functions {
		if name != f.Name && g.Reserved != nil {
			others += *g.Reserved
		}
	}
	if others+n > lambdaAccountConcurrency-100 {
		return nil, errorf("InvalidParameterValueException",
			"Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].")
	}
	f.Reserved = &n
	return map[string]any{"ReservedConcurrentExecutions": n}, nil
}

func lambdaGetConcurrency(c *call) (any, error) {
	f, err := c.function()
	if err != nil {
		return nil, err
	}
	if f.Reserved == nil {
		return map[string]any{}, nil
	}
	return map[string]any{"ReservedConcurrentExecutions": *f.Reserved}, nil
}
