package stacks

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/djangocdk/djangocdk/constructs/djangoweb"
	"github.com/djangocdk/djangocdk/constructs/frontend"
)

// FrontendConfig configures the Frontend-CDN stack.
type FrontendConfig struct {
	// Apps are the Turborepo apps, one distribution each.
	Apps []FrontendAppConfig `json:"apps"`
	// DjangoPaths go to Django on every app's domain.
	DjangoPaths []string `json:"djangoPaths"`
	// PriceClass of the distributions.
	PriceClass string `json:"priceClass"`
	// LogDays keeps CloudFront and frontend bucket access logs.
	LogDays int `json:"logDays"`
}

// FrontendAppConfig configures one frontend app.
type FrontendAppConfig struct {
	Name           string `json:"name"`
	BuildDir       string `json:"buildDir"`
	SPA            bool   `json:"spa"`
	AssetsPath     string `json:"assetsPath"`
	DomainName     string `json:"domainName"`
	CertificateArn string `json:"certificateArn"`
	WebACLArn      string `json:"webAclArn"`
}

// Fronted reports whether CloudFront fronts the web service.
func (c *Config) Fronted() bool { return len(c.Frontend.Apps) > 0 }

var (
	repoPathPattern   = regexp.MustCompile(`^[A-Za-z0-9_.@-]+(/[A-Za-z0-9_.@-]+)*$`)
	prefixListPattern = regexp.MustCompile(`^pl-[0-9a-f]{8,17}$`)
	webACLPattern     = regexp.MustCompile(`^arn:aws[a-z-]*:wafv2:us-east-1:[0-9]{12}:global/webacl/[A-Za-z0-9_-]+/[0-9a-f-]{36}$`)
)

// cloudFrontReadTimeout is how long CloudFront waits for Django's response
// (its default quota).
const cloudFrontReadTimeout = 60

