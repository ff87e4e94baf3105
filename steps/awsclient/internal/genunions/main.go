// Command genunions writes unions_gen.go for package awsclient: every
// union of every AWS service the package imports, with its member structs.
// It finds the services in the package's own imports, so a service added
// to the registry is covered the next time it runs, and reads each
// service's types package from the module cache with go/parser: a union
// U is an interface whose members declare func (*UMemberX) isU() {}.
//
// Run it from steps/awsclient with go generate.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"log"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// servicePrefix is where the SDK's service modules live.
const servicePrefix = "github.com/aws/aws-sdk-go-v2/service/"

func main() {
	out := flag.String("o", "unions_gen.go", "the file to write")
	flag.Parse()
	src, err := generate(".", *out)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// generate returns the table for the package in dir, whose generated file
// is out.
func generate(dir, out string) ([]byte, error) {
	services, err := importedServices(dir, out)
	if err != nil {
		return nil, err
	}
	dirs, err := typesDirs(dir, services)
	if err != nil {
		return nil, err
	}
	var all []service
	for _, svc := range services {
		typesDir, ok := dirs[svc+"/types"]
		if !ok {
			continue // a service without shapes of its own has no unions
		}
		unions, err := findUnions(typesDir)
		if err != nil {
			return nil, err
		}
		if len(unions) > 0 {
			all = append(all, service{path: svc, unions: unions})
		}
	}
	return render(all)
}

// importedServices lists the SDK service packages that the Go files in
// dir import, sorted; skip is the generated file, which imports only
// what the last run found.
func importedServices(dir, skip string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || filepath.Base(f) == filepath.Base(skip) {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			return nil, err
		}
		for _, imp := range file.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if rest, ok := strings.CutPrefix(p, servicePrefix); ok && !strings.Contains(rest, "/") {
				seen[p] = true
			}
		}
	}
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out, nil
}

// typesDirs asks the go command, in dir's module, where each service's
// types package is.
func typesDirs(dir string, services []string) (map[string]string, error) {
	args := []string{"list", "-e", "-json=ImportPath,Dir,Error"}
	for _, s := range services {
		args = append(args, s+"/types")
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	dirs := map[string]string{}
	dec := json.NewDecoder(bytes.NewReader(raw))
	for dec.More() {
		var p struct {
			ImportPath, Dir string
			Error           *struct{ Err string }
		}
		if err := dec.Decode(&p); err != nil {
			return nil, err
		}
		if p.Error == nil && p.Dir != "" {
			dirs[p.ImportPath] = p.Dir
		}
	}
	return dirs, nil
}

// service is one SDK service package and its unions.
type service struct {
	path   string
	unions []union
}

// union is an interface and its member struct names, sorted.
type union struct {
	name    string
	members []string
}

// findUnions reads a types package's sources for union members: methods
// named is<Union> on *<Union>Member<Name>. UnknownUnionMember implements
// every union too; it is what the SDK decodes an unknown tag to, and no
// input can use it.
func findUnions(dir string) ([]union, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	byUnion := map[string][]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, decl := range file.Decls {
			if u, m, ok := unionMethod(decl); ok {
				byUnion[u] = append(byUnion[u], m)
			}
		}
	}
	var out []union
	for name, members := range byUnion {
		slices.Sort(members)
		out = append(out, union{name: name, members: members})
	}
	slices.SortFunc(out, func(a, b union) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// unionMethod recognises func (*UMemberX) isU() {} and returns U and
// UMemberX.
func unionMethod(decl ast.Decl) (string, string, bool) {
	fn, ok := decl.(*ast.FuncDecl)
	if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 || fn.Type.Params.NumFields() != 0 || fn.Type.Results != nil {
		return "", "", false
	}
	star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
	if !ok {
		return "", "", false
	}
	recv, ok := star.X.(*ast.Ident)
	if !ok {
		return "", "", false
	}
	u, ok := strings.CutPrefix(fn.Name.Name, "is")
	if !ok || u == "" || !strings.HasPrefix(recv.Name, u+"Member") || recv.Name == u+"Member" {
		return "", "", false
	}
	return u, recv.Name, true
}

// render writes the Go file, formatted.
func render(services []service) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("// Code generated by internal/genunions; DO NOT EDIT.\n")
	b.WriteString("// Regenerate with: go generate ./steps/awsclient\n\npackage awsclient\n\nimport (\n")
	for _, s := range services {
		fmt.Fprintf(&b, "\t%s %q\n", alias(s.path), s.path+"/types")
	}
	b.WriteString(")\n\n// unionTable lists every union of the registered services with its member\n")
	b.WriteString("// structs: see unions.go.\nvar unionTable = []unionEntry{\n")
	for _, s := range services {
		a := alias(s.path)
		for _, u := range s.unions {
			fmt.Fprintf(&b, "\tunionOf[%s.%s](", a, u.name)
			for i, m := range u.members {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%s.%s{}", a, m)
			}
			b.WriteString("),\n")
		}
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}

// alias names a service's types package in the generated file.
func alias(servicePath string) string {
	return strings.ReplaceAll(path.Base(servicePath), "-", "") + "types"
}
