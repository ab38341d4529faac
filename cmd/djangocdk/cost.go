package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/djangocdk/djangocdk/internal/cost"
)

// cost prints the environment's fixed monthly cost at list price, item by
// item, estimated offline from its synthesized templates: it needs no AWS
// access, only "npx cdk synth -c env=ENV -o cdk.out/ENV" first.
func (a *app) cost(_ context.Context, fs *flag.FlagSet, args []string) error {
	assembly := fs.String("assembly", "", "the cloud assembly to read; default: cdk.out/ENV, else cdk.out")
	asJSON := fs.Bool("json", false, "print the estimate as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := a.configure(); err != nil {
		return err
	}
	dir := *assembly
	if dir == "" {
		dir = filepath.Join("cdk.out", a.cfg.Env)
		if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
			dir = "cdk.out"
		}
	}
	synth := fmt.Sprintf("npx cdk synth -c env=%s -o cdk.out/%s", a.cfg.Env, a.cfg.Env)
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		return fmt.Errorf("no synthesized templates in %s; run %q first (no AWS credentials needed)", dir, synth)
	}
	report, err := cost.Estimate(dir)
	if err != nil {
		return err
	}
	// The assembly holds the stacks of the environment it was synthesized
	// for: estimating another one's would mislead.
	prefix := a.cfg.StackName("")
	for _, item := range report.Items {
		if !strings.HasPrefix(item.Stack, prefix) {
			return fmt.Errorf("%s holds stack %s, not one of environment %s (%s*); run %q", dir, item.Stack, a.cfg.Env, prefix, synth)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	return report.WriteTable(a.out)
}
