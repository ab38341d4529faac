package fakeaws

// queries answers the --query expressions the release scripts use, each
// written out in Go. A test checks these answers against JMESPath (see
// FAKE_QUERIES in scripts_test.go).
var queries = map[string]func(any) any{
	"Parameter.Value":                     func(v any) any { return get(v, "Parameter", "Value") },
	"Stacks[0].StackStatus":               func(v any) any { return get(v, "Stacks", 0, "StackStatus") },
	"Stacks[0].Parameters[].ParameterKey": func(v any) any { return project(get(v, "Stacks", 0, "Parameters"), "ParameterKey") },
	"taskDefinition":                      func(v any) any { return get(v, "taskDefinition") },
	"taskDefinition.taskDefinitionArn":    func(v any) any { return get(v, "taskDefinition", "taskDefinitionArn") },
	"taskArns":                            func(v any) any { return get(v, "taskArns") },
	"[tasks[0].taskArn, failures[0].reason]": func(v any) any {
		return []any{get(v, "tasks", 0, "taskArn"), get(v, "failures", 0, "reason")}
	},
	"tasks[0].[lastStatus, containers[?name=='django'] | [0].exitCode, stoppedReason]": func(v any) any {
		t := get(v, "tasks", 0)
		if t == nil {
			return nil
		}
		return []any{get(t, "lastStatus"), get(where(get(t, "containers"), "name", "django"), 0, "exitCode"), get(t, "stoppedReason")}
	},
	"ScalableTargets[0].MinCapacity": func(v any) any { return get(v, "ScalableTargets", 0, "MinCapacity") },
	"taskDefinition.containerDefinitions[?name=='django'] | [0].image": func(v any) any {
		return get(where(get(v, "taskDefinition", "containerDefinitions"), "name", "django"), 0, "image")
	},
	"services[0].[length(deployments), deployments[?status=='PRIMARY'] | [0].rolloutState, deployments[?status=='PRIMARY'] | [0].taskDefinition, desiredCount, runningCount, loadBalancers[0].targetGroupArn]": func(v any) any {
		s := get(v, "services", 0)
		if s == nil {
			return nil
		}
		primary := get(where(get(s, "deployments"), "status", "PRIMARY"), 0)
		return []any{float64(len(get(s, "deployments").([]any))), get(primary, "rolloutState"), get(primary, "taskDefinition"),
			get(s, "desiredCount"), get(s, "runningCount"), get(s, "loadBalancers", 0, "targetGroupArn")}
	},
	"length(TargetHealthDescriptions[?TargetHealth.State=='healthy'])": func(v any) any {
		n := 0
		for _, d := range items(get(v, "TargetHealthDescriptions")) {
			if get(d, "TargetHealth", "State") == "healthy" {
				n++
			}
		}
		return float64(n)
	},
	"Invalidation.Id": func(v any) any { return get(v, "Invalidation", "Id") },
	"images[0].[imageId.imageDigest, imageManifestMediaType]": func(v any) any {
		i := get(v, "images", 0)
		if i == nil {
			return nil
		}
		return []any{get(i, "imageId", "imageDigest"), get(i, "imageManifestMediaType")}
	},
	"images[0].imageManifest":   func(v any) any { return get(v, "images", 0, "imageManifest") },
	"image.imageId.imageDigest": func(v any) any { return get(v, "image", "imageId", "imageDigest") },
}

// get follows keys (string) and indexes (int) through decoded JSON; nil
// where there is nothing, as JMESPath gives null.
func get(v any, path ...any) any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[p]
		case int:
			l, ok := v.([]any)
			if !ok || p >= len(l) {
				return nil
			}
			v = l[p]
		}
	}
	return v
}

func items(v any) []any {
	l, _ := v.([]any)
	return l
}

// where is JMESPath's [?key=='value'].
func where(v any, key, value string) any {
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	out := []any{}
	for _, e := range l {
		if get(e, key) == value {
			out = append(out, e)
		}
	}
	return out
}

// project is JMESPath's [].key: nulls are left out.
func project(v any, key string) any {
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	out := []any{}
	for _, e := range l {
		if x := get(e, key); x != nil {
			out = append(out, x)
		}
	}
	return out
}