func (c *Config) validateFrontend(v *validator) {
	f, w := &c.Frontend, &c.Compute.Web
	if _, ok := priceClass[f.PriceClass]; !ok {
		v.fail("frontend.priceClass", "%q is not allowed; use PriceClass_100, PriceClass_200 or PriceClass_All", f.PriceClass)
	}
	v.within("frontend.logDays", f.LogDays, 1, 3650, "days")
	if len(f.DjangoPaths) == 0 {
		v.fail("frontend.djangoPaths", "empty; list the paths Django serves, such as /api/* and /admin/*")
	}
	for i, path := range f.DjangoPaths {
		v.check(fmt.Sprintf("frontend.djangoPaths[%d]", i), frontend.CheckPath(path))
		if path == "/static/*" || path == "/media/*" {
			v.fail(fmt.Sprintf("frontend.djangoPaths[%d]", i), "%q is served from its bucket, not by Django", path)
		}
	}
	names := map[string]bool{}
	for i, app := range f.Apps {
		path := fmt.Sprintf("frontend.apps[%d]", i)
		if err := frontend.CheckName(app.Name); err != nil {
			v.check(path+".name", err)
		} else if names[app.Name] {
			v.fail(path+".name", "%q is listed twice", app.Name)
		}
		names[app.Name] = true
		if !inRepository(app.BuildDir) {
			v.fail(path+".buildDir", "%q is not a folder of the monorepo such as apps/web/dist", app.BuildDir)
		}
		if app.AssetsPath != "" {
			v.check(path+".assetsPath", frontend.CheckPath(app.AssetsPath))
		}
		switch m := certificatePattern.FindStringSubmatch(app.CertificateArn); {
		case (app.DomainName == "") != (app.CertificateArn == ""):
			v.fail(path+".certificateArn", "%q with domainName %q: set both or neither", app.CertificateArn, app.DomainName)
		case app.CertificateArn != "" && m == nil:
			v.fail(path+".certificateArn", "%q is not an ACM certificate ARN", app.CertificateArn)
		case m != nil && m[1] != "us-east-1":
			v.fail(path+".certificateArn", "%q is in %s; CloudFront needs a certificate in us-east-1", app.CertificateArn, m[1])
		}
		if app.DomainName != "" && !hostPattern.MatchString(app.DomainName) {
			v.fail(path+".domainName", "%q is not a domain name", app.DomainName)
		}
		if app.WebACLArn != "" && !webACLPattern.MatchString(app.WebACLArn) {
			v.fail(path+".webAclArn", "%q is not the ARN of a global (us-east-1) WAF web ACL", app.WebACLArn)
		}
	}
	if !c.Fronted() {
		if !w.PublicAlb {
			v.fail("compute.web.publicAlb", "false, but no frontend.apps put CloudFront in front of the load balancer: nobody could reach Django; set it to true or add an app")
		}
		return
	}
	c.adminRouted(v)
	if c.resolvePrefixList(v) && !prefixListPattern.MatchString(w.CloudFrontPrefixListID) {
		v.fail("compute.web.cloudFrontPrefixListId", "%q is not a prefix list id; use the id of com.amazonaws.global.cloudfront.origin-facing in %s (aws ec2 describe-managed-prefix-lists)", w.CloudFrontPrefixListID, c.Region)
	}
	if w.CertificateArn != "" && !w.PublicAlb && w.OriginDomainName == "" {
		v.fail("compute.web.originDomainName", "empty, but the load balancer has a certificate and only CloudFront reaches it: name the DNS record of the load balancer that the certificate covers")
	}
	if w.OriginDomainName != "" && !hostPattern.MatchString(w.OriginDomainName) {
		v.fail("compute.web.originDomainName", "%q is not a domain name", w.OriginDomainName)
	}
	if len(w.OriginSecretVersions) > djangoweb.MaxOriginHeaderValues {
		v.fail("compute.web.originSecretVersions", "%d versions; the load balancer accepts at most %d at once (the new one and the one it replaces)", len(w.OriginSecretVersions), djangoweb.MaxOriginHeaderValues)
	}
	for i, version := range w.OriginSecretVersions {
		if !secretVersionPattern.MatchString(version) {
			v.fail(fmt.Sprintf("compute.web.originSecretVersions[%d]", i), "%q is not a Secrets Manager version id (the VersionId that put-secret-value prints)", version)
		}
	}
	switch {
	case w.OriginDomainName != "" && w.CertificateArn == "":
		v.fail("compute.web.certificateArn", "empty, but compute.web.originDomainName %q makes CloudFront reach the load balancer over HTTPS: give the certificate that covers that name", w.OriginDomainName)
	case w.OriginDomainName == "" && !w.PlainHTTPOrigin:
		v.fail("compute.web.originDomainName", "empty: CloudFront would reach the load balancer over plain HTTP, and session cookies, CSRF tokens and the origin secret would cross that leg in clear text. "+
			"Set compute.web.certificateArn and originDomainName (a DNS name the certificate covers, pointing at the load balancer); only a disposable environment may set compute.web.plainHttpOrigin: true instead")
	case w.OriginDomainName != "" && w.PlainHTTPOrigin:
		v.fail("compute.web.plainHttpOrigin", "true, but compute.web.originDomainName %q makes the origin HTTPS: remove one", w.OriginDomainName)
	}
	if w.RequestBudgetSeconds >= cloudFrontReadTimeout {
		v.fail("compute.web.requestBudgetSeconds", "%d is not below CloudFront's %d s wait for a response; requests that slow fail at the edge", w.RequestBudgetSeconds, cloudFrontReadTimeout)
	}
}

// adminRouted checks that CloudFront sends Django's admin (django.adminUrl)
// to Django: a path no frontend.djangoPaths pattern matches goes to the
// frontend app.
func (c *Config) adminRouted(v *validator) {
	admin := "/" + c.Django.AdminURL
	if !adminURLPattern.MatchString(c.Django.AdminURL) {
		return // reported by its own check
	}
	for _, pattern := range c.Frontend.DjangoPaths {
		if cloudFrontPathMatches(pattern, admin) {
			return
		}
	}
	v.fail("django.adminUrl", "%q is not routed to Django: no frontend.djangoPaths pattern %q matches %s, so CloudFront would send the admin to the frontend app; add \"%s*\" to frontend.djangoPaths",
		c.Django.AdminURL, c.Frontend.DjangoPaths, admin, admin)
}

// cloudFrontPathMatches reports whether a CloudFront path pattern (* any
// characters, ? one) matches path.
func cloudFrontPathMatches(pattern, path string) bool {
	var re strings.Builder
	re.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			re.WriteString(".*")
		case '?':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String()).MatchString(path)
}
