package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/stacks"
)

// dataVariant is staging with the switches the shipped environments leave
// off: RDS Proxy, password rotation and cache cluster mode; it is
// computeVariant too (a public load balancer with a certificate).
func dataVariant(t *testing.T) *synthesized {
	return synthVariant(t, "staging-variant", "staging", set(
		"environments.staging.compute.web.certificateArn", testCertificate,
		"environments.staging.compute.web.publicAlb", true,
		"environments.staging.database.proxy", true,
		"environments.staging.database.rotationDays", 30.0,
		"environments.staging.cache.clusterMode", true,
		"environments.staging.cache.shards", 2.0,
		"environments.staging.cache.nodes", 2.0,
		"environments.staging.cache.engine", "redis",
	))
}

// only returns the one resource of type typ in tmpl.
func only(t *testing.T, tmpl map[string]any, typ string) (string, map[string]any) {
	t.Helper()
	found := resources(tmpl, typ)
	if len(found) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(found), typ)
	}
	for id, r := range found {
		return id, r
	}
	return "", nil
}

// jsonOf renders v for substring checks on references and policies.
func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestDatabase(t *testing.T) {
	want := map[string]struct {
		class          string
		multiAz        bool
		backups        float64
		insights       bool
		deletion       string
		protection     bool
		logRetention   float64
		maxStorageGiB  float64
		secretDeletion string
	}{
		"dev":        {"db.t4g.micro", false, 7, false, "Delete", false, 7, 100, "Delete"},
		"staging":    {"db.t4g.micro", false, 7, false, "Snapshot", true, 30, 100, "Retain"},
		"production": {"db.r6g.large", true, 30, true, "Snapshot", true, 365, 500, "Retain"},
	}
	for _, env := range environments {
		t.Run(env, func(t *testing.T) {
			w := want[env]
			tmpl := synth(t, env).template(t, stacks.DataLayer)
			_, db := only(t, tmpl, "AWS::RDS::DBInstance")
			p := props(db)
			checks := map[string]any{
				"Engine":                    "postgres",
				"DBInstanceClass":           w.class,
				"MultiAZ":                   w.multiAz,
				"BackupRetentionPeriod":     w.backups,
				"EnablePerformanceInsights": w.insights,
				"DeletionProtection":        w.protection,
				"StorageEncrypted":          true,
				"PubliclyAccessible":        false,
				"StorageType":               "gp3",
				"AllocatedStorage":          "20",
				"MaxAllocatedStorage":       w.maxStorageGiB,
				"DBName":                    "django",
				"DBInstanceIdentifier":      named("{project}-") + env,
			}
			for key, value := range checks {
				if jsonOf(p[key]) != jsonOf(value) {
					t.Errorf("%s = %v, want %v", key, p[key], value)
				}
			}
			// The major only: a pinned minor stops new environments once RDS retires it.
			if v, _ := p["EngineVersion"].(string); v != "18" || p["AutoMinorVersionUpgrade"] != true {
				t.Errorf("EngineVersion %q, AutoMinorVersionUpgrade %v; want 18 with minor upgrades", v, p["AutoMinorVersionUpgrade"])
			}
			if db["DeletionPolicy"] != w.deletion {
				t.Errorf("DeletionPolicy %v, want %s", db["DeletionPolicy"], w.deletion)
			}
			if jsonOf(p["EnableCloudwatchLogsExports"]) != `["postgresql","upgrade"]` {
				t.Errorf("log exports %v", p["EnableCloudwatchLogsExports"])
			}
			// The password comes from Secrets Manager through a dynamic reference.
			if pw := jsonOf(p["MasterUserPassword"]); !strings.Contains(pw, "{{resolve:secretsmanager:") {
				t.Errorf("MasterUserPassword is not read from Secrets Manager: %s", pw)
			}
			_, subnets := only(t, tmpl, "AWS::RDS::DBSubnetGroup")
			if ids, zones := jsonOf(props(subnets)["SubnetIds"]), len(synth(t, env).cfg.AvailabilityZones); strings.Count(ids, "IsolatedSubnet") != zones {
				t.Errorf("database subnets are not the %d isolated ones: %s", zones, ids)
			}

			assert(t, tmpl, func(tpl assertions.Template) {
				tpl.HasResourceProperties(jsii.String("AWS::RDS::DBParameterGroup"), map[string]any{
					"Family": "postgres18",
					"Parameters": assertions.Match_ObjectLike(&map[string]any{
						"rds.force_ssl":                       "1",
						"log_min_duration_statement":          "500",
						"idle_in_transaction_session_timeout": "60000",
						"log_lock_waits":                      "1",
					}),
				})
				for _, log := range []string{"postgresql", "upgrade"} {
					tpl.HasResource(jsii.String("AWS::Logs::LogGroup"), map[string]any{
						"Properties": map[string]any{
							"LogGroupName":    named("/aws/rds/instance/{project}-") + env + "/" + log,
							"RetentionInDays": w.logRetention,
						},
					})
				}
				tpl.HasResource(jsii.String("AWS::SecretsManager::Secret"), map[string]any{
					"Properties": assertions.Match_ObjectLike(&map[string]any{
						"Name": named("{project}/") + env + "/database",
						"GenerateSecretString": assertions.Match_ObjectLike(&map[string]any{
							"SecretStringTemplate": `{"username":"django","dbname":"django"}`,
							"GenerateStringKey":    "password",
						}),
					}),
					"DeletionPolicy": w.secretDeletion,
				})
			})
			if n := len(resources(tmpl, "AWS::RDS::DBProxy")); n != 0 {
				t.Errorf("%d RDS proxies; the proxy is off by default", n)
			}
			if n := len(resources(tmpl, "AWS::SecretsManager::RotationSchedule")); n != 0 {
				t.Errorf("%d rotation schedules; rotation is off by default", n)
			}
		})
	}
}

