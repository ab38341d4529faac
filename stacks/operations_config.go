package stacks

import "fmt"

// OperationsConfig configures the alarms, their topic and the dashboard.
type OperationsConfig struct {
	// AlarmEmails are subscribed to the alarm topic.
	AlarmEmails []string `json:"alarmEmails"`
	// Dashboard creates the CloudWatch dashboard ($3 a month beyond an
	// account's first three); the alarms exist either way. Absent: true.
	Dashboard *bool `json:"dashboard"`
	// Thresholds of the alarms.
	Alb5xxPercent          float64 `json:"alb5xxPercent"`
	Target5xxPercent       float64 `json:"target5xxPercent"`
	LatencyP95Seconds      float64 `json:"latencyP95Seconds"`
	LatencyP99Seconds      float64 `json:"latencyP99Seconds"`
	ServiceCpuPercent      float64 `json:"serviceCpuPercent"`
	ServiceMemoryPercent   float64 `json:"serviceMemoryPercent"`
	QueueDepth             float64 `json:"queueDepth"`
	QueueAgeSeconds        float64 `json:"queueAgeSeconds"`
	DatabaseCpuPercent     float64 `json:"databaseCpuPercent"`
	DatabaseFreeStoragePct float64 `json:"databaseFreeStoragePercent"`
	DatabaseFreeMemoryPct  float64 `json:"databaseFreeMemoryPercent"`
	DatabaseConnectionsPct float64 `json:"databaseConnectionsPercent"`
	CacheCpuPercent        float64 `json:"cacheCpuPercent"`
	CacheMemoryPercent     float64 `json:"cacheMemoryPercent"`
}

// percent checks a percentage threshold.
func (v *validator) percent(path string, value float64) {
	if value <= 0 || value >= 100 {
		v.fail(path, "%g is not a percentage between 0 and 100", value)
	}
}

// positive checks a threshold that must be above zero.
func (v *validator) positive(path string, value float64) {
	if value <= 0 {
		v.fail(path, "%g is not above 0", value)
	}
}

func (o *OperationsConfig) validate(v *validator) {
	for i, email := range o.AlarmEmails {
		if !emailPattern.MatchString(email) {
			v.fail(fmt.Sprintf("operations.alarmEmails[%d]", i), "%q is not an email address", email)
		}
	}
	for _, t := range []struct {
		key   string
		value float64
	}{{"alb5xxPercent", o.Alb5xxPercent}, {"target5xxPercent", o.Target5xxPercent}, {"serviceCpuPercent", o.ServiceCpuPercent},
		{"serviceMemoryPercent", o.ServiceMemoryPercent}, {"databaseCpuPercent", o.DatabaseCpuPercent},
		{"databaseFreeStoragePercent", o.DatabaseFreeStoragePct}, {"databaseFreeMemoryPercent", o.DatabaseFreeMemoryPct},
		{"databaseConnectionsPercent", o.DatabaseConnectionsPct}, {"cacheCpuPercent", o.CacheCpuPercent}, {"cacheMemoryPercent", o.CacheMemoryPercent}} {
		v.percent("operations."+t.key, t.value)
	}
	v.positive("operations.latencyP95Seconds", o.LatencyP95Seconds)
	v.positive("operations.latencyP99Seconds", o.LatencyP99Seconds)
	v.positive("operations.queueDepth", o.QueueDepth)
	v.positive("operations.queueAgeSeconds", o.QueueAgeSeconds)
	if o.LatencyP99Seconds < o.LatencyP95Seconds {
		v.fail("operations.latencyP99Seconds", "%g is below operations.latencyP95Seconds (%g)", o.LatencyP99Seconds, o.LatencyP95Seconds)
	}
}
