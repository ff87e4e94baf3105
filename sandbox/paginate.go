package sandbox

import "strconv"

// paginate returns one page of items and the marker of the next, for APIs
// that page with a page-size member and an opaque marker. The marker is
// the index of the next item; min and max bound the page size as the API
// does.
func paginate(in map[string]any, sizeKey, markerKey string, items []any, def, min, max int64) ([]any, string, error) {
	size, set, err := integer(in, sizeKey)
	if err != nil {
		return nil, "", err
	}
	if !set {
		size = def
	}
	if size < min || size > max {
		return nil, "", errorf("InvalidParameterValue", "%s must be from %d to %d", sizeKey, min, max)
	}
	start := 0
	if m := str(in, markerKey); m != "" {
		n, convErr := strconv.Atoi(m)
		if convErr != nil || n < 0 || n > len(items) {
			return nil, "", errorf("InvalidParameterValue", "%s %q is not a marker this API returned", markerKey, m)
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