func TestDatabaseProxyAndRotation(t *testing.T) {
	s := dataVariant(t)
	tmpl := s.template(t, stacks.DataLayer)
	_, proxy := only(t, tmpl, "AWS::RDS::DBProxy")
	if p := props(proxy); p["RequireTLS"] != true || p["EngineFamily"] != "POSTGRESQL" {
		t.Errorf("proxy %v, want TLS required for PostgreSQL", p)
	}
	// Django connects to the proxy: POSTGRES_HOST is the proxy's endpoint.
	host := parameterValue(t, tmpl, named("/{project}/staging/POSTGRES_HOST"))
	if !strings.Contains(host, "DatabaseProxy") || !strings.Contains(host, "Endpoint") {
		t.Errorf("POSTGRES_HOST is %s, want the proxy endpoint", host)
	}
	// Tasks reach the proxy; the instance accepts only the proxy.
	ingress := ingressBySecurityGroup(tmpl)
	if got := ingress["DatabaseProxySecurityGroup"]; len(got) != 4 {
		t.Errorf("proxy accepts %v, want the 4 task security groups", got)
	}
	// The instance accepts the proxy and the rotation function, no task.
	if got := strings.Join(ingress["DatabaseSecurityGroup"], " "); len(ingress["DatabaseSecurityGroup"]) != 2 ||
		!strings.Contains(got, "DatabaseProxySecurityGroup") || !strings.Contains(got, "RotationSingleUserSecurityGroup") || strings.Contains(got, "Tasks") {
		t.Errorf("database accepts %v, want only the proxy and the rotation function", got)
	}
	_, rotation := only(t, tmpl, "AWS::SecretsManager::RotationSchedule")
	if days := jsonOf(props(rotation)["RotationRules"]); !strings.Contains(days, "rate(30 days)") {
		t.Errorf("rotation rules %s, want every 30 days", days)
	}
}

