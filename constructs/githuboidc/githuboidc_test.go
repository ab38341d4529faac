package githuboidc

import (
	"encoding/json"
	"strings"
	"testing"

	tt "github.com/djangocdk/djangocdk/constructs/internal/templatetest"
)

var staged = tt.NewStaged()

// trust returns the role's trust statement's principal and conditions.
func trust(t *testing.T, role map[string]any) (principal, conditions any) {
	t.Helper()
	statements := role["Properties"].(map[string]any)["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)
	if len(statements) != 1 {
		t.Fatalf("%d trust statements, want 1", len(statements))
	}
	s := statements[0].(map[string]any)
	if s["Action"] != "sts:AssumeRoleWithWebIdentity" || s["Effect"] != "Allow" {
		t.Errorf("trust statement %v", s)
	}
	return s["Principal"], s["Condition"]
}

// policyOf returns the statements of the default policy attached to the
// role with logical id prefix.
func policyOf(t *testing.T, template *tt.Template, prefix string) []any {
	t.Helper()
	for _, p := range template.Resources("AWS::IAM::Policy") {
		props := p["Properties"].(map[string]any)
		ref := props["Roles"].([]any)[0].(map[string]any)["Ref"].(string)
		if strings.HasPrefix(ref, prefix) {
			return props["PolicyDocument"].(map[string]any)["Statement"].([]any)
		}
	}
	t.Fatalf("no policy for %s", prefix)
	return nil
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestBranchTrustAndBootstrapRoles(t *testing.T) {
	stack := staged.Stack(t)
	g, err := New(stack, "GitHub", &Props{Repository: "acme/shop", Branch: "main", RoleNamePrefix: "shop-dev-github", ReleaseSessionMinutes: 165})
	if err != nil {
		t.Fatal(err)
	}
	template := tt.FromStack(t, stack)
	template.HasResource("AWS::IAM::OIDCProvider", map[string]any{
		"Properties":     map[string]any{"Url": "https://token.actions.githubusercontent.com", "ClientIdList": []any{"sts.amazonaws.com"}},
		"DeletionPolicy": "Retain",
	})
	roles := template.Resources("AWS::IAM::Role")
	if len(roles) != 3 {
		t.Fatalf("%d roles, want release, diff and deploy", len(roles))
	}
	want := map[string]struct {
		name, sub string
		seconds   float64
	}{
		"GitHubRelease": {"shop-dev-github-release", "repo:acme/shop:ref:refs/heads/main", 165 * 60},
		"GitHubDiff":    {"shop-dev-github-diff", "repo:acme/shop:pull_request", 3600},
		"GitHubDeploy":  {"shop-dev-github-deploy", "repo:acme/shop:ref:refs/heads/main", DeploySessionMinutes * 60},
	}
	for id, role := range roles {
		w, ok := want[id[:len(id)-8]]
		if !ok {
			t.Errorf("unexpected role %s", id)
			continue
		}
		props := role["Properties"].(map[string]any)
		if props["RoleName"] != w.name || props["MaxSessionDuration"] != w.seconds {
			t.Errorf("%s: name %v, session %v; want %s, %v", id, props["RoleName"], props["MaxSessionDuration"], w.name, w.seconds)
		}
		principal, conditions := trust(t, role)
		if got := compact(principal); !strings.Contains(got, `{"Federated":{"Ref":"GitHubProvider`) {
			t.Errorf("%s: principal %s, want the provider", id, got)
		}
		wantConditions := `{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"` + w.sub + `"}}`
		if got := compact(conditions); got != wantConditions {
			t.Errorf("%s: conditions %s\nwant %s", id, got, wantConditions)
		}
	}
	// The release role has nothing until the caller grants the release.
	if p := template.Resources("AWS::IAM::Policy"); len(p) != 2 {
		t.Errorf("%d policies, want the diff and deploy roles' only", len(p))
	}
	bootstrap := func(kind string) string {
		return `"arn:aws:iam::123456789012:role/cdk-hnb659fds-` + kind + `-role-123456789012-us-east-1"`
	}
	diff := compact(policyOf(t, template, "GitHubDiff"))
	if want := `[{"Action":"sts:AssumeRole","Effect":"Allow","Resource":` + bootstrap("lookup") + `}]`; diff != want {
		t.Errorf("diff role may\n%s\nwant only\n%s", diff, want)
	}
	deploy := compact(policyOf(t, template, "GitHubDeploy"))
	if want := `[{"Action":"sts:AssumeRole","Effect":"Allow","Resource":[` + bootstrap("deploy") + "," + bootstrap("file-publishing") + "," +
		bootstrap("image-publishing") + "," + bootstrap("lookup") + `]}]`; deploy != want {
		t.Errorf("deploy role may\n%s\nwant only\n%s", deploy, want)
	}
	if g.ReleaseRole() == nil || g.DiffRole() == nil || g.DeployRole() == nil || g.Provider() == nil {
		t.Error("accessors return nil")
	}
}

func TestEnvironmentTrustAndExistingProvider(t *testing.T) {
	stack := staged.Stack(t)
	arn := "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
	if _, err := New(stack, "GitHub", &Props{Repository: "acme/shop", Environment: "production", RoleNamePrefix: "shop-prod-github", ProviderArn: arn}); err != nil {
		t.Fatal(err)
	}
	template := tt.FromStack(t, stack)
	template.ResourceCountIs("AWS::IAM::OIDCProvider", 0)
	for id, role := range template.Resources("AWS::IAM::Role") {
		principal, conditions := trust(t, role)
		if got := compact(principal); got != `{"Federated":"`+arn+`"}` {
			t.Errorf("%s: principal %s, want the existing provider", id, got)
		}
		sub := "repo:acme/shop:environment:production"
		if strings.HasPrefix(id, "GitHubDiff") {
			sub = "repo:acme/shop:pull_request"
		}
		if got := compact(conditions); !strings.Contains(got, `"token.actions.githubusercontent.com:sub":"`+sub+`"`) {
			t.Errorf("%s: conditions %s, want sub %s", id, got, sub)
		}
	}
}

func TestNewRejectsWildcardsAndReportsEveryProblem(t *testing.T) {
	_, err := New(nil, "GitHub", &Props{Repository: "acme/*", Branch: "release/*", ProviderArn: "arn:aws:iam::123456789012:oidc-provider/example.com",
		RoleNamePrefix: "", ReleaseSessionMinutes: 800})
	want := "GitHub: githuboidc.Props.ReleaseSessionMinutes: 800 is outside 60 to 720 (IAM's limits of a role session)\n" +
		`GitHub: githuboidc.Props.Repository: "acme/*" is not a repository as owner/name (no wildcard)` + "\n" +
		`GitHub: githuboidc.Props.Branch: "release/*" is not a branch name (no wildcard)` + "\n" +
		`GitHub: githuboidc.Props.ProviderArn: "arn:aws:iam::123456789012:oidc-provider/example.com" is not the ARN of an OIDC provider for token.actions.githubusercontent.com (arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com)` + "\n" +
		`GitHub: githuboidc.Props.RoleNamePrefix: "" is not the start of a role name (1 to 50 of A-Z a-z 0-9 +=,.@_-)`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
	if _, err := New(nil, "GitHub", &Props{Repository: "acme/shop", Environment: "prod*", RoleNamePrefix: "x"}); err == nil ||
		!strings.Contains(err.Error(), `githuboidc.Props.Environment: "prod*" is not a GitHub environment name`) {
		t.Errorf("error %v, want the environment named", err)
	}
}
