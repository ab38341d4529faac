package scheduledjob

import (
	"strings"
	"testing"
)

func TestCheckSchedule(t *testing.T) {
	for _, c := range []struct {
		expression string
		problem    string // "" when valid; else a part of the error
	}{
		{"cron(0 3 * * ? *)", ""},
		{"cron(15 10 ? * MON-FRI *)", ""},
		{"cron(0/15 * * * ? *)", ""},
		{"cron(*/5 8-17 ? * 2-6 *)", ""},
		{"cron(0 0 L * ? *)", ""},
		{"cron(0 9 15W * ? *)", ""},
		{"cron(0 9 ? * 6L *)", ""},
		{"cron(0 9 ? * 3#2 *)", ""},
		{"cron(0 9 ? JAN,JUL WED 2027-2030)", ""},
		{"cron(0,30 1,13 1,15 * ? *)", ""},
		{"rate(1 minute)", ""},
		{"rate(15 minutes)", ""},
		{"rate(1 hour)", ""},
		{"rate(2 days)", ""},
		{"cron(0 3 * * *)", "5 fields separated by single spaces, not 6"},
		{"cron(0 3 * * * *)", `day-of-month "*" and day-of-week "*" are both set; one of them must be "?"`},
		{"cron(0 3 ? * ? *)", "both \"?\""},
		{"cron(60 3 * * ? *)", `minutes "60": "60" is not 0 to 59`},
		{"cron(0 24 * * ? *)", `hours "24": "24" is not 0 to 23`},
		{"cron(0 3 0 * ? *)", `day-of-month "0": "0" is not 1 to 31`},
		{"cron(0 3 * 13 ? *)", `month "13": "13" is not 1 to 12 or JAN to DEC`},
		{"cron(0 3 ? * MON-FUN *)", `"FUN" is not 1 to 7 or SUN to SAT`},
		{"cron(0 3 ? * 8 *)", `day-of-week "8"`},
		{"cron(0 3 * * ? 1969)", `year "1969": "1969" is not 1970 to 2199`},
		{"cron(? 3 * * ? *)", `minutes "?": "?" is allowed in day-of-month and day-of-week only`},
		{"cron(0 17-9 * * ? *)", "the range 17-9 runs backwards"},
		{"cron(0/0 * * * ? *)", `the increment "0" is not a whole number from 1 to 59`},
		{"cron(0 3 L * L *)", "are both set"},
		{"cron(0 3 ? * 3#6 *)", `the week "6" after # is not 1 to 5`},
		{"cron(0 3 32W * ? *)", "W follows one day of the month"},
		{"cron(0 3 ? * 3W *)", `"3W" is not 1 to 7 or SUN to SAT`},
		{"cron(0 3 L W ? *)", `month "W"`},
		{"cron(0 3 1,,2 * ? *)", "an empty list element"},
		{"cron(0  3 * * ? *)", "7 fields"},
		{"rate(1 minutes)", `a rate of 1 takes the singular unit "minute"`},
		{"rate(5 minute)", `a rate of 5 takes the plural unit "minutes"`},
		{"rate(0 hours)", "0 is not a positive whole number"},
		{"rate(2 weeks)", `"weeks" is not a unit`},
		{"rate(1.5 hours)", "a rate is a whole number and a unit"},
		{"at(2027-01-01T00:00:00)", "neither cron(...) nor rate(...)"},
		{"0 3 * * *", "neither cron(...) nor rate(...)"},
		{"", "neither"},
	} {
		err := CheckSchedule(c.expression)
		switch {
		case c.problem == "" && err != nil:
			t.Errorf("CheckSchedule(%q) = %v, want nil", c.expression, err)
		case c.problem != "" && err == nil:
			t.Errorf("CheckSchedule(%q) = nil, want an error with %q", c.expression, c.problem)
		case c.problem != "" && !strings.Contains(err.Error(), c.problem):
			t.Errorf("CheckSchedule(%q) = %v, want an error with %q", c.expression, err, c.problem)
		case err != nil && !strings.HasSuffix(err.Error(), ScheduleHelp):
			t.Errorf("CheckSchedule(%q) = %v, want it to end with what is allowed", c.expression, err)
		}
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{"clearsessions": true, "nightly-report2": true, "": false, "Reports": false, "2fa-cleanup": false, "a_b": false} {
		if err := CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v", name, err)
		}
	}
}