func TestCache(t *testing.T) {
	want := map[string]struct {
		nodeType string
		nodes    float64
		failover bool
		policy   string
	}{
		"dev":        {"cache.t4g.micro", 1, false, "Delete"},
		"staging":    {"cache.t4g.small", 1, false, "Retain"},
		"production": {"cache.m7g.large", 2, true, "Retain"},
	}
	for _, env := range environments {
		t.Run(env, func(t *testing.T) {
			w := want[env]
			tmpl := synth(t, env).template(t, stacks.DataLayer)
			_, group := only(t, tmpl, "AWS::ElastiCache::ReplicationGroup")
			p := props(group)
			checks := map[string]any{
				"Engine":                   "valkey",
				"CacheNodeType":            w.nodeType,
				"NumCacheClusters":         w.nodes,
				"AutomaticFailoverEnabled": w.failover,
				"MultiAZEnabled":           w.failover,
				"AtRestEncryptionEnabled":  true,
				"TransitEncryptionEnabled": true,
				"TransitEncryptionMode":    "required",
				"Port":                     6379.0,
			}
			for key, value := range checks {
				if jsonOf(p[key]) != jsonOf(value) {
					t.Errorf("%s = %v, want %v", key, p[key], value)
				}
			}
			if _, ok := p["ClusterMode"]; ok {
				t.Errorf("cluster mode is set; it is off by default")
			}
			if token := jsonOf(p["AuthToken"]); !strings.Contains(token, "{{resolve:secretsmanager:") || !strings.Contains(token, "CacheAuthToken") {
				t.Errorf("AuthToken is not read from the cache secret: %s", token)
			}
			if group["DeletionPolicy"] != w.policy {
				t.Errorf("DeletionPolicy %v, want %s", group["DeletionPolicy"], w.policy)
			}
			_, subnets := only(t, tmpl, "AWS::ElastiCache::SubnetGroup")
			if ids, zones := jsonOf(props(subnets)["SubnetIds"]), len(synth(t, env).cfg.AvailabilityZones); strings.Count(ids, "IsolatedSubnet") != zones {
				t.Errorf("cache subnets are not the %d isolated ones: %s", zones, ids)
			}
			// REDIS_URL and CELERY_BROKER_URL: a secret holding the whole URL,
			// the token read from the token secret at deploy time, never in the template.
			url := jsonOf(props(secretNamed(t, tmpl, named("{project}/")+env+"/cache-url"))["SecretString"])
			for _, want := range []string{`{\"url\":\"rediss://:{{resolve:secretsmanager:`, "CacheAuthToken", `:SecretString:password::}}@`,
				"PrimaryEndPoint.Address", "PrimaryEndPoint.Port", "/0?ssl_cert_reqs=required"} {
				if !strings.Contains(url, want) {
					t.Errorf("cache URL secret %s lacks %s", url, want)
				}
			}
			for _, name := range []string{"REDIS_URL", "CELERY_BROKER_URL", "REDIS_PASSWORD"} {
				if synth(t, env).stacks.Data.Settings.Parameter(name) != nil {
					t.Errorf("%s is an SSM parameter; it carries the password and comes from the URL secret", name)
				}
			}
		})
	}
}

func TestCacheClusterMode(t *testing.T) {
	tmpl := dataVariant(t).template(t, stacks.DataLayer)
	_, group := only(t, tmpl, "AWS::ElastiCache::ReplicationGroup")
	p := props(group)
	if p["ClusterMode"] != "enabled" || p["NumNodeGroups"] != 2.0 || p["ReplicasPerNodeGroup"] != 1.0 ||
		p["CacheParameterGroupName"] != "default.redis7.cluster.on" || p["Engine"] != "redis" {
		t.Errorf("cluster mode group %v", p)
	}
	if url := jsonOf(props(secretNamed(t, tmpl, named("{project}/staging/cache-url")))["SecretString"]); !strings.Contains(url, "ConfigurationEndPoint.Address") || !strings.Contains(url, "ConfigurationEndPoint.Port") {
		t.Errorf("cache URL %s, want the configuration endpoint", url)
	}
}

// ingressBySecurityGroup maps the logical ID prefix of each security group
// that has ingress rules to the sources it admits.
func ingressBySecurityGroup(tmpl map[string]any) map[string][]string {
	out := map[string][]string{}
	for _, rule := range resources(tmpl, "AWS::EC2::SecurityGroupIngress") {
		p := props(rule)
		target := jsonOf(p["GroupId"])
		for _, name := range []string{"DatabaseProxySecurityGroup", "DatabaseSecurityGroup", "CacheSecurityGroup"} {
			if strings.Contains(target, name) {
				out[name] = append(out[name], jsonOf(p["SourceSecurityGroupId"])+jsonOf(p["CidrIp"]))
				break
			}
		}
	}
	return out
}

