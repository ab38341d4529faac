// Package layered merges two layers of JSON settings (shared defaults and
// one environment's overrides), decodes the result strictly into a Go
// struct, and names, for any key path, the layer a user has to edit.
package layered

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Layer is one layer of settings and the key path that holds it, such as
// "defaults" or "environments.dev".
type Layer struct {
	Name     string
	Settings map[string]any
}

// Merge deep-merges override onto base: objects merge key by key, any other
// value (lists included) in override replaces the one in base.
func Merge(base, override map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(override))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range override {
		b, bok := out[k].(map[string]any)
		o, ook := v.(map[string]any)
		if bok && ook {
			out[k] = Merge(b, o)
		} else {
			out[k] = v
		}
	}
	return out
}

// Source is the defaults merged with the overrides. It remembers where the
// merged settings came from, so that an error names the key a user has to
// edit.
type Source struct {
	defaults  Layer
	overrides Layer
	merged    map[string]any
}

// New merges overrides onto defaults.
func New(defaults, overrides Layer) *Source {
	return &Source{defaults: defaults, overrides: overrides, merged: Merge(defaults.Settings, overrides.Settings)}
}

// Origin turns a path in the merged settings ("network.natGateways") into
// the key path that set it: in the overrides if they hold it, else in the
// defaults if they do, else in the overrides (where a missing key belongs).
func (s *Source) Origin(path string) string {
	// Lists are replaced whole: a key of a list's item, even one left out,
	// belongs to the layer that holds the list.
	probe := path
	if i := strings.LastIndexByte(path, ']'); i >= 0 {
		probe = path[:i+1]
	}
	if _, ok := Lookup(s.overrides.Settings, probe); ok {
		return s.overrides.Name + "." + path
	}
	if _, ok := Lookup(s.defaults.Settings, probe); ok {
		return s.defaults.Name + "." + path
	}
	return s.overrides.Name + "." + path
}

// Lookup finds path ("a.b[2].c") in settings. Lists are replaced whole,
// never merged, so the layer that holds a list holds all its items.
func Lookup(settings map[string]any, path string) (any, bool) {
	var cur any = settings
	for _, part := range strings.Split(path, ".") {
		index := -1
		if i := strings.IndexByte(part, '['); i >= 0 {
			n, err := strconv.Atoi(strings.TrimSuffix(part[i+1:], "]"))
			if err != nil {
				return nil, false
			}
			part, index = part[:i], n
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
		if index >= 0 {
			list, ok := cur.([]any)
			if !ok || index >= len(list) {
				return nil, false
			}
			cur = list[index]
		}
	}
	return cur, true
}

// Decode fills out, a pointer to a struct, from the merged settings,
// rejecting unknown keys and values of the wrong type. Every error names
// the key path where the value was set.
func (s *Source) Decode(out any) error {
	var problems []string
	s.unknownKeys(s.merged, reflect.TypeOf(out).Elem(), "", &problems)
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	raw, err := json.Marshal(s.merged)
	if err != nil {
		return fmt.Errorf("%s: %w", s.overrides.Name, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			value, _ := Lookup(s.merged, typeErr.Field)
			return fmt.Errorf("%s: %s is not allowed; want %s", s.Origin(typeErr.Field), Describe(value), kind(typeErr.Type))
		}
		return fmt.Errorf("%s: %w", s.overrides.Name, err)
	}
	return nil
}

// unknownKeys appends a problem for every key of value that t has no field for.
func (s *Source) unknownKeys(value any, t reflect.Type, path string, problems *[]string) {
	switch t.Kind() {
	case reflect.Struct:
		m, ok := value.(map[string]any)
		if !ok {
			return // a type error, reported by Decode
		}
		fields := map[string]reflect.Type{}
		var allowed []string
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			fields[name] = t.Field(i).Type
			allowed = append(allowed, name)
		}
		sort.Strings(allowed)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub := k
			if path != "" {
				sub = path + "." + k
			}
			ft, ok := fields[k]
			if !ok {
				*problems = append(*problems, fmt.Sprintf("%s: unknown key; allowed keys here are %s", s.Origin(sub), strings.Join(allowed, ", ")))
				continue
			}
			s.unknownKeys(m[k], ft, sub, problems)
		}
	case reflect.Slice:
		list, ok := value.([]any)
		if !ok {
			return
		}
		for i, item := range list {
			s.unknownKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), problems)
		}
	}
}

// Describe renders a JSON value for an error message.
func Describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "nothing"
	case string:
		return strconv.Quote(v)
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// kind names the JSON type that fills a Go type.
func kind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(kind(t.Elem()), "a ") + "s"
	default:
		return "an object"
	}
}
