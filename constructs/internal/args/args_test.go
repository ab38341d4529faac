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

func TestSortedKeys(t *testing.T) {
	if got := fmt.Sprint(SortedKeys(map[string]int{"b": 1, "a": 2, "c": 3})); got != "[a b c]" {
		t.Errorf("SortedKeys = %s", got)
	}
}