func TestDataSecurityGroups(t *testing.T) {
	for _, env := range environments {
		t.Run(env, func(t *testing.T) {
			tmpl := synth(t, env).template(t, stacks.DataLayer)
			for _, rule := range resources(tmpl, "AWS::EC2::SecurityGroupIngress") {
				p := props(rule)
				if _, ok := p["CidrIp"]; ok {
					t.Errorf("ingress from a CIDR range: %v", p)
				}
				port := p["FromPort"]
				target := jsonOf(p["GroupId"])
				if (strings.Contains(target, "DatabaseSecurityGroup") && port != 5432.0) ||
					(strings.Contains(target, "CacheSecurityGroup") && port != 6379.0) || p["FromPort"] != p["ToPort"] {
					t.Errorf("ingress %v is not on the one port of its target", p)
				}
			}
			ingress := ingressBySecurityGroup(tmpl)
			for target, want := range map[string][]string{
				"DatabaseSecurityGroup": {"WebTasks", "WorkerTasks", "BeatTasks", "MigrationTasks"},
				"CacheSecurityGroup":    {"WebTasks", "WorkerTasks", "BeatTasks", "MigrationTasks", "QueueMetricsTasks"},
			} {
				sources := strings.Join(ingress[target], " ")
				for _, role := range want {
					if !strings.Contains(sources, role) {
						t.Errorf("%s does not admit %s: %s", target, role, sources)
					}
				}
				if len(ingress[target]) != len(want) {
					t.Errorf("%s admits %d sources, want %v", target, len(ingress[target]), want)
				}
			}
			// Neither the database nor the cache opens connections out.
			for id, group := range resources(tmpl, "AWS::EC2::SecurityGroup") {
				if strings.HasPrefix(id, "Database") || strings.HasPrefix(id, "Cache") {
					if egress := jsonOf(props(group)["SecurityGroupEgress"]); !strings.Contains(egress, "255.255.255.255/32") {
						t.Errorf("%s allows outbound traffic: %s", id, egress)
					}
				}
			}
		})
	}
}

func TestBuckets(t *testing.T) {
	for _, env := range environments {
		t.Run(env, func(t *testing.T) {
			tmpl := synth(t, env).template(t, stacks.DataLayer)
			buckets := resources(tmpl, "AWS::S3::Bucket")
			if len(buckets) != 3 {
				t.Fatalf("%d buckets, want media, static and access logs", len(buckets))
			}
			wantPolicy := map[bool]string{true: "Delete", false: "Retain"}[env == "dev"]
			for id, bucket := range buckets {
				p := props(bucket)
				if jsonOf(p["PublicAccessBlockConfiguration"]) != `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}` {
					t.Errorf("%s: public access not blocked: %v", id, p["PublicAccessBlockConfiguration"])
				}
				if !strings.Contains(jsonOf(p["BucketEncryption"]), "AES256") {
					t.Errorf("%s: not encrypted: %v", id, p["BucketEncryption"])
				}
				if bucket["DeletionPolicy"] != wantPolicy {
					t.Errorf("%s: DeletionPolicy %v, want %s", id, bucket["DeletionPolicy"], wantPolicy)
				}
				if !strings.HasPrefix(id, "StorageAccessLogs") && !strings.Contains(jsonOf(p["LoggingConfiguration"]), "StorageAccessLogs") {
					t.Errorf("%s: access not logged: %v", id, p["LoggingConfiguration"])
				}
			}
			// Every bucket policy denies requests without TLS.
			policies := resources(tmpl, "AWS::S3::BucketPolicy")
			if len(policies) != 3 {
				t.Errorf("%d bucket policies, want 3", len(policies))
			}
			for id, policy := range policies {
				if doc := jsonOf(props(policy)["PolicyDocument"]); !strings.Contains(doc, `"aws:SecureTransport":"false"`) || !strings.Contains(doc, `"Effect":"Deny"`) {
					t.Errorf("%s does not deny plain HTTP: %s", id, doc)
				}
			}

			origins := map[string]any{
				"dev":        []any{"https://dev.example.com", "http://localhost:3000"},
				"staging":    []any{"https://staging.example.com"},
				"production": []any{"https://app.example.com"},
			}[env]
			assert(t, tmpl, func(tpl assertions.Template) {
				tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
					"VersioningConfiguration": map[string]any{"Status": "Enabled"},
					"CorsConfiguration": map[string]any{"CorsRules": []any{map[string]any{
						"AllowedMethods": []any{"GET", "PUT", "POST"},
						"AllowedOrigins": origins,
						"AllowedHeaders": []any{"*"},
						"ExposedHeaders": []any{"ETag"},
						"MaxAge":         3600,
					}}},
					"LifecycleConfiguration": map[string]any{"Rules": assertions.Match_ArrayWith(&[]any{
						assertions.Match_ObjectLike(&map[string]any{"NoncurrentVersionExpiration": assertions.Match_ObjectLike(&map[string]any{})}),
					})},
				})
			})
		})
	}
}

