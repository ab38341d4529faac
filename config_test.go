package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/stacks"
)

// plainVariables are the django.environment of filesystemVariant.
var plainVariables = map[string]any{"DJANGO_DEFAULT_FROM_EMAIL": "noreply@example.com", "FEATURE_SEARCH": "on"}

// TestPlainEnvironment checks that django.environment reaches every Django
// container (web, workers, beat, the migration and collectstatic tasks).
func TestPlainEnvironment(t *testing.T) {
	tmpl := filesystemVariant(t).template(t, stacks.ComputeLayer)
	django := 0
	for id, def := range resources(tmpl, "AWS::ECS::TaskDefinition") {
		for _, c := range asList(props(def)["ContainerDefinitions"]) {
			vars := map[string]any{}
			for _, e := range asList(c["Environment"]) {
				vars[e["Name"].(string)] = e["Value"]
			}
			if _, ok := vars["DJANGO_SETTINGS_MODULE"]; !ok {
				continue // a sidecar
			}
			django++
			for name, value := range plainVariables {
				if vars[name] != value {
					t.Errorf("%s: %s is %v, want %q", id, name, vars[name], value)
				}
			}
		}
	}
	if want := 5; django < want {
		t.Errorf("%d Django containers, want at least %d (web, worker, beat, migration, collectstatic)", django, want)
	}
}

// minimalContext is the cdk.json context a team writes first: only what
// djangocdk cannot decide for it.
func minimalContext() map[string]any {
	return map[string]any{
		stacks.EnvKey: "dev",
		stacks.EnvironmentsKey: map[string]any{"dev": map[string]any{
			"project": "shop", "account": "123456789012", "region": "eu-west-1",
			"availabilityZones": []any{"eu-west-1a", "eu-west-1b"},
			"django":            map[string]any{"allowedHosts": []any{"dev.shop.example.com"}},
			"compute":           map[string]any{"web": map[string]any{"plainHttpOrigin": true}},
			"pipeline": map[string]any{"repository": "acme/shop",
				"connectionArn": "arn:aws:codeconnections:eu-west-1:123456789012:connection/00000000-0000-0000-0000-000000000000"},
		}},
	}
}

// TestMinimalConfig checks that djangocdk's built-in defaults complete a
// minimal cdk.json, with the region's CloudFront prefix list.
func TestMinimalConfig(t *testing.T) {
	cfg, err := stacks.LoadConfig(minimalContext())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Compute.Web.Port != 8000 || cfg.Database.InstanceClass != "db.t4g.micro" || len(cfg.Compute.Queues) != 1 {
		t.Errorf("built-in defaults not applied: port %d, instance %q, queues %v", cfg.Compute.Web.Port, cfg.Database.InstanceClass, cfg.Compute.Queues)
	}
	if got := cfg.Compute.Web.CloudFrontPrefixListID; got != "pl-4fa04526" {
		t.Errorf("prefix list in eu-west-1 is %q, want pl-4fa04526", got)
	}
	// Without "defaults", an empty required key is named in the environment.
	ctx := minimalContext()
	delete(ctx[stacks.EnvironmentsKey].(map[string]any)["dev"].(map[string]any), "account")
	if _, err := stacks.LoadConfig(ctx); err == nil || err.Error() != `environments.dev.account: "" is not an AWS account id; use its 12 digits` {
		t.Errorf("without an account: %v", err)
	}
}

// TestConfigAccepts checks configurations the cross-key checks must let
// through.
func TestConfigAccepts(t *testing.T) {
	for name, edit := range map[string]func(map[string]any){
		"a random admin URL that djangoPaths routes": set("defaults.django.adminUrl", "manage-x7q2/",
			"defaults.frontend.djangoPaths", []any{"/api/*", "/manage-x7q2/*"}),
		"a catch-all Django path":          set("defaults.django.adminUrl", "ops/", "defaults.frontend.djangoPaths", []any{"/api/*", "/ops*"}),
		"the same range in other accounts": set("environments.dev.network.cidr", "10.20.0.0/16"),
		"plain variables":                  set("defaults.django.environment", map[string]any{"lower_case_ok": "1", "SITE_NAME": ""}),
	} {
		ctx := cdkContext(t)
		ctx[stacks.EnvKey] = "dev"
		edit(ctx)
		if _, err := stacks.LoadConfig(ctx); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestFeatureFlags checks that the app carries djangocdk's feature flags
// and that the app's own context overrides them, as cdk.json's does.
func TestFeatureFlags(t *testing.T) {
	const flag = "@aws-cdk/core:defaultCrossStackReferences"
	if n := len(stacks.FeatureFlags()); n < 80 {
		t.Errorf("%d feature flags", n)
	}
	if got := stacks.NewApp(nil).Node().TryGetContext(jsii.String(flag)); got != "weak" {
		t.Errorf("%s = %v, want weak", flag, got)
	}
	ctx := map[string]any{flag: "strong"}
	if got := stacks.NewApp(&awscdk.AppProps{Context: &ctx}).Node().TryGetContext(jsii.String(flag)); got != "strong" {
		t.Errorf("%s = %v, want the app's strong", flag, got)
	}
}

// TestCDKErrorIsOneMessage checks that an error the CDK raises while
// building (here two stacks of one name) comes back as an error with the
// CDK's message, not as a panic with traces.
func TestCDKErrorIsOneMessage(t *testing.T) {
	ctx := cdkContext(t)
	app := stacks.NewApp(&awscdk.AppProps{Context: &ctx})
	awscdk.NewStack(app, jsii.String("myapp-dev-network"), nil)
	_, err := stacks.Build(app)
	if err == nil {
		t.Fatal("no error")
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "building the stacks: ") || !strings.Contains(msg, "myapp-dev-network") || strings.Contains(msg, "\n    at ") || strings.Contains(msg, "goroutine") {
		t.Errorf("error %q is not one clear message", msg)
	}
}
