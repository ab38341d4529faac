package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/djangocdk/djangocdk/stacks"
)

// outputs returns the template's outputs: name to value, as JSON.
func outputs(t *testing.T, tmpl map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	o, _ := tmpl["Outputs"].(map[string]any)
	for name, v := range o {
		raw, err := json.Marshal(v.(map[string]any)["Value"])
		if err != nil {
			t.Fatal(err)
		}
		out[name] = string(raw)
	}
	return out
}

// TestOutputs checks the outputs a user needs: the address of Django
// (CloudFront's when a frontend app fronts it, the load balancer's only
// when it is public), each frontend app's address, the log group of every
// process, and the dashboard.
func TestOutputs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		s       *synthesized
		fronted bool // the load balancer admits CloudFront only
	}{
		{"staging", synth(t, "staging"), true},
		{"production", synth(t, "production"), true},
		{"staging-public-alb", publicAlbVariant(t), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			compute := s.template(t, stacks.ComputeLayer)
			out := outputs(t, compute)
			_, web := out["WebUrl"]
			_, origin := out["OriginUrl"]
			if web == tc.fronted || origin != tc.fronted {
				t.Errorf("Compute outputs WebUrl %v, OriginUrl %v; want WebUrl only for a public load balancer", web, origin)
			}
			logGroups := resources(compute, "AWS::Logs::LogGroup")
			processes := []string{"Web", "Beat", "Migrate", "Static"}
			for _, q := range s.cfg.Compute.Queues {
				processes = append(processes, "Worker"+strings.ToUpper(q.Name[:1])+q.Name[1:])
			}
			for _, p := range processes {
				var ref struct{ Ref string }
				if err := json.Unmarshal([]byte(out[p+"LogGroup"]), &ref); err != nil || logGroups[ref.Ref] == nil {
					t.Errorf("output %sLogGroup = %s, want a Ref to a log group of the stack", p, out[p+"LogGroup"])
				}
			}

			front := outputs(t, s.template(t, stacks.FrontendLayer))
			if len(s.cfg.Frontend.Apps) == 0 {
				t.Fatal("no frontend app")
			}
			first := strings.ToUpper(s.cfg.Frontend.Apps[0].Name[:1]) + s.cfg.Frontend.Apps[0].Name[1:]
			if front["DjangoAddress"] == "" || front["DjangoAddress"] != front[first+"Url"] {
				t.Errorf("Frontend output DjangoAddress = %s, want the first app's address %s", front["DjangoAddress"], front[first+"Url"])
			}
			for _, app := range s.cfg.Frontend.Apps {
				name := strings.ToUpper(app.Name[:1]) + app.Name[1:]
				if !strings.Contains(front[name+"Url"], "https://") {
					t.Errorf("Frontend output %sUrl = %s, want the app's https address", name, front[name+"Url"])
				}
			}

			ops := outputs(t, s.template(t, stacks.OperationsLayer))
			if !strings.Contains(ops["DashboardUrl"], "#dashboards:name=") {
				t.Errorf("Operations output DashboardUrl = %s", ops["DashboardUrl"])
			}
		})
	}
}