// parameterValue returns the JSON of the value of the SSM parameter name.
// secretNamed returns the secret of tmpl whose Name is name.
func secretNamed(t *testing.T, tmpl map[string]any, name string) map[string]any {
	t.Helper()
	for _, secret := range resources(tmpl, "AWS::SecretsManager::Secret") {
		if props(secret)["Name"] == name {
			return secret
		}
	}
	t.Fatalf("no secret %s", name)
	return nil
}

func parameterValue(t *testing.T, tmpl map[string]any, name string) string {
	t.Helper()
	for _, param := range resources(tmpl, "AWS::SSM::Parameter") {
		if p := props(param); p["Name"] == name {
			return jsonOf(p["Value"])
		}
	}
	t.Fatalf("no SSM parameter %s", name)
	return ""
}

func TestSettings(t *testing.T) {
	for _, env := range environments {
		t.Run(env, func(t *testing.T) {
			s := synth(t, env)
			tmpl := s.template(t, stacks.DataLayer)
			prefix := named("/{project}/") + env + "/"
			hosts := map[string]string{"dev": "dev.example.com", "staging": "staging.example.com", "production": "app.example.com"}[env]
			if got := parameterValue(t, tmpl, prefix+"DJANGO_ALLOWED_HOSTS"); got != `"`+hosts+`"` {
				t.Errorf("DJANGO_ALLOWED_HOSTS %s, want %s", got, hosts)
			}
			if got := parameterValue(t, tmpl, prefix+"POSTGRES_PORT"); got != `{"Fn::GetAtt":["DatabaseInstanceAA8A5FDE","Endpoint.Port"]}` {
				t.Errorf("POSTGRES_PORT %s, want the port RDS reports", got)
			}
			for name, ref := range map[string]string{
				"POSTGRES_HOST":                  "DatabaseInstance",
				"DJANGO_AWS_STORAGE_BUCKET_NAME": "StorageMedia",
				"DJANGO_AWS_STATIC_BUCKET_NAME":  "StorageStatic",
			} {
				if got := parameterValue(t, tmpl, prefix+name); !strings.Contains(got, ref) {
					t.Errorf("%s is %s, want a reference to %s", name, got, ref)
				}
			}
			// Secrets: a generated DJANGO_SECRET_KEY and an operator-filled
			// third-party secret, neither readable in the template.
			assert(t, tmpl, func(tpl assertions.Template) {
				tpl.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), map[string]any{
					"Name": named("{project}/") + env + "/django",
					"GenerateSecretString": assertions.Match_ObjectLike(&map[string]any{
						"GenerateStringKey":    "DJANGO_SECRET_KEY",
						"SecretStringTemplate": "{}",
						"PasswordLength":       64,
						// No $: django-environ reads "$NAME" as a reference to NAME.
						"ExcludeCharacters": "\"'\\$`",
					}),
				})
				tpl.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), map[string]any{
					"Name":         named("{project}/") + env + "/third-party",
					"SecretString": "{}",
				})
			})
			for _, param := range resources(tmpl, "AWS::SSM::Parameter") {
				if v := jsonOf(props(param)["Value"]); strings.Contains(v, "secretsmanager") {
					t.Errorf("parameter %v holds a secret", props(param)["Name"])
				}
			}
			// The typed fields the compute layer reads.
			d := s.stacks.Data
			if d.Database.Secret() == nil || d.Cache.Secret() == nil || d.Settings.DjangoSecret() == nil ||
				d.Settings.ThirdPartySecret() == nil || d.Storage.Media() == nil || d.Storage.Static() == nil ||
				d.TaskSecurityGroups.For(stacks.WebKind) == nil || d.TaskSecurityGroups.For(stacks.MigrationKind) == nil || d.Cache.URLSecret() == nil || d.Settings.Parameter("POSTGRES_HOST") == nil {
				t.Errorf("the Data stack does not expose everything the compute layer needs")
			}
		})
	}
}

