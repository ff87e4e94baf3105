package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// repoRoot is the repository's top directory, seen from this package.
const repoRoot = "../.."

var (
	fencedBlock = regexp.MustCompile("(?s)```.*?```")
	codeSpan    = regexp.MustCompile("`[^`\n]*`")
	mdLink      = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdHeading   = regexp.MustCompile(`(?m)^#{1,6} +(.+?) *$`)
)

// TestDocLinksResolve: every relative link in README.md and docs/*.md
// names a file of this repository that exists, and an anchor, when there
// is one, names a heading of that file. The repository is all a user's
// clone has: a link out of it is dead there, even where it resolves on a
// developer's machine.
func TestDocLinksResolve(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files := append([]string{filepath.Join(root, "README.md")}, docs...)
	if len(files) < 7 {
		t.Fatalf("expected README.md and the docs, found %v", files)
	}
	checked := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := codeSpan.ReplaceAllString(fencedBlock.ReplaceAllString(string(data), ""), "")
		rel, _ := filepath.Rel(root, file)
		for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			path, anchor, _ := strings.Cut(target, "#")
			dest := file
			if path != "" {
				dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
			}
			if inside, err := filepath.Rel(root, dest); err != nil || inside == ".." || strings.HasPrefix(inside, ".."+string(filepath.Separator)) {
				t.Errorf("%s: link %s leaves the repository", rel, target)
				continue
			}
			info, err := os.Stat(dest)
			if err != nil {
				t.Errorf("%s: link %s: %v", rel, target, err)
				continue
			}
			if anchor != "" && (info.IsDir() || !hasAnchor(t, dest, anchor)) {
				t.Errorf("%s: link %s: no heading in %s has the anchor #%s", rel, target, filepath.Base(dest), anchor)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d relative links found: is the link pattern right?", checked)
	}
}

// hasAnchor reports whether a markdown file has a heading whose anchor, as
// GitHub makes it, is anchor: lower case, punctuation other than - and _
// dropped, spaces as -, and -1, -2, ... after repeated headings.
func hasAnchor(t *testing.T, file, anchor string) bool {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range mdHeading.FindAllStringSubmatch(fencedBlock.ReplaceAllString(string(data), ""), -1) {
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
				b.WriteRune(r)
			}
		}
		slug := b.String()
		if n := seen[slug]; n > 0 {
			seen[slug] = n + 1
			slug += "-" + strconv.Itoa(n)
		} else {
			seen[slug] = 1
		}
		if slug == anchor {
			return true
		}
	}
	return false
}
