package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/djangocdk/djangocdk/internal/cost"
)

// assembly writes a cloud assembly of one stack named stackName, holding
// a NAT gateway and a secret, and returns its directory.
func assembly(t *testing.T, stackName string) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, v any) {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(stackName+".template.json", map[string]any{"Resources": map[string]any{
		"Nat":    map[string]any{"Type": "AWS::EC2::NatGateway", "Properties": map[string]any{}},
		"Secret": map[string]any{"Type": "AWS::SecretsManager::Secret", "Properties": map[string]any{}},
	}})
	write("manifest.json", map[string]any{"version": "54.0.0", "artifacts": map[string]any{
		stackName: map[string]any{"type": "aws:cloudformation:stack", "environment": "aws://111111111111/us-east-1",
			"properties": map[string]any{"templateFile": stackName + ".template.json", "stackName": stackName}},
	}})
	return dir
}

func TestCostPrintsTheEstimateWithoutAWS(t *testing.T) {
	dir := assembly(t, "myapp-dev-network")
	f := newFake()
	r := f.run(t, context.Background(), configPath(t, nil), "cost", "--assembly", dir)
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	wants(t, "stdout", r.out, "NAT gateway (Nat)", "Secrets Manager secret (Secret)", "total", "$33.25")
	if len(f.calls) != 0 {
		t.Errorf("cost made AWS calls %v; it estimates offline", f.calls)
	}

	r = f.run(t, context.Background(), configPath(t, nil), "cost", "--assembly", dir, "--json")
	var report cost.Report
	if err := json.Unmarshal([]byte(r.out), &report); err != nil || r.code != 0 {
		t.Fatalf("--json printed %q (exit %d): %v", r.out, r.code, err)
	}
	if len(report.Items) != 2 || report.MonthlyTotal <= 0 {
		t.Errorf("report %+v, want the NAT gateway and the secret priced", report)
	}
}

func TestCostFailures(t *testing.T) {
	f := newFake()
	r := f.run(t, context.Background(), configPath(t, nil), "cost", "--assembly", t.TempDir())
	if r.code != 1 {
		t.Errorf("exit %d without templates, want 1", r.code)
	}
	wants(t, "stderr", r.stderr, "no synthesized templates", "npx cdk synth -c env=dev -o cdk.out/dev")

	r = f.run(t, context.Background(), configPath(t, nil), "cost", "--assembly", assembly(t, "myapp-production-network"))
	if r.code != 1 {
		t.Errorf("exit %d for another environment's templates, want 1", r.code)
	}
	wants(t, "stderr", r.stderr, "holds stack myapp-production-network, not one of environment dev (myapp-dev-*)")
}
