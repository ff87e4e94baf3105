package sandbox

import (
	"fmt"
	"strconv"
)

// pageLimits is how an API bounds the page size a caller asks for. APIs
// differ on a size past the bounds: EC2 and Route 53 serve their largest
// page instead (the AWS CLI's paginators ask EC2 for 1000 items where the
// model says 500), the others refuse it, each with its own error.
type pageLimits struct {
	def, min, max int64
	// capped serves a size above max as max instead of refusing it.
	capped bool
	// validation is the code of a Coral service's validation error
	// (ValidationException, ValidationError), worded as those services
	// word it; "" is the older services' InvalidParameterValue.
	validation string
	// code, when set, is the code of every error paginate answers, a bad
	// marker's too, for the services whose code for both is their own.
	code string
}

// recoded gives err the API's own error code, if it has one.
func (lim pageLimits) recoded(err error) error {
	if e, ok := err.(*awsError); ok && lim.code != "" {
		e.Code = lim.code
	}
	return err
}

// pageSize reads the page-size member sizeKey within lim.
func pageSize(in map[string]any, sizeKey string, lim pageLimits) (int64, error) {
	size, set, err := integer(in, sizeKey)
	if err != nil {
		return 0, err
	}
	switch {
	case !set:
		return lim.def, nil
	case size > lim.max && lim.capped:
		return lim.max, nil
	case size >= lim.min && size <= lim.max:
		return size, nil
	}
	if lim.validation != "" {
		bound := fmt.Sprintf("greater than or equal to %d", lim.min)
		if size > lim.max {
			bound = fmt.Sprintf("less than or equal to %d", lim.max)
		}
		return 0, errorf(lim.validation, "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value %s",
			size, lowerFirst(sizeKey), bound)
	}
	if lim.capped {
		return 0, errorf("InvalidParameterValue", "Value ( %d ) for parameter %s is invalid. Expecting a value greater than %d.", size, lowerFirst(sizeKey), lim.min)
	}
	return 0, errorf("InvalidParameterValue", "Invalid value %d for %s. Must be between %d and %d", size, sizeKey, lim.min, lim.max)
}

// lowerFirst is a member's name as AWS's validation messages spell it.
func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

// paginate returns one page of items and the marker of the next, for APIs
// that page with a page-size member and an opaque marker. The marker is
// the index of the next item; lim bounds the page size as the API does.
func paginate(in map[string]any, sizeKey, markerKey string, items []any, lim pageLimits) ([]any, string, error) {
	size, err := pageSize(in, sizeKey, lim)
	if err != nil {
		return nil, "", lim.recoded(err)
	}
	start := 0
	if m := str(in, markerKey); m != "" {
		n, convErr := strconv.Atoi(m)
		if convErr != nil || n < 0 || n > len(items) {
			return nil, "", lim.recoded(errorf("InvalidParameterValue", "%s %q is not a marker this API returned", markerKey, m))
		}
		start = n
	}
	end := min64(int64(start)+size, int64(len(items)))
	next := ""
	if int(end) < len(items) {
		next = strconv.FormatInt(end, 10)
	}
	return items[start:end], next, nil
}

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

// listPage answers one page of a list with paginate: the page's items
// under key, and the next page's marker under nextKey when there is one.
func listPage(key, nextKey string, in map[string]any, sizeKey, markerKey string, items []any, lim pageLimits) (any, error) {
	page, next, err := paginate(in, sizeKey, markerKey, items, lim)
	if err != nil {
		return nil, err
	}
	out := map[string]any{key: page}
	if next != "" {
		out[nextKey] = next
	}
	return out, nil
}
