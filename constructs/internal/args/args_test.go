package args

import (
	"fmt"
	"testing"
)

func TestOptional(t *testing.T) {
	if Optional("") != nil || *Optional("x") != "x" {
		t.Error("Optional")
	}
}

func TestMerged(t *testing.T) {
	got := Merged(map[string]string{"a": "1", "b": "1"}, map[string]string{"b": "2"})
	if fmt.Sprint(got) != "map[a:1 b:2]" {
		t.Errorf("Merged = %v", got)
	}
}

func TestSortedKeys(t *testing.T) {
	if got := fmt.Sprint(SortedKeys(map[string]int{"b": 1, "a": 2, "c": 3})); got != "[a b c]" {
		t.Errorf("SortedKeys = %s", got)
	}
}
