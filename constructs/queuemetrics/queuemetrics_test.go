package queuemetrics

import (
	"os"
	"path/filepath"
	"testing"
)

func TestHandlerDirHoldsTheHandler(t *testing.T) {
	if _, err := os.Stat(filepath.Join(handlerDir(), "main.go")); err != nil {
		t.Errorf("handler source not found next to the construct: %v", err)
	}
}

func TestNewRejectsMissingProps(t *testing.T) {
	if _, err := New(nil, "QueueMetrics", &Props{}); err == nil || err.Error() != "queuemetrics.Props.Vpc: required" {
		t.Errorf("error %v", err)
	}
}

func TestSourceHashIsStable(t *testing.T) {
	a, b := sourceHash(), sourceHash()
	if a != b || len(a) != 64 {
		t.Errorf("sourceHash %q then %q", a, b)
	}
}
