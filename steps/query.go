package steps

import (
	"fmt"

	"github.com/jmespath/go-jmespath"
)

// search runs a JMESPath query over a response, recovering from the
// library's panics on hostile expressions or data: a query written in a
// runbook, or one a template completed at run time, must never crash the
// run.
func search(query string, data any) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("query %q cannot be evaluated: %v", query, r)
		}
	}()
	return jmespath.Search(query, data)
}