// egressRule is one outbound rule of a task security group, inline or a
// separate AWS::EC2::SecurityGroupEgress resource.
type egressRule struct {
	protocol    string
	from, to    float64
	cidr        string
	destination string // JSON of DestinationSecurityGroupId
}

// taskEgress returns the outbound rules of each task security group of the
// Data stack, by logical ID prefix (WebTasks, ..., QueueMetricsTasks).
func taskEgress(t *testing.T, tmpl map[string]any) map[string][]egressRule {
	t.Helper()
	ruleOf := func(p map[string]any) egressRule {
		from, _ := p["FromPort"].(float64)
		to, _ := p["ToPort"].(float64)
		cidr, _ := p["CidrIp"].(string)
		r := egressRule{protocol: jsonOf(p["IpProtocol"]), from: from, to: to, cidr: cidr}
		if d, ok := p["DestinationSecurityGroupId"]; ok {
			r.destination = jsonOf(d)
		}
		return r
	}
	out := map[string][]egressRule{}
	ids := map[string]string{} // logical ID -> role prefix
	for id, group := range resources(tmpl, "AWS::EC2::SecurityGroup") {
		for _, role := range []string{"WebTasks", "WorkerTasks", "BeatTasks", "MigrationTasks", "QueueMetricsTasks"} {
			if strings.HasPrefix(id, role) {
				ids[id] = role
				out[role] = nil
				egress, _ := props(group)["SecurityGroupEgress"].([]any)
				for _, e := range egress {
					out[role] = append(out[role], ruleOf(e.(map[string]any)))
				}
			}
		}
	}
	if len(ids) != 5 {
		t.Fatalf("%d task security groups, want 5: %v", len(ids), ids)
	}
	for _, rule := range resources(tmpl, "AWS::EC2::SecurityGroupEgress") {
		p := props(rule)
		for id, role := range ids {
			if strings.Contains(jsonOf(p["GroupId"]), `"`+id+`"`) {
				out[role] = append(out[role], ruleOf(p))
			}
		}
	}
	return out
}

