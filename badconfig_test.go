package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/stacks"
)

// TestBadConfig feeds stacks.Build, the path the CLI takes, a broken cdk.json
// context and checks the exact message, before any stack exists.
func TestBadConfig(t *testing.T) {
	cases := []struct {
		name string
		edit func(ctx map[string]any) // changes a copy of cdk.json's context
		want string
	}{
		{"unknown environment", set("env", "nosuch"),
			`env: "nosuch" is not a configured environment; choose one of dev, production, staging`},
		{"no environment", set("env", ""),
			`env: not set; pass -c env=NAME with one of dev, production, staging`},
		{"misspelt key", set("env", "staging", "environments.staging.network.natGateway", 2.0),
			`environments.staging.network.natGateway: unknown key; allowed keys here are cidr, flowLogRetentionDays, nat, natGateways, natInstanceType`},
		{"unknown top-level key in defaults", set("defaults.vpc", map[string]any{}),
			`defaults.vpc: unknown key; allowed keys here are account, availabilityZones, cache, compute, database, django, frontend, network, operations, pipeline, project, region, registry, removalPolicy, storage, terminationProtection`},
		{"more NAT gateways than zones", set("env", "staging", "environments.staging.network.natGateways", 5.0),
			`environments.staging.network.natGateways: 5 is more than the 3 availability zones`},
		{"no NAT gateway", set("environments.dev.network.natGateways", 0.0),
			`environments.dev.network.natGateways: 0 is less than 1; the private subnets reach the internet through NAT (set network.nat to "none" to run without)`},
		{"NAT gateways not a number", set("environments.dev.network.natGateways", "three"),
			`environments.dev.network.natGateways: "three" is not allowed; want a whole number`},
		{"fractional NAT gateways", set("environments.dev.network.natGateways", 1.5),
			`environments.dev.network.natGateways: 1.5 is not allowed; want a whole number`},
		{"bad account", set("environments.dev.account", "12345"),
			`environments.dev.account: "12345" is not an AWS account id; use its 12 digits`},
		{"bad region", set("defaults.region", "us-east"),
			`defaults.region: "us-east" is not an AWS region name such as us-east-1`},
		{"zone of another region", set("environments.dev.availabilityZones", []any{"us-east-1a", "us-west-2b", "us-east-1c"}),
			`environments.dev.availabilityZones[1]: "us-west-2b" is not a zone of region us-east-1; use us-east-1a, us-east-1b, ...`},
		{"zone listed twice", set("environments.dev.availabilityZones", []any{"us-east-1a", "us-east-1a", "us-east-1b"}),
			`environments.dev.availabilityZones[1]: "us-east-1a" is listed twice; each zone may appear once`},
		{"one zone", set("defaults.availabilityZones", []any{"us-east-1a"}),
			`defaults.availabilityZones, for environment production: ["us-east-1a"] has 1 zone(s); list 2 to 3 zones of the region` + "\n" +
				`environments.production.network.natGateways: 3 is more than the 1 availability zones` + "\n" +
				`defaults.availabilityZones, for environment staging: ["us-east-1a"] has 1 zone(s); list 2 to 3 zones of the region`},
		{"public CIDR", set("environments.dev.network.cidr", "8.8.0.0/16"),
			`environments.dev.network.cidr: "8.8.0.0/16" is not a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)`},
		{"CIDR too small", set("environments.dev.network.cidr", "10.0.0.0/20"),
			`environments.dev.network.cidr: "10.0.0.0/20" is a /20; allowed sizes are /16 to /17`},
		{"CIDR with host bits", set("environments.dev.network.cidr", "10.0.1.0/16"),
			`environments.dev.network.cidr: "10.0.1.0/16" has host bits set; use 10.0.0.0/16`},
		{"not a CIDR", set("environments.dev.network.cidr", "10.0.0.0"),
			`environments.dev.network.cidr: "10.0.0.0" is not an IPv4 CIDR block such as 10.0.0.0/16`},
		{"flow log retention", set("environments.dev.network.flowLogRetentionDays", 45.0),
			`environments.dev.network.flowLogRetentionDays: 45 is not a CloudWatch Logs retention; allowed: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653`},
		{"removal policy", set("environments.dev.removalPolicy", "delete"),
			`environments.dev.removalPolicy: "delete" is not allowed; use "retain" or "destroy"`},
		{"project name", set("defaults.project", "My_App"),
			`defaults.project: "My_App" is not a valid project name; use 2 to 20 lowercase letters, digits and hyphens, starting with a letter`},
		{"termination protection not a boolean", set("environments.dev.terminationProtection", "no"),
			`environments.dev.terminationProtection: "no" is not allowed; want true or false`},
		{"environment not an object", set("environments.dev", "small"),
			`environments.dev: "small" is not an object of settings`},
		{"bad environment name", set("environments.QA", map[string]any{}, "env", "QA"),
			`environments.QA: "QA" is not a valid environment name; use 1 to 12 lowercase letters and digits, starting with a letter`},
		{"one release kept", set("environments.dev.registry.keepReleases", 1.0),
			`environments.dev.registry.keepReleases: 1 is outside 2 to 1000 (at least the running release and the one before it)`},
		{"unreleased builds expire before an approval", set("defaults.registry.unreleasedDays", 7.0),
			`defaults.registry.unreleasedDays: 7 is outside 8 to 365 (longer than a manual approval can wait, so that an approved build is still there)`},
		{"the old keepImages", set("env", "production", "environments.production.registry.keepImages", 100.0),
			`environments.production.registry.keepImages: unknown key; allowed keys here are keepReleases, unreleasedDays, untaggedDays`},
		{"database instance class", set("environments.dev.database.instanceClass", "t4g.micro"),
			`environments.dev.database.instanceClass: "t4g.micro" is not an RDS instance class such as db.t4g.micro`},
		{"database max storage below allocated", set("environments.dev.database.maxAllocatedStorageGiB", 10.0),
			`environments.dev.database.maxAllocatedStorageGiB: 10 is not between AllocatedStorageGiB (20) and 65536, or Off (-1)`},
		{"database backups too long", set("environments.dev.database.backupRetentionDays", 36.0),
			`environments.dev.database.backupRetentionDays: 36 is outside 1 to 35`},
		{"database backups zero", set("environments.dev.database.backupRetentionDays", 0.0),
			`environments.dev.database.backupRetentionDays: 0 is not allowed; the construct would read it as "use my default", so give the number you mean`},
		{"database rotation beyond Secrets Manager's", set("defaults.database.rotationDays", 1001.0),
			`defaults.database.rotationDays: 1001 is outside 0 (off) to 1000`},
		{"gunicorn workers (djangoweb's bound)", set("environments.dev.compute.web.gunicorn", map[string]any{"workers": 65.0}),
			`environments.dev.compute.web.gunicorn.workers: 65 is outside 1 to 64 (processes per task)`},
		{"web port (djangoweb's bound)", set("environments.dev.compute.web.port", 80.0),
			`environments.dev.compute.web.port: 80 is outside 1024 to 65535 (an unprivileged port: the image runs as a non-root user)`},
		{"web max tasks below min (djangoweb's bound)", set("environments.dev.compute.web.minTasks", 3.0),
			"compute.web.maxTasks (djangocdk's default), for environment dev: 2 is outside MinTasks (3) to 1000"},
		{"second queue's concurrency (celeryworker's bound)", set("environments.dev.compute.queues", []any{
			map[string]any{"name": "celery", "concurrency": 2.0, "cpu": 256.0, "memoryMiB": 512.0, "minTasks": 1.0, "maxTasks": 1.0, "stopTimeoutSeconds": 120.0},
			map[string]any{"name": "emails", "concurrency": 300.0, "cpu": 256.0, "memoryMiB": 512.0, "minTasks": 1.0, "maxTasks": 1.0, "stopTimeoutSeconds": 120.0}}),
			`environments.dev.compute.queues[1].concurrency: 300 is outside 1 to 256 (tasks at once per worker task)`},
		{"sample ratio above 1 (apptask's bound)", set("environments.dev.compute.tracing", map[string]any{"enabled": true, "sampleRatio": 1.5}),
			`environments.dev.compute.tracing.sampleRatio: 1.5 is not a ratio from 0 to 1`},
		{"negative 5xx threshold (djangoweb's bound)", set("environments.dev.compute.web.deploymentAlarms", map[string]any{"enabled": true, "target5xxPerMinute": -1.0}),
			`environments.dev.compute.web.deploymentAlarms.target5xxPerMinute: -1 is negative; 0 fails a deployment on the first 5xx`},
		{"cache snapshots (cache's bound)", set("environments.dev.cache.snapshotRetentionDays", 36.0),
			`environments.dev.cache.snapshotRetentionDays: 36 is outside 0 (off) to 35`},
		{"database name", set("environments.dev.database.name", "my-db"),
			`environments.dev.database.name: "my-db" is not a PostgreSQL name (up to 63 lowercase letters, digits and underscores)`},
		{"cache engine", set("environments.dev.cache.engine", "memcached"),
			`environments.dev.cache.engine: "memcached" is not an engine; use "valkey" or "redis"`},
		{"cache shards without cluster mode", set("environments.dev.cache.shards", 3.0),
			`environments.dev.cache.shards: 3 shards need cluster mode; without it use 1`},
		{"cache node type", set("environments.dev.cache.nodeType", "t4g.micro"),
			`environments.dev.cache.nodeType: "t4g.micro" is not an ElastiCache node type such as cache.t4g.micro`},
		{"cache nodes", set("environments.dev.cache.nodes", 7.0),
			`environments.dev.cache.nodes: 7 is outside 1 to 6 (a primary and up to 5 replicas)`},
		{"CORS origin with a path", set("environments.dev.storage.corsAllowedOrigins", []any{"https://app.example.com/"}),
			`environments.dev.storage.corsAllowedOrigins[0]: "https://app.example.com/" is not an origin such as https://app.example.com (scheme and host, no path or trailing slash)`},
		{"allowed hosts wildcard", set("environments.dev.django.allowedHosts", []any{"*"}),
			`environments.dev.django.allowedHosts[0]: "*" is not a host name such as app.example.com or .example.com (no scheme, port or wildcard *)`},
		{"no allowed hosts", set("defaults.django.allowedHosts", []any{}, "environments.dev.django", map[string]any{}),
			"defaults.django.allowedHosts, for environment dev: empty; list the host names Django serves, such as app.example.com\n" +
				"defaults.django.allowedHosts, for environment production: empty; list the host names Django serves, such as app.example.com"},
		{"ALB idle timeout not above gunicorn's", set("environments.dev.compute.web.albIdleTimeoutSeconds", 60.0),
			"timeouts out of order: environments.dev.compute.web.albIdleTimeoutSeconds (60 s) must be greater than compute.web.gunicorn.timeoutSeconds (djangocdk's default) (60 s): otherwise the load balancer gives up on responses gunicorn is still producing (504s)"},
		{"gunicorn timeout not above the request budget", set("environments.dev.compute.web.gunicorn", map[string]any{"timeoutSeconds": 30.0}),
			"timeouts out of order: environments.dev.compute.web.gunicorn.timeoutSeconds (30 s) must be greater than compute.web.requestBudgetSeconds (djangocdk's default) (30 s): otherwise gunicorn kills workers serving legitimate slow requests"},
		{"request budget beyond CloudFront's wait", set("environments.dev.compute.web.requestBudgetSeconds", 60.0, "environments.dev.compute.web.deregistrationDelaySeconds", 60.0,
			"environments.dev.compute.web.albIdleTimeoutSeconds", 100.0, "environments.dev.compute.web.stopTimeoutSeconds", 90.0,
			"environments.dev.compute.web.gunicorn", map[string]any{"timeoutSeconds": 90.0, "keepaliveSeconds": 120.0, "gracefulTimeoutSeconds": 60.0}),
			"environments.dev.compute.web.requestBudgetSeconds: 60 is not below CloudFront's 60 s wait for a response; requests that slow fail at the edge"},
		{"keep-alive not above the ALB idle timeout", set("environments.dev.compute.web.gunicorn", map[string]any{"keepaliveSeconds": 5.0}),
			"timeouts out of order: environments.dev.compute.web.gunicorn.keepaliveSeconds (5 s) must be greater than compute.web.albIdleTimeoutSeconds (djangocdk's default) (65 s): otherwise gunicorn closes connections the load balancer still reuses (sporadic 502s)"},
		{"deregistration delay shorter than requests", set("environments.dev.compute.web.deregistrationDelaySeconds", 10.0),
			"timeouts out of order: environments.dev.compute.web.deregistrationDelaySeconds (10 s) must be at least compute.web.requestBudgetSeconds (djangocdk's default) (30 s): otherwise requests in flight are cut when a task leaves the load balancer during a deploy"},
		{"graceful timeout shorter than requests", set("environments.dev.compute.web.gunicorn", map[string]any{"gracefulTimeoutSeconds": 20.0}),
			"timeouts out of order: environments.dev.compute.web.gunicorn.gracefulTimeoutSeconds (20 s) must be at least compute.web.requestBudgetSeconds (djangocdk's default) (30 s): otherwise requests in flight at SIGTERM are killed"},
		{"stop timeout not above the graceful timeout", set("environments.dev.compute.web.stopTimeoutSeconds", 30.0),
			"timeouts out of order: environments.dev.compute.web.stopTimeoutSeconds (30 s) must be greater than compute.web.gunicorn.gracefulTimeoutSeconds (djangocdk's default) (30 s): otherwise ECS sends SIGKILL before gunicorn's graceful shutdown ends"},
		{"stop timeout above Fargate's limit", set("environments.dev.compute.web.stopTimeoutSeconds", 180.0),
			"environments.dev.compute.web.stopTimeoutSeconds: 180 is outside 1 to 120 (Fargate's limit)"},
		{"connection budget", set("environments.dev.compute.web.maxTasks", 10.0, "environments.dev.compute.web.gunicorn", map[string]any{"workers": 4.0, "threads": 8.0}),
			"database.instanceClass (djangocdk's default), for environment dev: connection budget exceeded during a rolling deploy, when each service runs up to 200% of its maxTasks: web 20 tasks x 4 workers x 8 threads = 640, queues celery 4 x 4, beat 1, migration 1 and 0 scheduled jobs make 658 connections; db.t4g.micro allows about 79 (max_connections), 63 with a 80% margin. " +
				"Lower compute.web.maxTasks, the gunicorn workers or threads, or the queues' maxTasks or concurrency; choose a larger database.instanceClass; or set database.proxy to true"},
		{"web command runs migrations", set("environments.dev.compute.web.command", []any{"sh", "-c", "python manage.py migrate && gunicorn config.wsgi"}),
			`environments.dev.compute.web.command: ["sh" "-c" "python manage.py migrate && gunicorn config.wsgi"] runs migrations; only the migration task may (every task start would run them again)`},
		{"worker command runs migrations", set("environments.dev.compute.queues", []any{map[string]any{"name": "celery", "concurrency": 2.0, "cpu": 256.0, "memoryMiB": 512.0, "minTasks": 1.0, "maxTasks": 1.0, "stopTimeoutSeconds": 120.0, "command": []any{"/start-celeryworker", "migrate"}}}),
			`environments.dev.compute.queues[0].command: ["/start-celeryworker" "migrate"] runs migrations; only the migration task may (every task start would run them again)`},
		{"queue listed twice", set("environments.dev.compute.queues", []any{
			map[string]any{"name": "celery", "concurrency": 2.0, "cpu": 256.0, "memoryMiB": 512.0, "minTasks": 1.0, "maxTasks": 1.0, "stopTimeoutSeconds": 120.0},
			map[string]any{"name": "celery", "concurrency": 2.0, "cpu": 256.0, "memoryMiB": 512.0, "minTasks": 1.0, "maxTasks": 1.0, "stopTimeoutSeconds": 120.0}}),
			`environments.dev.compute.queues[1].name: "celery" is listed twice; one worker service per queue`},
		{"worker max tasks beyond the limit", set("environments.dev.compute.queues", []any{map[string]any{"name": "celery", "concurrency": 2.0, "cpu": 256.0, "memoryMiB": 512.0, "minTasks": 1.0, "maxTasks": 1001.0, "stopTimeoutSeconds": 120.0}}),
			`environments.dev.compute.queues[0].maxTasks: 1001 is outside MinTasks (1) to 1000`},
		{"Fargate size", set("environments.dev.compute.beat.memoryMiB", 4096.0),
			`environments.dev.compute.beat.memoryMiB: 4096 MiB of memory does not go with cpu 256 on Fargate (see the task size table)`},
		{"certificate in another region", set("environments.dev.compute.web.certificateArn", "arn:aws:acm:eu-west-1:111111111111:certificate/0f0e0d0c-0b0a-0908-0706-050403020100", "environments.dev.compute.web.originDomainName", "origin.dev.example.com", "environments.dev.compute.web.plainHttpOrigin", false),
			`environments.dev.compute.web.certificateArn: "arn:aws:acm:eu-west-1:111111111111:certificate/0f0e0d0c-0b0a-0908-0706-050403020100" is in eu-west-1; the load balancer needs a certificate in us-east-1`},
		{"third-party secret shadows a setting", set("environments.dev.django.thirdPartySecrets", []any{"SENTRY_DSN", "POSTGRES_PASSWORD"}),
			`environments.dev.django.thirdPartySecrets[1]: "POSTGRES_PASSWORD" is set by djangocdk itself; pick another name`},
		{"cpu architecture", set("environments.dev.compute.cpuArchitecture", "arm64"),
			`environments.dev.compute.cpuArchitecture: "arm64" is not allowed; use "ARM64" (Graviton) or "X86_64"`},
		{"certificate without an origin name", set("environments.dev.compute.web.certificateArn", "arn:aws:acm:us-east-1:111111111111:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"),
			"compute.web.originDomainName (djangocdk's default), for environment dev: empty, but the load balancer has a certificate and only CloudFront reaches it: name the DNS record of the load balancer that the certificate covers"},
		{"plain HTTP to the origin", set("environments.dev.compute.web.plainHttpOrigin", false),
			"compute.web.originDomainName (djangocdk's default), for environment dev: empty: CloudFront would reach the load balancer over plain HTTP, and session cookies, CSRF tokens and the origin secret would cross that leg in clear text. " +
				"Set compute.web.certificateArn and originDomainName (a DNS name the certificate covers, pointing at the load balancer); only a disposable environment may set compute.web.plainHttpOrigin: true instead"},
		{"HTTPS origin without a certificate", set("environments.dev.compute.web.plainHttpOrigin", false, "environments.dev.compute.web.originDomainName", "origin.dev.example.com"),
			`compute.web.certificateArn (djangocdk's default), for environment dev: empty, but compute.web.originDomainName "origin.dev.example.com" makes CloudFront reach the load balancer over HTTPS: give the certificate that covers that name`},
		{"origin secret version", set("environments.dev.compute.web.originSecretVersions", []any{"v2"}),
			`environments.dev.compute.web.originSecretVersions[0]: "v2" is not a Secrets Manager version id (the VersionId that put-secret-value prints)`},
		{"nobody reaches Django", set("environments.dev.frontend", map[string]any{"apps": []any{}}),
			"compute.web.publicAlb (djangocdk's default), for environment dev: false, but no frontend.apps put CloudFront in front of the load balancer: nobody could reach Django; set it to true or add an app"},
		{"frontend certificate outside us-east-1", set("environments.dev.frontend", map[string]any{"apps": []any{map[string]any{"name": "web", "buildDir": "apps/web/dist", "domainName": "dev.example.com",
			"certificateArn": "arn:aws:acm:eu-west-1:111111111111:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"}}}),
			`environments.dev.frontend.apps[0].certificateArn: "arn:aws:acm:eu-west-1:111111111111:certificate/0f0e0d0c-0b0a-0908-0706-050403020100" is in eu-west-1; CloudFront needs a certificate in us-east-1`},
		{"frontend build folder outside the repository", set("environments.dev.frontend", map[string]any{"apps": []any{map[string]any{"name": "web", "buildDir": "../elsewhere"}}}),
			`environments.dev.frontend.apps[0].buildDir: "../elsewhere" is not a folder of the monorepo such as apps/web/dist`},
		{"Django path served from a bucket", set("environments.dev.frontend", map[string]any{"djangoPaths": []any{"/api/*", "/admin/*", "/static/*"}}),
			`environments.dev.frontend.djangoPaths[2]: "/static/*" is served from its bucket, not by Django`},
		{"price class", set("environments.dev.frontend", map[string]any{"priceClass": "cheap"}),
			`environments.dev.frontend.priceClass: "cheap" is not allowed; use PriceClass_100, PriceClass_200 or PriceClass_All`},
		{"connection ARN", set("environments.dev.pipeline.connectionArn", "arn:aws:codestar:us-east-1:111111111111:connection/x"),
			`environments.dev.pipeline.connectionArn: "arn:aws:codestar:us-east-1:111111111111:connection/x" is not a CodeConnections connection ARN (arn:aws:codeconnections:REGION:ACCOUNT:connection/ID)`},
		{"repository", set("environments.dev.pipeline.repository", "myapp"),
			`environments.dev.pipeline.repository: "myapp" is not a repository as owner/name`},
		{"Dockerfile outside the repository", set("environments.dev.pipeline.dockerfile", "../Dockerfile"),
			`environments.dev.pipeline.dockerfile: "../Dockerfile" is not a path inside the monorepo`},
		{"monitoring interval", set("environments.dev.database.monitoringIntervalSeconds", 20),
			`environments.dev.database.monitoringIntervalSeconds: 20 is not an Enhanced Monitoring interval; use 1, 5, 10, 15, 30 or 60 seconds, or 0 for off`},
		{"node version", set("environments.dev.pipeline.nodeVersion", "lts"),
			`environments.dev.pipeline.nodeVersion: "lts" is not a Node.js major version such as 22`},
		{"deploy timeout", set("environments.dev.pipeline.deployTimeoutMinutes", 2),
			`environments.dev.pipeline.deployTimeoutMinutes: 2 is outside 5 to 120 (a rolling deploy of every service must fit)`},
		{"task timeout", set("environments.dev.pipeline.taskTimeoutMinutes", 0),
			`environments.dev.pipeline.taskTimeoutMinutes: 0 is outside 1 to 120 (a one-off task is stopped at this limit)`},
		{"notification email", set("environments.dev.pipeline.notificationEmails", []any{"ops"}),
			`environments.dev.pipeline.notificationEmails[0]: "ops" is not an email address`},
		{"threshold not a percentage", set("environments.dev.operations.databaseConnectionsPercent", 120.0),
			`environments.dev.operations.databaseConnectionsPercent: 120 is not a percentage between 0 and 100`},
		{"p99 below p95", set("environments.dev.operations.latencyP99Seconds", 0.5),
			`environments.dev.operations.latencyP99Seconds: 0.5 is below the p95 latency threshold (1)`},
		{"tracing collector not pinned", set("environments.dev.compute.tracing", map[string]any{"enabled": true, "collectorImage": "public.ecr.aws/aws-observability/aws-otel-collector:latest"}),
			`environments.dev.compute.tracing.collectorImage: "public.ecr.aws/aws-observability/aws-otel-collector:latest" does not pin a version (image:tag, not latest)`},
		{"writable path not absolute", set("environments.dev.compute.beat.writablePaths", []any{"/tmp", "tmp"}),
			`environments.dev.compute.beat.writablePaths[1]: "tmp" is not an absolute, clean directory path such as /tmp (letters, digits, _ . - between slashes)`},
		{"root as a writable path", set("environments.dev.compute.web.writablePaths", []any{"/"}),
			`environments.dev.compute.web.writablePaths[0]: "/" is the root filesystem, which no volume can replace; make the root writable instead`},
		{"writable path listed twice", set("environments.dev.compute.migration.writablePaths", []any{"/tmp", "/tmp"}),
			`environments.dev.compute.migration.writablePaths[1]: "/tmp" is listed twice`},
		{"read-only root without /tmp", set("environments.dev.compute.queues", []any{map[string]any{"name": "celery", "concurrency": 2.0, "cpu": 256.0, "memoryMiB": 512.0, "minTasks": 1.0, "maxTasks": 1.0, "stopTimeoutSeconds": 120.0,
			"writablePaths": []any{"/var/cache/app"}}}),
			`environments.dev.compute.queues[0].writablePaths: ["/var/cache/app"] lacks /tmp, but the root filesystem is read-only: gunicorn's heartbeat files, Celery beat's schedule and Python's tempfile (Django's uploads) write there; add /tmp, or set compute.queues[0].readonlyRootFilesystem to false`},
		{"read-only root not a boolean", set("environments.dev.compute.web.readonlyRootFilesystem", "yes"),
			`environments.dev.compute.web.readonlyRootFilesystem: "yes" is not allowed; want true or false`},
		{"ECS Exec on a read-only web root", set("environments.dev.compute.executeCommand", true),
			"environments.dev.compute.executeCommand: true, but compute.web.readonlyRootFilesystem is true: ECS Exec's agent needs a writable root filesystem (AWS supports no other way); " +
				"set compute.web.readonlyRootFilesystem to false too while you need a shell, or executeCommand to false"},
		{"alarm email", set("environments.dev.operations.alarmEmails", []any{"oncall@"}),
			`environments.dev.operations.alarmEmails[0]: "oncall@" is not an email address`},
		{"extra egress port, protocol and description", set("environments.dev.compute.extraEgress", []any{
			map[string]any{"port": 587.0, "cidr": "0.0.0.0/0", "description": "SMTP to the mail provider"},
			map[string]any{"port": 70000.0, "protocol": "icmp", "cidr": "10.1.0.0/16", "description": "Mail <relay>"}}),
			`environments.dev.compute.extraEgress[1].port: 70000 is outside 1 to 65535 (a TCP or UDP port)` + "\n" +
				`environments.dev.compute.extraEgress[1].protocol: "icmp" is not allowed; use "tcp" (the default) or "udp"` + "\n" +
				`environments.dev.compute.extraEgress[1].description: "Mail <relay>" is not a rule description: up to 255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*`},
		{"extra egress in defaults: CIDR and no description", set("defaults.compute.extraEgress", []any{
			map[string]any{"port": 587.0, "cidr": "203.0.113.5/24"}, map[string]any{"port": 5432.0, "cidr": "2001:db8::/32", "description": "Reporting"}}),
			`defaults.compute.extraEgress[0].cidr: "203.0.113.5/24" has host bits set; use 203.0.113.0/24` + "\n" +
				`defaults.compute.extraEgress[0].description: empty; say what the tasks reach there, such as "SMTP to the mail provider"` + "\n" +
				`defaults.compute.extraEgress[1].cidr: "2001:db8::/32" is not an IPv4 CIDR block such as 203.0.113.0/24 (0.0.0.0/0 for anywhere)`},
		{"extra egress repeated or already allowed", set("environments.dev.compute.extraEgress", []any{
			map[string]any{"port": 587.0, "cidr": "0.0.0.0/0", "description": "SMTP"},
			map[string]any{"port": 587.0, "protocol": "tcp", "cidr": "0.0.0.0/0", "description": "SMTP again"},
			map[string]any{"port": 443.0, "cidr": "0.0.0.0/0", "description": "HTTPS"}}),
			`environments.dev.compute.extraEgress[1]: same protocol, port and cidr as compute.extraEgress[0]` + "\n" +
				`environments.dev.compute.extraEgress[2]: port 443 anywhere is already allowed to every task`},
		{"extra egress unknown key", set("environments.dev.compute.extraEgress", []any{map[string]any{"port": 587.0, "toPort": 588.0, "cidr": "0.0.0.0/0", "description": "SMTP"}}),
			`environments.dev.compute.extraEgress[0].toPort: unknown key; allowed keys here are cidr, description, port, protocol`},
		{"extra egress too long", set("environments.dev.compute.extraEgress", manyEgressRules(51)),
			`environments.dev.compute.extraEgress: 51 rules; at most 50 fit beside djangocdk's in a security group's 60 outbound rules`},
		{"a list item of the wrong type keeps its index and value", set("environments.dev.compute.queues", []any{map[string]any{"name": "celery", "concurrency": "4"}}),
			`environments.dev.compute.queues[0].concurrency: "4" is not allowed; want a whole number`},
		{"a string for a list of objects", set("environments.dev.compute.queues", "celery"),
			`environments.dev.compute.queues: "celery" is not allowed; want a list of objects`},
		{"a wrong type in defaults is named in defaults", set("defaults.compute.web.port", "8000"),
			`defaults.compute.web.port: "8000" is not allowed; want a whole number`},
		{"a defaults list item only one environment inherits", set("defaults.storage.corsAllowedOrigins", []any{"https://app.example.com", 443.0}),
			`defaults.storage.corsAllowedOrigins[1], for environment production: 443 is not allowed; want a string`},
		{"a typo in another environment fails this one", set("environments.production.network.natGateway", 3.0),
			`environments.production.network.natGateway: unknown key; allowed keys here are cidr, flowLogRetentionDays, nat, natGateways, natInstanceType`},
		{"a wrong type in another environment fails this one", set("environments.production.compute.web.gunicorn", map[string]any{"workers": "3"}),
			`environments.production.compute.web.gunicorn.workers: "3" is not allowed; want a whole number`},
		{"a bad value in another environment fails this one", set("environments.staging.compute.web.maxTasks", 0.0),
			`environments.staging.compute.web.maxTasks: 0 is not allowed; the construct would read it as "use my default", so give the number you mean`},
		{"admin URL not routed to Django", set("defaults.django.adminUrl", "manage-x7q2/"),
			`defaults.django.adminUrl: "manage-x7q2/" is not routed to Django: no frontend.djangoPaths pattern ["/api/*" "/admin/*"] matches /manage-x7q2/, so CloudFront would send the admin to the frontend app; add "/manage-x7q2/*" to frontend.djangoPaths`},
		{"us-east-1's CloudFront prefix list in another region", set("environments.dev.region", "eu-west-1", "environments.dev.availabilityZones", []any{"eu-west-1a", "eu-west-1b"},
			"environments.dev.compute.web.cloudFrontPrefixListId", "pl-3b927c52"),
			`environments.dev.compute.web.cloudFrontPrefixListId: "pl-3b927c52" is the CloudFront origin-facing prefix list of us-east-1, so the load balancer in eu-west-1 would refuse CloudFront; eu-west-1's is pl-4fa04526: remove the key to use it`},
		{"no known CloudFront prefix list in the region", set("environments.dev.region", "ap-east-1", "environments.dev.availabilityZones", []any{"ap-east-1a", "ap-east-1b"}),
			"compute.web.cloudFrontPrefixListId (djangocdk's default), for environment dev: empty, and djangocdk knows no CloudFront origin-facing prefix list of ap-east-1 (each region has its own id); " +
				"look it up with aws ec2 describe-managed-prefix-lists --region ap-east-1 --filters Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing and set it"},
		{"us-east-1's CloudFront prefix list in an unknown region", set("environments.dev.region", "ap-east-1", "environments.dev.availabilityZones", []any{"ap-east-1a", "ap-east-1b"},
			"environments.dev.compute.web.cloudFrontPrefixListId", "pl-3b927c52"),
			`environments.dev.compute.web.cloudFrontPrefixListId: "pl-3b927c52" is the CloudFront origin-facing prefix list of us-east-1, so the load balancer in ap-east-1 would refuse CloudFront; ` +
				"look up ap-east-1's with aws ec2 describe-managed-prefix-lists --region ap-east-1 --filters Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing"},
		{"overlapping VPCs in one account and region", set("environments.staging.account", "111111111111", "environments.staging.network.cidr", "10.10.128.0/17"),
			`environments.staging.network.cidr: "10.10.128.0/17" overlaps "10.10.0.0/16" of environments.dev (environments.dev.network.cidr); both deploy to account 111111111111 in us-east-1, where overlapping VPCs can never be peered or share a Transit Gateway: give each environment its own range`},
		{"the same default VPC range in one account", set("environments.staging.account", "111111111111", "environments.staging.network", map[string]any{}, "environments.dev.network", map[string]any{}),
			`network.cidr (djangocdk's default), for environment staging: "10.0.0.0/16" overlaps "10.0.0.0/16" of environments.dev (network.cidr (djangocdk's default)); both deploy to account 111111111111 in us-east-1, where overlapping VPCs can never be peered or share a Transit Gateway: give each environment its own range`},
		{"negative request budget", set("environments.dev.compute.web.requestBudgetSeconds", -5.0),
			`environments.dev.compute.web.requestBudgetSeconds: -5 is outside 1 to 3600 (seconds the slowest legitimate request takes)`},
		{"plain variable of the wrong type", set("environments.dev.django.environment", map[string]any{"FEATURE_FLAGS": "on", "WORKERS": 2.0}),
			`environments.dev.django.environment.WORKERS: 2 is not allowed; want a string`},
		{"plain variables: bad name, reserved, secret", set("defaults.django.environment", map[string]any{"1ST": "x", "DJANGO_ADMIN_URL": "ops/", "SENTRY_DSN": "https://x"}),
			`defaults.django.environment.1ST: "1ST" is not an environment variable name (letters, digits and _, not starting with a digit)` + "\n" +
				`defaults.django.environment.DJANGO_ADMIN_URL: "DJANGO_ADMIN_URL" is set by djangocdk itself; pick another name` + "\n" +
				`defaults.django.environment.SENTRY_DSN: "SENTRY_DSN" is also in django.thirdPartySecrets; a variable is either plain or secret`},
		{"plain variables not an object", set("environments.dev.django.environment", []any{"A=1"}),
			`environments.dev.django.environment: a list is not allowed; want an object of strings`},
		{"no repository", set("defaults.pipeline.repository", ""),
			`defaults.pipeline.repository: empty; name the monorepo as owner/name`},
		{"two problems at once", set("environments.dev.account", "x", "environments.dev.region", "moon"),
			`environments.dev.account: "x" is not an AWS account id; use its 12 digits` + "\n" +
				`environments.dev.region: "moon" is not an AWS region name such as us-east-1`},
		{"threshold zero", set("environments.dev.operations.queueDepth", 0.0),
			`environments.dev.operations.queueDepth: 0 is not allowed; the construct would read it as "use my default", so give the number you mean`},
		{"threshold negative", set("environments.dev.operations.queueAgeSeconds", -5.0),
			`environments.dev.operations.queueAgeSeconds: -5 is not above 0`},
		{"job with a bad cron", set("environments.dev.compute.jobs", []any{map[string]any{"name": "clearsessions", "schedule": "cron(0 3 * * * *)", "command": []any{"python", "manage.py", "clearsessions"}}}),
			`environments.dev.compute.jobs[0].schedule: "cron(0 3 * * * *)" is not a schedule: day-of-month "*" and day-of-week "*" are both set; one of them must be "?"; ` + jobScheduleHelp},
		{"job with a bad rate", set("environments.dev.compute.jobs", []any{map[string]any{"name": "ping", "schedule": "rate(1 hours)", "command": []any{"python", "manage.py", "ping"}}}),
			`environments.dev.compute.jobs[0].schedule: "rate(1 hours)" is not a schedule: a rate of 1 takes the singular unit "hour"; ` + jobScheduleHelp},
		{"job name twice", set("environments.dev.compute.jobs", []any{
			map[string]any{"name": "report", "schedule": "rate(1 day)", "command": []any{"python", "manage.py", "report"}},
			map[string]any{"name": "report", "schedule": "rate(2 days)", "command": []any{"python", "manage.py", "report", "--full"}}}),
			`environments.dev.compute.jobs[1].name: "report" is also compute.jobs[0]'s name; each job needs its own`},
		{"job with a bad command", set("environments.dev.compute.jobs", []any{
			map[string]any{"name": "empty", "schedule": "rate(1 day)", "command": []any{}},
			map[string]any{"name": "migrate-nightly", "schedule": "rate(1 day)", "command": []any{"python", "manage.py", "migrate"}, "cpu": 256.0, "memoryMiB": 4096.0}}),
			`environments.dev.compute.jobs[0].command: empty; give the command as a list of words, such as ["python", "manage.py", "clearsessions"]` + "\n" +
				`environments.dev.compute.jobs[1].command: ["python" "manage.py" "migrate"] runs migrations; only the migration task may (every task start would run them again)` + "\n" +
				`environments.dev.compute.jobs[1].memoryMiB: 4096 MiB of memory does not go with cpu 256 on Fargate (see the task size table)`},
		{"NAT none with gateways", set("environments.dev.network.nat", "none"),
			`network.natGateways (djangocdk's default), for environment dev: 1 with network.nat "none": a network without NAT has no gateways; set it to 0, or choose network.nat "instance" for cheap NAT`},
		{"unknown NAT", set("environments.dev.network.nat", "nat-gateway"),
			`environments.dev.network.nat: "nat-gateway" is not one of ["gateway" "instance" "none"]: "gateway" (managed NAT gateways, about $33 a month each plus an address), "instance" (NAT instances of natInstanceType, a few dollars a month, one instance is a single point of failure) or "none" (no NAT: tasks run in the public subnets with public IPs)`},
		{"NAT instance type", set("environments.dev.network.nat", "instance", "environments.dev.network.natInstanceType", "nano"),
			`environments.dev.network.natInstanceType: "nano" is not an EC2 instance type such as t4g.nano`},
		{"worker min tasks negative", set("environments.dev.compute.queues", []any{map[string]any{"name": "celery", "concurrency": 2.0, "cpu": 256.0, "memoryMiB": 512.0, "minTasks": -1.0, "maxTasks": 1.0, "stopTimeoutSeconds": 120.0}}),
			`environments.dev.compute.queues[0].minTasks: -1 is outside 0 to 1000 (0 scales to zero while the queue is empty, with ScaleToZero)`},
		{"web scaled to zero", set("environments.dev.compute.web.minTasks", 0.0),
			`environments.dev.compute.web.minTasks: 0: the web service keeps at least 1 task (a request cannot wake it up in time; only Celery queues, compute.queues[i].minTasks, scale to zero)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := cdkContext(t)
			ctx[stacks.EnvKey] = "dev"
			c.edit(ctx)
			app := stacks.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(filepath.Join(outRoot, "bad"))})
			_, err := stacks.Build(app)
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if want := "configuration error:\n" + c.want; err.Error() != want {
				t.Errorf("error:\n%s\nwant:\n%s", err, want)
			}
			if n := len(*app.Node().Children()); n != 0 {
				t.Errorf("%d stacks were created before the error; config must be checked first", n)
			}
		})
	}
}

// manyEgressRules returns n valid compute.extraEgress entries.
func manyEgressRules(n int) []any {
	var rules []any
	for i := range n {
		rules = append(rules, map[string]any{"port": float64(10000 + i), "cidr": "10.200.0.0/16", "description": "Partner service"})
	}
	return rules
}

// set returns an edit that sets each dotted path to the value after it,
// creating objects on the way.
func set(pathsAndValues ...any) func(map[string]any) {
	return func(ctx map[string]any) {
		for i := 0; i < len(pathsAndValues); i += 2 {
			parts := strings.Split(pathsAndValues[i].(string), ".")
			m := ctx
			for _, p := range parts[:len(parts)-1] {
				next, ok := m[p].(map[string]any)
				if !ok {
					next = map[string]any{}
					m[p] = next
				}
				m = next
			}
			m[parts[len(parts)-1]] = pathsAndValues[i+1]
		}
	}
}

// jobScheduleHelp ends every schedule error: what is allowed.
const jobScheduleHelp = `want cron(minutes hours day-of-month month day-of-week year), such as cron(0 3 * * ? *), with "?" in one of day-of-month and day-of-week, or rate(N unit), such as rate(1 hour) or rate(15 minutes) (EventBridge Scheduler's syntax, in UTC)`
