package awsclient

import (
	"reflect"
	"slices"
	"strings"
	"sync"
)

// The SDK models a union (a DynamoDB AttributeValue, say) as an interface
// implemented by one struct per member, <Union>Member<Name>, each holding
// the member's value in Value. Reflection cannot list an interface's
// implementations, so a generator reads them from the SDK's sources into
// unions_gen.go, for every service the registry holds. After adding a
// service to the registry or updating the SDK, regenerate it:
//
//	go generate ./steps/awsclient
//
// internal/genunions' TestGeneratedFileIsCurrent fails while the file
// differs from what the generator writes, and TestUnionTableCoversTheRegistry
// while a union that an operation of the registry uses is missing.

//go:generate go run ./internal/genunions -o unions_gen.go

// unionEntry is one union and its member structs.
type unionEntry struct {
	union   reflect.Type
	members []reflect.Type
}

// unionOf lists union U's member structs, given as zero values.
func unionOf[U any](members ...any) unionEntry {
	e := unionEntry{union: reflect.TypeFor[U]()}
	for _, m := range members {
		e.members = append(e.members, reflect.TypeOf(m))
	}
	return e
}

// unions indexes unionTable: each union's member structs by the member's
// name in the AWS API ("S" for AttributeValueMemberS).
var unions = sync.OnceValue(func() map[reflect.Type]map[string]reflect.Type {
	idx := make(map[reflect.Type]map[string]reflect.Type, len(unionTable))
	for _, e := range unionTable {
		byName := make(map[string]reflect.Type, len(e.members))
		for _, m := range e.members {
			byName[strings.TrimPrefix(m.Name(), e.union.Name()+"Member")] = m
		}
		idx[e.union] = byName
	}
	return idx
})

// unionNames lists a union's member names, sorted.
func unionNames(t reflect.Type) []string {
	names := make([]string, 0, len(unions()[t]))
	for n := range unions()[t] {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
