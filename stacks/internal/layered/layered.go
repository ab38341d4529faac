// Package layered merges two layers of JSON settings (shared defaults and
// one environment's overrides), decodes the result strictly into a Go
// struct, and names, for any key path, the layer a user has to edit.
package layered

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Layer is one layer of settings and the key path that holds it, such as
// "defaults" or "environments.dev".
type Layer struct {
	Name     string
	Settings map[string]any
	// BuiltIn marks settings that ship with the program rather than sit
	// in the user's file: a key set there is named "key (Name)", such as
	// "compute.web.port (djangocdk's default)".
	BuiltIn bool
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

// Source is layers of settings merged, each onto the ones before it. It
// remembers where the merged settings came from, so that an error names
// the key a user has to edit.
type Source struct {
	layers []Layer
	merged map[string]any
}

// New merges the layers in order: a later layer overrides an earlier one.
// The last layer is where a key that no layer sets belongs.
func New(layers ...Layer) *Source {
	merged := map[string]any{}
	for _, l := range layers {
		merged = Merge(merged, l.Settings)
	}
	return &Source{layers: layers, merged: merged}
}

// Merged returns the merged settings.
func (s *Source) Merged() map[string]any { return s.merged }

// Origin turns a path in the merged settings ("network.natGateways") into
// the key path that set it: in the last layer that holds it, else in the
// last layer (where a missing key belongs).
func (s *Source) Origin(path string) string {
	// Lists are replaced whole: a key of a list's item, even one left out,
	// belongs to the layer that holds the list.
	probe := path
	if i := strings.LastIndexByte(path, ']'); i >= 0 {
		probe = path[:i+1]
	}
	for i := len(s.layers) - 1; i >= 0; i-- {
		if _, ok := Lookup(s.layers[i].Settings, probe); ok {
			return s.layers[i].key(path)
		}
	}
	return s.layers[len(s.layers)-1].key(path)
}

// key names path in layer l.
func (l Layer) key(path string) string {
	if l.BuiltIn {
		return path + " (" + l.Name + ")"
	}
	return l.Name + "." + path
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
// the key path where the value was set, with list indexes, and the value.
func (s *Source) Decode(out any) error {
	var problems []string
	s.check(s.merged, reflect.TypeOf(out).Elem(), "", &problems)
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	raw, err := json.Marshal(s.merged)
	if err != nil {
		return fmt.Errorf("%s: %w", s.layers[len(s.layers)-1].Name, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%s: %w", s.layers[len(s.layers)-1].Name, err)
	}
	return nil
}

// check appends a problem for every key of value that t has no field for
// and for every value that is not of t's JSON type.
func (s *Source) check(value any, t reflect.Type, path string, problems *[]string) {
	if t.Kind() == reflect.Pointer {
		if value == nil {
			return // absent: the field's own default
		}
		t = t.Elem()
	}
	wrong := func() {
		*problems = append(*problems, fmt.Sprintf("%s: %s is not allowed; want %s", s.Origin(path), Describe(value), kind(t)))
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := value.(map[string]any)
		if !ok {
			wrong()
			return
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
		for _, k := range slices.Sorted(maps.Keys(m)) {
			sub := join(path, k)
			ft, ok := fields[k]
			if !ok {
				*problems = append(*problems, fmt.Sprintf("%s: unknown key; allowed keys here are %s", s.Origin(sub), strings.Join(allowed, ", ")))
				continue
			}
			s.check(m[k], ft, sub, problems)
		}
	case reflect.Map:
		m, ok := value.(map[string]any)
		if !ok {
			wrong()
			return
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			s.check(m[k], t.Elem(), join(path, k), problems)
		}
	case reflect.Slice:
		list, ok := value.([]any)
		if !ok {
			wrong()
			return
		}
		for i, item := range list {
			s.check(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), problems)
		}
	case reflect.String:
		if _, ok := value.(string); !ok {
			wrong()
		}
	case reflect.Bool:
		if _, ok := value.(bool); !ok {
			wrong()
		}
	case reflect.Float64:
		if _, ok := value.(float64); !ok {
			wrong()
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		if n, ok := value.(float64); !ok || n != math.Trunc(n) || math.Abs(n) > 1<<31 {
			wrong()
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Describe renders a JSON value for an error message.
func Describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
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
	case reflect.Pointer:
		return kind(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list of " + plural(t.Elem())
	case reflect.Map:
		return "an object of " + plural(t.Elem())
	default:
		return "an object"
	}
}

// plural names many values of a Go type: "strings", "objects".
func plural(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return plural(t.Elem())
	case reflect.String:
		return "strings"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "whole numbers"
	case reflect.Float64:
		return "numbers"
	case reflect.Bool:
		return "true or false values"
	case reflect.Slice:
		return "lists of " + plural(t.Elem())
	default:
		return "objects"
	}
}
