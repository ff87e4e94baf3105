package sandbox

import "errors"

// InputCheck lists what is wrong with the input of one [[create]] entry,
// written with the AWS CLI's member names, for the service (its SigV4
// signing name, as scenarios name it) and operation: one message per
// problem, each naming the member. The sandbox knows only the members its
// handlers read, so a member the operation does not have would be ignored
// silently; whoever holds the AWS model of the operations (cmd/drpilot,
// through the SDK) checks the inputs against it.
type InputCheck func(service, operation string, input map[string]any) []string

// CheckInputs runs check on every [[create]] entry's input, as the file
// writes it, and returns every problem found, each at its entry's line,
// or nil. Call it before Apply, so nothing is created from a file with a
// misspelt member.
func (sc *Scenario) CheckInputs(check InputCheck) error {
	var errs []error
	for i, c := range sc.Create {
		input := c.Input
		if input == nil {
			input = map[string]any{}
		}
		for _, msg := range check(c.Service, c.Operation, input) {
			errs = append(errs, sc.entryError(i, "%s %s: %s", c.Service, c.Operation, msg))
		}
	}
	return errors.Join(errs...)
}
