package stacks

import (
	"fmt"

	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/scheduledjob"
)

// JobConfig is one scheduled job (compute.jobs[]): a management command run
// on a schedule as its own task, with the migration task's settings.
type JobConfig struct {
	// Name identifies the job: its task family <project>-<env>-job-<name>,
	// its alarm and its dashboard widget.
	Name string `json:"name"`
	// Schedule is a cron(...) or rate(...) expression of EventBridge
	// Scheduler, in UTC.
	Schedule string `json:"schedule"`
	// Command the container runs, such as ["python", "manage.py", "clearsessions"].
	Command []string `json:"command"`
	// Cpu and MemoryMiB size the task; 0 or absent: the migration task's.
	Cpu       int `json:"cpu"`
	MemoryMiB int `json:"memoryMiB"`
	// TimeoutMinutes stops a run that lasts longer and alarms; 0 or absent: no limit.
	TimeoutMinutes int `json:"timeoutMinutes"`
}

// size returns the job's cpu and memory, the migration task's where unset.
func (j JobConfig) size(migration TaskConfig) (cpu, memoryMiB int) {
	cpu, memoryMiB = j.Cpu, j.MemoryMiB
	if cpu == 0 {
		cpu = migration.Cpu
	}
	if memoryMiB == 0 {
		memoryMiB = migration.MemoryMiB
	}
	return cpu, memoryMiB
}

// validateJobs checks compute.jobs.
func (c *ComputeConfig) validateJobs(v *validator) {
	names := map[string]int{}
	for i, j := range c.Jobs {
		path := fmt.Sprintf("compute.jobs[%d]", i)
		v.check(path+".name", scheduledjob.CheckName(j.Name))
		if first, dup := names[j.Name]; dup {
			v.fail(path+".name", "%q is also compute.jobs[%d]'s name; each job needs its own", j.Name, first)
		} else {
			names[j.Name] = i
		}
		v.check(path+".schedule", scheduledjob.CheckSchedule(j.Schedule))
		switch {
		case len(j.Command) == 0:
			v.fail(path+".command", "empty; give the command as a list of words, such as [\"python\", \"manage.py\", \"clearsessions\"]")
		default:
			for k, word := range j.Command {
				if word == "" {
					v.fail(fmt.Sprintf("%s.command[%d]", path, k), "empty word in %q; remove it or quote what belongs there", j.Command)
				}
			}
			v.noMigrations(path+".command", j.Command)
		}
		cpu, memory := j.size(c.Migration)
		v.check(path+".memoryMiB", apptask.CheckSize(cpu, memory))
		v.within(path+".timeoutMinutes", j.TimeoutMinutes, 0, scheduledjob.MaxTimeoutMinutes, "minutes, 0 for no limit; at most a week")
	}
}
