package featureflags

import (
	"strings"
	"testing"
)

func TestMap(t *testing.T) {
	m := Map()
	if len(m) < 80 {
		t.Errorf("%d flags", len(m))
	}
	for k := range m {
		if !strings.HasPrefix(k, "@aws-cdk") {
			t.Errorf("%s is not a CDK feature flag", k)
		}
	}
	m["@aws-cdk/core:defaultCrossStackReferences"] = "strong"
	if Map()["@aws-cdk/core:defaultCrossStackReferences"] != "weak" {
		t.Error("Map returned a shared map")
	}
}