// TestTaskEgress checks that the task security groups reach only what the
// processes need: HTTPS anywhere, PostgreSQL (through the proxy when there
// is one) and the cache; the queue metrics function HTTPS and the cache.
// DNS needs no rule: security groups do not filter traffic to the VPC's
// Amazon DNS server, which the VPC uses as long as no DHCP options set
// replaces AmazonProvidedDNS.
func TestTaskEgress(t *testing.T) {
	variants := map[string]*synthesized{}
	for _, env := range environments {
		variants[env] = synth(t, env)
	}
	variants["staging-variant"] = dataVariant(t)
	for name, s := range variants {
		t.Run(name, func(t *testing.T) {
			dbGroup := `"DatabaseSecurityGroup`
			if s.cfg.Database.Proxy {
				dbGroup = `"DatabaseProxySecurityGroup`
			}
			https := egressRule{protocol: `"tcp"`, from: 443, to: 443, cidr: "0.0.0.0/0"}
			for role, rules := range taskEgress(t, s.template(t, stacks.DataLayer)) {
				var sawHTTPS, sawDB, sawCache bool
				for _, r := range rules {
					switch {
					case r.protocol != `"tcp"` && r.protocol != `"udp"`:
						t.Errorf("%s: egress %+v is not TCP or UDP (-1 is all traffic)", role, r)
					case r.from != r.to:
						t.Errorf("%s: egress %+v opens a port range", role, r)
					case r.from == 53:
						t.Errorf("%s: egress %+v to DNS; Amazon DNS is not filtered by security groups", role, r)
					case r == https:
						sawHTTPS = true
					case r.cidr == "0.0.0.0/0":
						t.Errorf("%s: egress %+v to anywhere on a port other than 443", role, r)
					case strings.HasPrefix(r.destination, `{"Fn::GetAtt":[`+dbGroup) && r.from == 5432 && r.protocol == `"tcp"`:
						sawDB = true
					case strings.HasPrefix(r.destination, `{"Fn::GetAtt":["CacheSecurityGroup`) && r.from == 6379 && r.protocol == `"tcp"`:
						sawCache = true
					default:
						t.Errorf("%s: unexpected egress %+v", role, r)
					}
				}
				wantDB := role != "QueueMetricsTasks"
				if !sawHTTPS || sawDB != wantDB || !sawCache {
					t.Errorf("%s: HTTPS %v, database %v (want %v), cache %v; rules %+v", role, sawHTTPS, sawDB, wantDB, sawCache, rules)
				}
				want := 3
				if !wantDB {
					want = 2
				}
				if len(rules) != want {
					t.Errorf("%s: %d egress rules, want %d: %+v", role, len(rules), want, rules)
				}
			}
			// The premise of no DNS rule: the VPC keeps AmazonProvidedDNS.
			network := s.template(t, stacks.NetworkLayer)
			for _, typ := range []string{"AWS::EC2::DHCPOptions", "AWS::EC2::VPCDHCPOptionsAssociation"} {
				if n := len(resources(network, typ)); n != 0 {
					t.Errorf("%d %s: with other resolvers the tasks need a port 53 rule", n, typ)
				}
			}
			// The Compute stack imports the groups as they are: it adds no
			// outbound rule to them.
			compute := s.template(t, stacks.ComputeLayer)
			for id, rule := range resources(compute, "AWS::EC2::SecurityGroupEgress") {
				if g := jsonOf(props(rule)["GroupId"]); strings.Contains(g, "Tasks") {
					t.Errorf("Compute stack adds egress %s to a task group: %v", id, props(rule))
				}
			}
		})
	}
}

// TestExtraEgress checks that compute.extraEgress reaches every Django task
// group, and not the queue metrics function's (filesystemVariant gives
// SMTP to 0.0.0.0/0 on 587 and syslog to 10.50.0.0/24 on 514/udp).
func TestExtraEgress(t *testing.T) {
	s := filesystemVariant(t)
	smtp := egressRule{protocol: `"tcp"`, from: 587, to: 587, cidr: "0.0.0.0/0"}
	syslog := egressRule{protocol: `"udp"`, from: 514, to: 514, cidr: "10.50.0.0/24"}
	for role, rules := range taskEgress(t, s.template(t, stacks.DataLayer)) {
		got := map[egressRule]bool{}
		for _, r := range rules {
			got[r] = true
		}
		want := role != "QueueMetricsTasks"
		if got[smtp] != want || got[syslog] != want {
			t.Errorf("%s: SMTP %v, syslog %v, want %v: %+v", role, got[smtp], got[syslog], want, rules)
		}
		if n := len(rules); want && n != 5 {
			t.Errorf("%s: %d egress rules, want HTTPS, PostgreSQL, the cache and the 2 extra: %+v", role, n, rules)
		}
	}
	assert(t, s.template(t, stacks.DataLayer), func(tpl assertions.Template) {
		tpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroup"), map[string]any{
			"GroupDescription": named("Web of {project}-staging-compute"),
			"SecurityGroupEgress": assertions.Match_ArrayWith(&[]any{map[string]any{
				"CidrIp": "10.50.0.0/24", "IpProtocol": "udp", "FromPort": 514, "ToPort": 514, "Description": "Syslog collector",
			}}),
		})
	})
}
