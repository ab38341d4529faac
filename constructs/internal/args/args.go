// Package args holds the small helpers the construct packages share to
// turn Go props into jsii arguments.
package args

import (
	"sort"

	"github.com/aws/jsii-runtime-go"
)

// Optional returns nil for "" (the CDK's default) and a pointer otherwise.
func Optional(s string) *string {
	if s == "" {
		return nil
	}
	return jsii.String(s)
}

// Merged returns a new map with the entries of every map in ms, a later
// map's entry winning over an earlier one's.
func Merged(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// SortedKeys returns m's keys in order: a Go map has none, and a template
// must come out the same on every synthesis.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
