package main

import (
	"bytes"
	"testing"

	"github.com/djangocdk/djangocdk/internal/cost"
)

// TestCost estimates the shipped environments from the assemblies the other
// tests synthesize, logs each table, and checks that every item is priced
// and that the totals grow from dev to staging to production.
func TestCost(t *testing.T) {
	var previous float64
	for _, env := range environments {
		rep, err := cost.Estimate(synth(t, env).outdir)
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		var table bytes.Buffer
		if err := rep.WriteTable(&table); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: $%.2f a month\n%s", env, rep.MonthlyTotal, table.String())
		if !rep.Complete {
			t.Errorf("%s: some items have no price in internal/cost's table:\n%s", env, table.String())
		}
		if rep.MonthlyTotal <= 0 || rep.MonthlyTotal < previous {
			t.Errorf("%s costs $%.2f a month, after $%.2f for the environment before; want a positive total, dev <= staging <= production", env, rep.MonthlyTotal, previous)
		}
		previous = rep.MonthlyTotal
		if env == "dev" && rep.MonthlyTotal > devBudget {
			t.Errorf("dev costs $%.2f a month, over its budget of $%.2f (README, \"What an environment costs\")", rep.MonthlyTotal, devBudget)
		}
	}
}

// devBudget is the most the shipped dev environment may cost a month, fixed,
// at list price: its cdk.json settings are chosen for it.
const devBudget = 75.0
