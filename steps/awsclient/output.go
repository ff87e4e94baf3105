package awsclient

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// outputValue renders an SDK output value in the shape the AWS CLI's JSON
// gives it, the shape inputs are written in: structures and maps as
// tables, blobs in base64, timestamps in RFC 3339, numbers as JSON
// numbers (float64), and a union as a one-key table naming its member
// ({"S": "x"}), which encoding/json cannot do because it sees only the
// member struct. Unset members are left out.
func outputValue(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if v.Type().Implements(jsonMarshaler) && v.Kind() != reflect.Interface {
		return viaJSON(v)
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		if v.Kind() == reflect.Interface {
			return interfaceValue(v)
		}
		return outputValue(v.Elem())
	case reflect.Struct:
		if v.Type() == timeType {
			return v.Interface().(time.Time).Format(time.RFC3339Nano)
		}
		return structValue(v)
	case reflect.Slice:
		return sliceValue(v)
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			if e := outputValue(it.Value()); e != nil {
				out[fmt.Sprint(it.Key().Interface())] = e
			}
		}
		return out
	}
	return scalarValue(v)
}

var jsonMarshaler = reflect.TypeFor[json.Marshaler]()

// interfaceValue renders a union member as {"Name": value}; any other
// interface (a stream, a document) as encoding/json does.
func interfaceValue(v reflect.Value) any {
	elem := v.Elem()
	members := unions()[v.Type()]
	for name, m := range members {
		if elem.Type() == reflect.PointerTo(m) {
			return map[string]any{name: outputValue(elem.Elem().FieldByName("Value"))}
		}
	}
	return viaJSON(elem)
}

// structValue renders a structure's set members.
func structValue(v reflect.Value) any {
	out := map[string]any{}
	for _, f := range fields(v.Type()) {
		if e := outputValue(v.Field(f.index)); e != nil {
			out[f.name] = e
		}
	}
	return out
}

func sliceValue(v reflect.Value) any {
	if v.IsNil() {
		return nil
	}
	if v.Type().Elem().Kind() == reflect.Uint8 {
		return base64.StdEncoding.EncodeToString(v.Bytes())
	}
	out := make([]any, v.Len())
	for i := range out {
		out[i] = outputValue(v.Index(i))
	}
	return out
}

// scalarValue renders strings, booleans and numbers; numbers become
// float64, as decoding JSON gives them to queries.
func scalarValue(v reflect.Value) any {
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	}
	if f, ok := number(v.Interface()); ok {
		return f
	}
	return viaJSON(v)
}

// viaJSON renders what the SDK leaves to encoding/json; what that cannot
// encode is left out.
func viaJSON(v reflect.Value) any {
	raw, err := json.Marshal(v.Interface())
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(raw, &out) != nil {
		return nil
	}
	return out
}
