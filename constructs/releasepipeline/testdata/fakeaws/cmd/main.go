// Command fakeaws is the fake aws, docker, sleep and date of the release
// scripts' tests.
package main

import "github.com/djangocdk/djangocdk/constructs/releasepipeline/testdata/fakeaws"

func main() { fakeaws.Main() }
