package main

import (
	"strings"
	"testing"

	"github.com/djangocdk/djangocdk/stacks"
)

// Managed CloudFront policies, by id.
const (
	cachingOptimized         = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	cachingDisabled          = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	useOriginCacheControl    = "83da9c7e-98b4-4e11-a168-04f0df8e2c65"
	allViewerExceptHost      = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
	securityHeadersPolicy    = "67f7725c-6f97-4210-82d7-5512b31e9d03"
	spaFallbackFunctionCode  = "request.uri = '/index.html'"
	forwardedHostHeaderWrite = "request.headers['x-forwarded-host']"
)

// publicAlbVariant is staging with the load balancer left open to the internet.
func publicAlbVariant(t *testing.T) *synthesized {
	return synthVariant(t, "staging-public-alb", "staging", set("environments.staging.compute.web.publicAlb", true))
}

// distribution returns the DistributionConfig of the app's distribution.
func distribution(t *testing.T, tmpl map[string]any, app string) map[string]any {
	t.Helper()
	return props(byPrefix(t, tmpl, "AWS::CloudFront::Distribution", "App"+app))["DistributionConfig"].(map[string]any)
}

// behaviors returns the default behavior and the others by path pattern.
func behaviors(config map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{"default": config["DefaultCacheBehavior"].(map[string]any)}
	for _, b := range asList(config["CacheBehaviors"]) {
		out[b["PathPattern"].(string)] = b
	}
	return out
}

// originOf returns the origin a behavior targets.
func originOf(t *testing.T, config map[string]any, behavior map[string]any) map[string]any {
	t.Helper()
	for _, o := range asList(config["Origins"]) {
		if o["Id"] == behavior["TargetOriginId"] {
			return o
		}
	}
	t.Fatalf("no origin %v", behavior["TargetOriginId"])
	return nil
}

