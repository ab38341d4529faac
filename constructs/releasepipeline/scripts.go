package releasepipeline

import (
	"embed"
	"encoding/base64"
	"fmt"
)

// The release scripts, run by CodeBuild; scripts_test.go runs them against
// a fake AWS CLI.
//
//go:embed scripts/*.sh
var scripts embed.FS

// scriptCommand returns a shell command that writes the embedded script
// name to /tmp and runs it. The script travels base64-encoded so that no
// quoting or YAML rule can change it on the way into the buildspec.
func scriptCommand(name string) string {
	body, err := scripts.ReadFile("scripts/" + name)
	if err != nil {
		panic(fmt.Sprintf("releasepipeline: no embedded script %s", name)) // a build-time mistake
	}
	return fmt.Sprintf("echo %s | base64 -d > /tmp/%s && bash /tmp/%s", base64.StdEncoding.EncodeToString(body), name, name)
}
