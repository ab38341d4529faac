package scheduledjob

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ScheduleHelp says what CheckSchedule accepts; errors end with it.
const ScheduleHelp = "want cron(minutes hours day-of-month month day-of-week year), such as cron(0 3 * * ? *), " +
	"with \"?\" in one of day-of-month and day-of-week, or rate(N unit), such as rate(1 hour) or rate(15 minutes) (EventBridge Scheduler's syntax, in UTC)"

// cronField is one field of a cron expression and what it accepts.
type cronField struct {
	name     string
	min, max int
	names    []string // names of min, min+1, ... (JAN, SUN), if any
	special  string   // the wildcards besides , - * / that the field allows
}

var cronFields = []cronField{
	{name: "minutes", min: 0, max: 59},
	{name: "hours", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31, special: "?LW"},
	{name: "month", min: 1, max: 12, names: strings.Fields("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC")},
	{name: "day-of-week", min: 1, max: 7, names: strings.Fields("SUN MON TUE WED THU FRI SAT"), special: "?L#"},
	{name: "year", min: 1970, max: 2199},
}

var (
	cronPattern = regexp.MustCompile(`^cron\((.*)\)$`)
	ratePattern = regexp.MustCompile(`^rate\(([0-9]+) ([a-z]+)\)$`)
)

// CheckSchedule reports whether expression is a cron or rate expression
// that EventBridge Scheduler accepts, and if not, what is wrong with it.
func CheckSchedule(expression string) error {
	problem := checkSchedule(expression)
	if problem == "" {
		return nil
	}
	return fmt.Errorf("%q is not a schedule: %s; %s", expression, problem, ScheduleHelp)
}

func checkSchedule(expression string) string {
	if m := ratePattern.FindStringSubmatch(expression); m != nil {
		return checkRate(m[1], m[2])
	}
	if strings.HasPrefix(expression, "rate(") {
		return "a rate is a whole number and a unit in parentheses"
	}
	m := cronPattern.FindStringSubmatch(expression)
	if m == nil {
		return "it is neither cron(...) nor rate(...)"
	}
	fields := strings.Split(m[1], " ")
	if len(fields) != len(cronFields) {
		return fmt.Sprintf("%d fields separated by single spaces, not 6", len(fields))
	}
	for i, f := range cronFields {
		if problem := f.check(fields[i]); problem != "" {
			return fmt.Sprintf("%s %q: %s", f.name, fields[i], problem)
		}
	}
	switch dom, dow := fields[2], fields[4]; {
	case dom == "?" && dow == "?":
		return "day-of-month and day-of-week are both \"?\"; one of them must say which days"
	case dom != "?" && dow != "?":
		return fmt.Sprintf("day-of-month %q and day-of-week %q are both set; one of them must be \"?\"", dom, dow)
	}
	return ""
}

func checkRate(value, unit string) string {
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 || value[0] == '0' {
		return fmt.Sprintf("%s is not a positive whole number", value)
	}
	singular := strings.TrimSuffix(unit, "s")
	if singular != "minute" && singular != "hour" && singular != "day" {
		return fmt.Sprintf("%q is not a unit; use minute(s), hour(s) or day(s)", unit)
	}
	switch {
	case n == 1 && unit != singular:
		return fmt.Sprintf("a rate of 1 takes the singular unit %q", singular)
	case n > 1 && unit == singular:
		return fmt.Sprintf("a rate of %d takes the plural unit %q", n, singular+"s")
	}
	return ""
}

// check returns what is wrong with value as field f, or "".
func (f cronField) check(value string) string {
	if value == "?" {
		if !strings.Contains(f.special, "?") {
			return "\"?\" is allowed in day-of-month and day-of-week only"
		}
		return ""
	}
	if value == "*" {
		return ""
	}
	for _, item := range strings.Split(value, ",") {
		if problem := f.checkItem(item); problem != "" {
			return problem
		}
	}
	return ""
}

// checkItem checks one element of a comma-separated list.
func (f cronField) checkItem(item string) string {
	if item == "" {
		return "an empty list element"
	}
	if strings.Contains(item, "?") {
		return "\"?\" must be the whole field"
	}
	// The field-specific forms: L, nW (day-of-month); L, nL, n#k
	// (day-of-week). No name of these fields contains L, W or #.
	if strings.ContainsAny(item, strings.Trim(f.special, "?")) {
		return f.checkSpecial(item)
	}
	base, step, stepped := strings.Cut(item, "/")
	if stepped {
		n, err := strconv.Atoi(step)
		if err != nil || n < 1 || n > f.max {
			return fmt.Sprintf("the increment %q is not a whole number from 1 to %d", step, f.max)
		}
		if base == "*" {
			return ""
		}
	}
	if base == "*" {
		return "\"*\" must be the whole field, or start an increment such as */5"
	}
	from, to, ranged := strings.Cut(base, "-")
	a, problem := f.value(from)
	if problem != "" {
		return problem
	}
	if ranged {
		b, problem := f.value(to)
		if problem != "" {
			return problem
		}
		if a > b {
			return fmt.Sprintf("the range %s runs backwards", base)
		}
	}
	return ""
}

// checkSpecial checks the L, W and # forms.
func (f cronField) checkSpecial(item string) string {
	switch {
	case f.name == "day-of-month" && item == "L":
		return ""
	case f.name == "day-of-month" && strings.HasSuffix(item, "W"):
		if _, problem := f.value(strings.TrimSuffix(item, "W")); problem != "" {
			return "W follows one day of the month, such as 15W (the weekday nearest the 15th)"
		}
		return ""
	case f.name == "day-of-week" && item == "L":
		return ""
	case f.name == "day-of-week" && strings.HasSuffix(item, "L"):
		if _, problem := f.value(strings.TrimSuffix(item, "L")); problem != "" {
			return "L follows one day of the week, such as 6L (the month's last Friday)"
		}
		return ""
	case f.name == "day-of-week" && strings.Contains(item, "#"):
		day, nth, _ := strings.Cut(item, "#")
		if _, problem := f.value(day); problem != "" {
			return problem
		}
		if n, err := strconv.Atoi(nth); err != nil || n < 1 || n > 5 {
			return fmt.Sprintf("the week %q after # is not 1 to 5", nth)
		}
		return ""
	}
	return fmt.Sprintf("%q is not allowed in %s", item, f.name)
}

// value parses one value of f: a number within its bounds or a name.
func (f cronField) value(s string) (int, string) {
	for i, name := range f.names {
		if strings.EqualFold(s, name) {
			return f.min + i, ""
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < f.min || n > f.max {
		allowed := fmt.Sprintf("%d to %d", f.min, f.max)
		if f.names != nil {
			allowed += fmt.Sprintf(" or %s to %s", f.names[0], f.names[len(f.names)-1])
		}
		return 0, fmt.Sprintf("%q is not %s", s, allowed)
	}
	return n, ""
}