func TestFrontendDistribution(t *testing.T) {
	for _, env := range environments {
		t.Run(env, func(t *testing.T) {
			tmpl := synth(t, env).template(t, stacks.FrontendLayer)
			config := distribution(t, tmpl, "web")
			if config["HttpVersion"] != "http2and3" || config["DefaultRootObject"] != "index.html" {
				t.Errorf("distribution %v %v", config["HttpVersion"], config["DefaultRootObject"])
			}
			if !strings.Contains(jsonOf(config["Logging"]), "cloudfront/web/") {
				t.Errorf("no access logs: %v", config["Logging"])
			}
			all := behaviors(config)
			if got := len(all); got != 6 {
				t.Errorf("%d behaviors, want default, /assets/*, /api/*, /admin/*, /static/*, /media/*", got)
			}
			for path, b := range all {
				if b["ViewerProtocolPolicy"] != "redirect-to-https" {
					t.Errorf("%s: viewer protocol %v, want HTTPS only", path, b["ViewerProtocolPolicy"])
				}
				if b["ResponseHeadersPolicyId"] != securityHeadersPolicy {
					t.Errorf("%s: no security headers policy", path)
				}
				if b["Compress"] != true {
					t.Errorf("%s: not compressed", path)
				}
			}
			// The app: index.html cached only as the origin says, hashed assets long.
			if all["default"]["CachePolicyId"] != useOriginCacheControl || all["/assets/*"]["CachePolicyId"] != cachingOptimized {
				t.Errorf("caching: default %v, assets %v", all["default"]["CachePolicyId"], all["/assets/*"]["CachePolicyId"])
			}
			// Django: uncached, everything but Host forwarded, the viewer's host in X-Forwarded-Host.
			for _, path := range []string{"/api/*", "/admin/*"} {
				b := all[path]
				if b["CachePolicyId"] != cachingDisabled || b["OriginRequestPolicyId"] != allViewerExceptHost ||
					!strings.Contains(jsonOf(b["AllowedMethods"]), "POST") {
					t.Errorf("%s: %v", path, b)
				}
				origin := originOf(t, config, b)
				// Outside dev, over TLS to the name the load balancer's certificate covers.
				wantDomain, wantProtocol := synth(t, env).cfg.Compute.Web.OriginDomainName, "https-only"
				if env == "dev" {
					wantDomain, wantProtocol = "WebServiceLB", "http-only"
				}
				if !strings.Contains(jsonOf(origin["DomainName"]), wantDomain) || !strings.Contains(jsonOf(origin["OriginCustomHeaders"]), `"HeaderName":"X-Origin-Verify"`) ||
					!strings.Contains(jsonOf(origin["CustomOriginConfig"]), `"OriginProtocolPolicy":"`+wantProtocol+`"`) {
					t.Errorf("%s does not go to the load balancer (%s, %s) with the origin header: %v", path, wantDomain, wantProtocol, origin)
				}
				if !strings.Contains(jsonOf(b["FunctionAssociations"]), "ForwardHost") {
					t.Errorf("%s: the viewer's host is not forwarded", path)
				}
			}
			// Static files and uploads from their buckets, through OAC.
			for path, bucket := range map[string]string{"/static/*": "DJANGOAWSSTATICBUCKETNAME", "/media/*": "DJANGOAWSSTORAGEBUCKETNAME", "default": "AppwebBucket", "/assets/*": "AppwebBucket"} {
				origin := originOf(t, config, all[path])
				if !strings.Contains(jsonOf(origin["DomainName"]), bucket) || origin["OriginAccessControlId"] == nil ||
					jsonOf(origin["S3OriginConfig"]) != `{"OriginAccessIdentity":""}` {
					t.Errorf("%s is not served from %s through OAC: %v", path, bucket, origin)
				}
			}
			// The SPA fallback rewrites router paths to /index.html on the app's behavior only.
			fn := jsonOf(all["default"]["FunctionAssociations"])
			if !strings.Contains(fn, "AppwebRewrite") {
				t.Errorf("default behavior functions %s", fn)
			}
			found := false
			for _, f := range resources(tmpl, "AWS::CloudFront::Function") {
				code := props(f)["FunctionCode"].(string)
				found = found || strings.Contains(code, spaFallbackFunctionCode)
			}
			if !found {
				t.Errorf("no SPA fallback function")
			}
			// The app bucket is private, encrypted, TLS-only; OAC is its only reader.
			bucket := props(byPrefix(t, tmpl, "AWS::S3::Bucket", "AppwebBucket"))
			if !strings.Contains(jsonOf(bucket["PublicAccessBlockConfiguration"]), `"RestrictPublicBuckets":true`) || !strings.Contains(jsonOf(bucket["BucketEncryption"]), "AES256") {
				t.Errorf("app bucket %v", bucket)
			}
			policy := jsonOf(props(byPrefix(t, tmpl, "AWS::S3::BucketPolicy", "AppwebBucketPolicy")))
			if !strings.Contains(policy, "cloudfront.amazonaws.com") || !strings.Contains(policy, "AWS:SourceArn") || !strings.Contains(policy, `"aws:SecureTransport":"false"`) {
				t.Errorf("app bucket policy %s", policy)
			}
			if _, ok := resources(tmpl, "AWS::CloudFront::CloudFrontOriginAccessIdentity")[""]; ok || len(resources(tmpl, "AWS::CloudFront::CloudFrontOriginAccessIdentity")) != 0 {
				t.Errorf("a legacy origin access identity exists")
			}
			// Outputs the pipeline publishes with.
			outputs := tmpl["Outputs"].(map[string]any)
			for _, name := range []string{"WebBucket", "WebDistributionId", "WebUrl"} {
				if _, ok := outputs[name]; !ok {
					t.Errorf("no output %s", name)
				}
			}
		})
	}
}

func TestDataBucketsAdmitCloudFront(t *testing.T) {
	tmpl := synth(t, "production").template(t, stacks.DataLayer)
	for _, bucket := range []string{"StorageStaticPolicy", "StorageMediaPolicy"} {
		policy := jsonOf(props(byPrefix(t, tmpl, "AWS::S3::BucketPolicy", bucket))["PolicyDocument"])
		if !strings.Contains(policy, `"Service":"cloudfront.amazonaws.com"`) || !strings.Contains(policy, `":cloudfront::333333333333:distribution/*"`) {
			t.Errorf("%s does not admit the account's distributions: %s", bucket, policy)
		}
	}
}

