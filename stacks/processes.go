package stacks

// ProcessKind is how the compute layer runs a process of the Django image;
// each kind has its construct.
type ProcessKind string

// The kinds of process.
const (
	// WebKind serves HTTP behind the load balancer (djangoweb).
	WebKind ProcessKind = "web"
	// BeatKind schedules Celery's periodic tasks, one at a time (celerybeat).
	BeatKind ProcessKind = "beat"
	// WorkerKind consumes one Celery queue (celeryworker).
	WorkerKind ProcessKind = "worker"
	// MigrationKind runs once per release, not as a service: migrate, and
	// collectstatic with its settings (migration, staticfiles).
	MigrationKind ProcessKind = "migration"
	// JobKind runs a management command on a schedule (scheduledjob), with
	// the migration task's settings and its own security group.
	JobKind ProcessKind = "job"
)

// groupID is the id of the kind's task security group in the Data stack:
// processes of one kind share a group, so rules and flow logs tell kinds
// apart.
func (k ProcessKind) groupID() string {
	return exportName(string(k)) + "Tasks"
}

// A Process is one command the compute layer runs from the Django image.
// Config describes each process once (Config.Processes); every stack
// derives what it needs from that list: the Data stack a security group
// per kind that the database and the cache admit, the Compute stack the
// kind's construct, the Pipeline stack the services a release updates and
// the Operations stack the services and queues it watches. A new process
// is a config entry; a new kind is a ProcessKind and its case in the
// Compute stack.
type Process struct {
	// Name identifies the process in service names, shared parameters,
	// alarms and the dashboard: "web", "beat", "worker-<queue>", "migrate",
	// "job-<name>".
	Name string
	// Kind says how it runs.
	Kind ProcessKind
	// Queue is a worker's Celery queue; "" for the other kinds.
	Queue string
	// Job is a job's name (compute.jobs[].name); "" for the other kinds.
	Job string
	// Task sizes its task.
	Task TaskConfig

	// index is a worker's entry in compute.queues, a job's in compute.jobs.
	index int
}

// Service reports whether p runs as an ECS service, which each release
// updates and operations watch.
func (p Process) Service() bool { return p.Kind != MigrationKind && p.Kind != JobKind }

// tracingService is p's name in traces; "" for a process that is not traced.
func (p Process) tracingService() string {
	if !p.Service() {
		return ""
	}
	return p.Name
}

// Processes returns the processes of c's environment in a fixed order:
// web, beat, a worker per queue in the order of compute.queues, migrate,
// a job per compute.jobs entry in its order ("job-<name>").
func (c *Config) Processes() []Process {
	w := c.Compute.Web
	processes := []Process{
		{Name: "web", Kind: WebKind, Task: TaskConfig{
			Cpu: w.Cpu, MemoryMiB: w.MemoryMiB, Command: w.Command,
			ReadonlyRootFilesystem: w.ReadonlyRootFilesystem, WritablePaths: w.WritablePaths,
		}},
		{Name: "beat", Kind: BeatKind, Task: c.Compute.Beat},
	}
	for i, q := range c.Compute.Queues {
		processes = append(processes, Process{Name: "worker-" + q.Name, Kind: WorkerKind, Queue: q.Name, index: i, Task: TaskConfig{
			Cpu: q.Cpu, MemoryMiB: q.MemoryMiB, Command: q.Command,
			ReadonlyRootFilesystem: q.ReadonlyRootFilesystem, WritablePaths: q.WritablePaths,
		}})
	}
	m := c.Compute.Migration
	processes = append(processes, Process{Name: "migrate", Kind: MigrationKind, Task: m})
	for i, j := range c.Compute.Jobs {
		cpu, memory := j.size(m)
		processes = append(processes, Process{Name: "job-" + j.Name, Kind: JobKind, Job: j.Name, index: i, Task: TaskConfig{
			Cpu: cpu, MemoryMiB: memory, Command: j.Command,
			ReadonlyRootFilesystem: m.ReadonlyRootFilesystem, WritablePaths: m.WritablePaths,
		}})
	}
	return processes
}

// services returns the processes that run as ECS services, in order.
func (c *Config) services() []Process {
	var services []Process
	for _, p := range c.Processes() {
		if p.Service() {
			services = append(services, p)
		}
	}
	return services
}

// processKinds returns the kinds of c's processes, each once, in the order
// of their first process.
func (c *Config) processKinds() []ProcessKind {
	var kinds []ProcessKind
	seen := map[ProcessKind]bool{}
	for _, p := range c.Processes() {
		if !seen[p.Kind] {
			seen[p.Kind] = true
			kinds = append(kinds, p.Kind)
		}
	}
	return kinds
}
