package storage

import (
	"testing"

	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
)

func TestValidate(t *testing.T) {
	if err := (&Props{}).Validate(); err != nil {
		t.Errorf("the defaults: %v", err)
	}
	cases := map[string]struct {
		props Props
		field string
		want  string
	}{
		"origin":      {Props{CorsAllowedOrigins: []string{"https://a.example.com", "a.example.com"}}, "CorsAllowedOrigins[1]", `storage.Props.CorsAllowedOrigins[1]: "a.example.com" is not an origin such as https://app.example.com (scheme and host, no path or trailing slash)`},
		"noncurrent":  {Props{NoncurrentVersionDays: -1}, "NoncurrentVersionDays", "storage.Props.NoncurrentVersionDays: -1 is less than 1"},
		"access logs": {Props{AccessLogDays: -3}, "AccessLogDays", "storage.Props.AccessLogDays: -3 is less than 1"},
	}
	for name, c := range cases {
		err := c.props.Validate()
		fields := propserr.Fields(err)
		if err == nil || err.Error() != c.want || len(fields) != 1 || fields[0].Field != c.field {
			t.Errorf("%s: Validate = %v, want %q on %s", name, err, c.want, c.field)
		}
	}
}