func TestLoadBalancerOnlyFromCloudFront(t *testing.T) {
	for _, env := range environments {
		tmpl := synth(t, env).template(t, stacks.ComputeLayer)
		for id, rule := range resources(tmpl, "AWS::EC2::SecurityGroupIngress") {
			p := props(rule)
			port := 443.0
			if env == "dev" {
				port = 80.0
			}
			if strings.Contains(jsonOf(p["GroupId"]), "WebServiceLBSecurityGroup") &&
				(p["SourcePrefixListId"] != "pl-3b927c52" || p["FromPort"] != port) {
				t.Errorf("%s: load balancer ingress %s %v", env, id, p)
			}
		}
		lbGroup := props(byPrefix(t, tmpl, "AWS::EC2::SecurityGroup", "WebServiceLBSecurityGroup"))
		if strings.Contains(jsonOf(lbGroup), "0.0.0.0/0") {
			t.Errorf("%s: the load balancer is open to the internet: %v", env, lbGroup)
		}
		_, listener := only(t, tmpl, "AWS::ElasticLoadBalancingV2::Listener")
		if d := jsonOf(props(listener)["DefaultActions"]); !strings.Contains(d, `"StatusCode":"403"`) {
			t.Errorf("%s: the listener forwards requests without the origin header: %s", env, d)
		}
		_, rule := only(t, tmpl, "AWS::ElasticLoadBalancingV2::ListenerRule")
		cond := jsonOf(props(rule)["Conditions"])
		if !strings.Contains(cond, `"HttpHeaderName":"X-Origin-Verify"`) || !strings.Contains(cond, "{{resolve:secretsmanager:") || !strings.Contains(cond, "OriginVerify") {
			t.Errorf("%s: listener rule %s", env, cond)
		}
	}
}

func TestPublicLoadBalancer(t *testing.T) {
	s := publicAlbVariant(t)
	tmpl := s.template(t, stacks.ComputeLayer)
	lbGroup := jsonOf(props(byPrefix(t, tmpl, "AWS::EC2::SecurityGroup", "WebServiceLBSecurityGroup")))
	if !strings.Contains(lbGroup, `"CidrIp":"0.0.0.0/0"`) {
		t.Errorf("the public load balancer is not open: %s", lbGroup)
	}
	if n := len(resources(tmpl, "AWS::ElasticLoadBalancingV2::ListenerRule")); n != 0 {
		t.Errorf("%d listener rules on a public load balancer", n)
	}
	if _, ok := resources(tmpl, "AWS::SecretsManager::Secret")["OriginVerifyED6A82E8"]; ok {
		t.Errorf("an origin secret exists for a public load balancer")
	}
	front := s.template(t, stacks.FrontendLayer)
	if strings.Contains(jsonOf(distribution(t, front, "web")["Origins"]), "X-Origin-Verify") {
		t.Errorf("CloudFront sends an origin header nobody checks")
	}
}

// The versions of the origin secret in originRotation: the new one first.
const newOriginVersion, oldOriginVersion = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", "9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0"

// originRotation is the edit of cdk.json that puts CloudFront's origin
// over TLS, with a rotation of the origin secret in progress; it is part of
// filesystemVariant.
var originRotation = []any{
	"environments.staging.compute.web.certificateArn", testCertificate,
	"environments.staging.compute.web.originDomainName", "origin.staging.example.com",
	"environments.staging.compute.web.originSecretVersions", []any{newOriginVersion, oldOriginVersion},
}

