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

func (o *OperationsConfig) validate(v *validator) {
	for i, email := range o.AlarmEmails {
		if !emailPattern.MatchString(email) {
			v.fail(fmt.Sprintf("operations.alarmEmails[%d]", i), "%q is not an email address", email)
		}
	}
}
