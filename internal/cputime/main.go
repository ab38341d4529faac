//go:build linux

// Command cputime runs a command and prints its wall time and the CPU time
// (user and system) of the command and of every process it started,
// including processes left behind when their parent exited first: a jsii
// app does not wait for its node process, so time(1) would miss node's
// share. It makes itself a child subreaper, so orphans are handed to it,
// and reaps every descendant before it reads the children's rusage.
//
// Usage: cputime command [arg...]; prints "WALL USER SYS" in seconds on
// stderr, after the command's own output. The exit status is the
// command's.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER from linux/prctl.h.
const prSetChildSubreaper = 36

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: cputime command [arg...]")
		os.Exit(2)
	}
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		fmt.Fprintf(os.Stderr, "cputime: becoming a child subreaper: %v\n", errno)
		os.Exit(2)
	}
	start := time.Now()
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		fmt.Fprintf(os.Stderr, "cputime: %v\n", err)
		os.Exit(2)
	}
	// Reap the orphans (node processes a jsii app leaves running).
	for {
		var status syscall.WaitStatus
		if _, err := syscall.Wait4(-1, &status, 0, nil); errors.Is(err, syscall.ECHILD) {
			break
		} else if err != nil && !errors.Is(err, syscall.EINTR) {
			fmt.Fprintf(os.Stderr, "cputime: waiting for descendants: %v\n", err)
			os.Exit(2)
		}
	}
	wall := time.Since(start)
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &usage); err != nil {
		fmt.Fprintf(os.Stderr, "cputime: %v\n", err)
		os.Exit(2)
	}
	seconds := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	fmt.Fprintf(os.Stderr, "%.2f %.2f %.2f\n", wall.Seconds(), seconds(usage.Utime), seconds(usage.Stime))
	os.Exit(code)
}
