package runbooks

// suggest returns the candidate closest to s by edit distance, or "" when
// none is close enough to be a likely typo. Close enough means at most a
// third of the longer word's letters differ, so "db_instanse" finds
// "db_instance_identifier" only through the prefix rule below, and
// "promte-replica" finds "promote-replica".
func suggest(s string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		if c == s {
			continue
		}
		d := editDistance(s, c)
		limit := max(len(s), len(c)) / 3
		if d > max(limit, 1) && !typoOfPrefix(s, c) {
			continue
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// typoOfPrefix reports whether s looks like a misspelt abbreviation of c:
// s is within two edits of c's prefix of the same length, and long enough
// for that to mean something.
func typoOfPrefix(s, c string) bool {
	if len(s) < 5 || len(c) <= len(s) {
		return false
	}
	return editDistance(s, c[:len(s)]) <= 2
}

// editDistance is the optimal string alignment distance between a and b,
// in bytes (keys and ids are ASCII): Levenshtein's insertions, deletions
// and substitutions, plus the transposition of two adjacent letters, the
// commonest typo ("titel" is one edit from "title").
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		// Nobody misspells a 64-character key; keep the cost bounded.
		if a == b {
			return 0
		}
		return max(len(a), len(b))
	}
	// Three rows: the one before the previous one is needed for
	// transpositions.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// Suggest returns the candidate closest to s when it is close enough to be
// a likely typo, or "": for command-line input checked against a
// runbook's names.
func Suggest(s string, candidates []string) string { return suggest(s, candidates) }
