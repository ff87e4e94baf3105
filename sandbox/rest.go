package sandbox

import (
	"net/http"
	"net/url"
	"strings"
)

// restOperation finds the operation a REST request is for and reads its
// path labels and query parameters into a new input; false when no
// operation of the service serves the method and path.
func restOperation(svc *service, r *http.Request) (*operation, map[string]any, bool) {
	input := map[string]any{}
	op, ok := route(svc, r, input)
	if ok {
		queryInput(r, input)
	}
	return op, input, ok
}

// route finds the operation of a REST service that serves a request: the
// one whose method matches and whose path template matches the path,
// with its labels read into input. Literal segments and required query
// markers beat labels, so that /healthcheck/{Id}/status is not taken for
// /healthcheck/{Id}, nor S3's /{Bucket}?replication for /{Bucket}.
// A template may end in a greedy label ({Key+}) and name query
// parameters that must be present ("/{Bucket}?replication").
func route(svc *service, r *http.Request, input map[string]any) (*operation, bool) {
	path := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	query := r.URL.Query()
	var best *operation
	bestLiterals := -1
	var bestLabels map[string]string
	for _, op := range svc.ops {
		if op.method != r.Method {
			continue
		}
		tmpl, marker, _ := strings.Cut(op.path, "?")
		if _, ok := query[marker]; marker != "" && !ok || namesOtherSubresource(svc, query, marker) {
			continue
		}
		labels, literals, ok := matchPath(tmpl, path)
		if marker != "" {
			literals++
		}
		if ok && literals > bestLiterals {
			best, bestLiterals, bestLabels = op, literals, labels
		}
	}
	for k, v := range bestLabels {
		input[k] = v
	}
	return best, best != nil
}

// namesOtherSubresource reports whether a query names a subresource of
// svc other than marker, the one an operation's path names.
func namesOtherSubresource(svc *service, query url.Values, marker string) bool {
	for k := range query {
		if svc.subresources[k] && k != marker {
			return true
		}
	}
	return false
}

func matchPath(template string, path []string) (map[string]string, int, bool) {
	segs := strings.Split(strings.Trim(template, "/"), "/")
	greedy := strings.HasSuffix(template, "+}")
	if len(segs) != len(path) && !(greedy && len(path) > len(segs)) {
		return nil, 0, false
	}
	labels, literals := map[string]string{}, 0
	for i, seg := range segs {
		if greedy && i == len(segs)-1 {
			v, err := url.PathUnescape(strings.Join(path[i:], "/"))
			if err != nil || v == "" {
				return nil, 0, false
			}
			labels[seg[1:len(seg)-2]] = v
			continue
		}
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			v, err := url.PathUnescape(path[i])
			if err != nil || v == "" {
				return nil, 0, false
			}
			labels[seg[1:len(seg)-1]] = v
			continue
		}
		if seg != path[i] {
			return nil, 0, false
		}
		literals++
	}
	return labels, literals, true
}

// queryInput adds the URL's query parameters to input under their own
// (lower-case, REST) names, which handlers read.
func queryInput(r *http.Request, input map[string]any) {
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			if _, taken := input[k]; !taken {
				input[k] = v[0]
			}
		}
	}
}
