package releasepipeline

import (
	"embed"
	"encoding/base64"
	"fmt"
	"strings"
)

// The release scripts, run by CodeBuild; scripts_test.go runs them against
// a fake AWS CLI.
//
//go:embed scripts/*.sh
var scripts embed.FS

// scriptDir is where the buildspecs write the scripts.
const scriptDir = "/tmp/release"

// scriptCommand returns a shell command that writes the embedded script
// name to scriptDir and runs it.
func scriptCommand(name string) string {
	return scriptsCommand(name)
}

// scriptsCommand returns a shell command that writes the embedded scripts
// run and others to scriptDir, side by side, and runs run. The scripts
// travel base64-encoded so that no quoting or YAML rule can change them on
// the way into the buildspec.
func scriptsCommand(run string, others ...string) string {
	parts := []string{"mkdir -p " + scriptDir}
	for _, name := range append([]string{run}, others...) {
		body, err := scripts.ReadFile("scripts/" + name)
		if err != nil {
			panic(fmt.Sprintf("releasepipeline: no embedded script %s", name)) // a build-time mistake
		}
		parts = append(parts, fmt.Sprintf("echo %s | base64 -d > %s/%s", base64.StdEncoding.EncodeToString(body), scriptDir, name))
	}
	return strings.Join(append(parts, fmt.Sprintf("bash %s/%s", scriptDir, run)), " && ")
}
