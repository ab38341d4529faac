package database

import (
	"testing"

	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
)

// Validate reports the value fields, each as a field of Props, and leaves
// the wiring (Vpc, Subnets, InstanceIdentifier, RotationSubnets) to New.
func TestValidate(t *testing.T) {
	if err := (&Props{RotationDays: 30}).Validate(); err != nil {
		t.Errorf("the defaults, rotation without its subnets: %v", err)
	}
	cases := map[string]struct {
		props Props
		field string
		want  string
	}{
		"class":       {Props{InstanceClass: "t4g.micro"}, "InstanceClass", `database.Props.InstanceClass: "t4g.micro" is not an RDS instance class such as db.t4g.micro`},
		"storage":     {Props{AllocatedStorageGiB: 10}, "AllocatedStorageGiB", "database.Props.AllocatedStorageGiB: 10 is outside gp3's 20 to 65536"},
		"max storage": {Props{MaxAllocatedStorageGiB: 10}, "MaxAllocatedStorageGiB", "database.Props.MaxAllocatedStorageGiB: 10 is not between AllocatedStorageGiB (20) and 65536, or Off (-1)"},
		"backups":     {Props{BackupRetentionDays: 36}, "BackupRetentionDays", "database.Props.BackupRetentionDays: 36 is outside 1 to 35"},
		"rotation":    {Props{RotationDays: 1001}, "RotationDays", "database.Props.RotationDays: 1001 is outside 0 (off) to 1000"},
		"monitoring":  {Props{MonitoringIntervalSeconds: 20}, "MonitoringIntervalSeconds", "database.Props.MonitoringIntervalSeconds: 20 is not an Enhanced Monitoring interval; use 1, 5, 10, 15, 30 or 60 seconds, or 0 for off"},
	}
	for name, c := range cases {
		err := c.props.Validate()
		fields := propserr.Fields(err)
		if err == nil || err.Error() != c.want || len(fields) != 1 || fields[0].Field != c.field {
			t.Errorf("%s: Validate = %v, want %q on %s", name, err, c.want, c.field)
		}
	}
}