// TestCloudFrontToDjangoOverTLS: with a certificate and an origin name,
// CloudFront reaches the load balancer over HTTPS on 443 only; during a
// rotation of the origin secret CloudFront sends the new version and the
// listener accepts the new and the old (originRotation).
func TestCloudFrontToDjangoOverTLS(t *testing.T) {
	s := filesystemVariant(t)
	config := distribution(t, s.template(t, stacks.FrontendLayer), "web")
	origin := originOf(t, config, behaviors(config)["/api/*"])
	if header := jsonOf(origin["OriginCustomHeaders"]); !strings.Contains(header, ":SecretString:::"+newOriginVersion+"}}") || strings.Contains(header, oldOriginVersion) {
		t.Errorf("CloudFront does not send the new version of the origin secret: %s", header)
	}
	var condition string
	for _, rule := range resources(s.template(t, stacks.ComputeLayer), "AWS::ElasticLoadBalancingV2::ListenerRule") {
		condition += jsonOf(props(rule)["Conditions"])
	}
	if !strings.Contains(condition, ":SecretString:::"+newOriginVersion+"}}") || !strings.Contains(condition, ":SecretString:::"+oldOriginVersion+"}}") {
		t.Errorf("the listener does not accept both versions during the rotation: %s", condition)
	}
	if origin["DomainName"] != "origin.staging.example.com" || !strings.Contains(jsonOf(origin["CustomOriginConfig"]), `"OriginProtocolPolicy":"https-only"`) ||
		!strings.Contains(jsonOf(origin["CustomOriginConfig"]), `"OriginSSLProtocols":["TLSv1.2"]`) {
		t.Errorf("Django origin %v", origin)
	}
	compute := s.template(t, stacks.ComputeLayer)
	_, listener := only(t, compute, "AWS::ElasticLoadBalancingV2::Listener")
	if p := props(listener); p["Port"] != 443.0 || p["Protocol"] != "HTTPS" {
		t.Errorf("listener %v, want HTTPS on 443 only", p)
	}
	for _, rule := range resources(compute, "AWS::EC2::SecurityGroupIngress") {
		if p := props(rule); p["SourcePrefixListId"] != nil && p["FromPort"] != 443.0 {
			t.Errorf("CloudFront is let in on %v", p["FromPort"])
		}
	}
}

// TestNoFrontendApps: frontend.apps [] with a public load balancer, which
// the config accepts, synthesizes without a Frontend stack, and the
// pipeline builds and publishes no frontend.
func TestNoFrontendApps(t *testing.T) {
	s := synthVariant(t, "staging-no-frontends", "staging", set(
		"environments.staging.frontend.apps", []any{},
		"environments.staging.compute.web.publicAlb", true,
	))
	if s.stacks.Frontend != nil {
		t.Errorf("a Frontend stack without frontend apps")
	}
	for _, name := range s.stackNames() {
		if strings.HasSuffix(name, "-"+stacks.FrontendLayer) {
			t.Errorf("stack %s synthesized without frontend apps", name)
		}
	}
	tmpl := s.template(t, stacks.PipelineLayer)
	build := props(byPrefix(t, tmpl, "AWS::CodeBuild::Project", "ReleaseBuild"))
	buildEnv := jsonOf(build["Environment"])
	if !strings.Contains(buildEnv, `{"Name":"FRONTEND_BUILD","Type":"PLAINTEXT","Value":""}`) {
		t.Errorf("the build builds frontends: %s", buildEnv)
	}
	if spec := build["Source"].(map[string]any)["BuildSpec"].(string); strings.Contains(spec, "dist") || strings.Contains(spec, "runtime-versions") {
		t.Errorf("the build spec carries frontend builds: %s", spec)
	}
	release := jsonOf(props(byPrefix(t, tmpl, "AWS::CodeBuild::Project", "ReleaseReleaseProject"))["Environment"])
	if !strings.Contains(release, `{"Name":"FRONTENDS","Type":"PLAINTEXT","Value":""}`) {
		t.Errorf("the release publishes frontends: %s", release)
	}
	if params := jsonOf(tmpl["Parameters"]); strings.Contains(params, "frontend") {
		t.Errorf("the pipeline reads a Frontend stack's values: %s", params)
	}
	if policies := jsonOf(resources(tmpl, "AWS::IAM::Policy")); strings.Contains(policies, "cloudfront:CreateInvalidation") {
		t.Errorf("the release may invalidate a distribution: %s", policies)
	}
}
