package stacks

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/djangocdk/djangocdk/stacks/internal/layered"
)

// builtInDefaults are djangocdk's own defaults: every key except what a
// team must decide (project, account, region, availabilityZones, the
// pipeline's repository and connection, Django's allowed hosts). cdk.json's
// "defaults" and "environments.<name>" override them key by key.
//
//go:embed defaults.json
var builtInDefaults []byte

// BuiltInLayer names the layer of djangocdk's own defaults in error messages.
const BuiltInLayer = "djangocdk's default"

// BuiltInDefaults returns djangocdk's own defaults, a fresh copy each call.
func BuiltInDefaults() map[string]any {
	var m map[string]any
	if err := json.Unmarshal(builtInDefaults, &m); err != nil {
		panic("stacks/defaults.json: " + err.Error()) // embedded and tested: cannot happen
	}
	return m
}

// LoadConfig builds the Config of the environment named by context[EnvKey]
// from djangocdk's built-in defaults, context[DefaultsKey] and
// context[EnvironmentsKey]. context holds the values of the CDK app's
// context, as decoded from JSON. Every environment is decoded and
// validated, not only the selected one: a mistake anywhere in cdk.json
// fails every synthesis. Every error names the key path where the value
// was set (with list indexes), the value and what is allowed.
func LoadConfig(context map[string]any) (*Config, error) {
	environments, ok := context[EnvironmentsKey].(map[string]any)
	if !ok || len(environments) == 0 {
		return nil, fmt.Errorf("%s: missing or not an object; cdk.json must map each environment name to its settings", EnvironmentsKey)
	}
	names := make([]string, 0, len(environments))
	for name := range environments {
		names = append(names, name)
	}
	sort.Strings(names)
	env, _ := context[EnvKey].(string)
	if env == "" {
		return nil, fmt.Errorf("%s: not set; pass -c env=NAME with one of %s", EnvKey, strings.Join(names, ", "))
	}
	if _, found := environments[env]; !found {
		return nil, fmt.Errorf("%s: %q is not a configured environment; choose one of %s", EnvKey, env, strings.Join(names, ", "))
	}
	defaults := map[string]any{}
	if d, set := context[DefaultsKey]; set {
		if defaults, ok = d.(map[string]any); !ok {
			return nil, fmt.Errorf("%s: %s is not an object of the settings shared by every environment", DefaultsKey, layered.Describe(d))
		}
	}

	configs := map[string]*Config{}
	sources := map[string]*layered.Source{}
	perEnv := map[string][]string{}
	for _, name := range names {
		cfg, src, problems := loadEnvironment(name, defaults, environments[name])
		if cfg != nil {
			configs[name], sources[name] = cfg, src
		}
		perEnv[name] = problems
	}
	crossEnvironment(names, configs, sources, perEnv)
	if err := report(env, names, perEnv); err != nil {
		return nil, err
	}
	return configs[env], nil
}

// loadEnvironment decodes and validates environment name. It returns the
// Config (nil if it could not be decoded), its source and its problems.
func loadEnvironment(name string, defaults map[string]any, settings any) (*Config, *layered.Source, []string) {
	envPath := EnvironmentsKey + "." + name
	if !envPattern.MatchString(name) {
		return nil, nil, []string{fmt.Sprintf("%s: %q is not a valid environment name; use 1 to 12 lowercase letters and digits, starting with a letter", envPath, name)}
	}
	overrides, ok := settings.(map[string]any)
	if !ok {
		return nil, nil, []string{fmt.Sprintf("%s: %s is not an object of settings", envPath, layered.Describe(settings))}
	}
	src := layered.New(
		layered.Layer{Name: BuiltInLayer, Settings: BuiltInDefaults(), BuiltIn: true},
		layered.Layer{Name: DefaultsKey, Settings: defaults},
		layered.Layer{Name: envPath, Settings: overrides},
	)
	cfg := &Config{Env: name}
	if err := src.Decode(cfg); err != nil {
		return nil, nil, strings.Split(err.Error(), "\n")
	}
	return cfg, src, cfg.validate(src)
}

// crossEnvironment adds the problems of two environments together: VPC
// ranges that overlap in one account and region.
func crossEnvironment(names []string, configs map[string]*Config, sources map[string]*layered.Source, perEnv map[string][]string) {
	for j, b := range names {
		for _, a := range names[:j] {
			ca, cb := configs[a], configs[b]
			if ca == nil || cb == nil || ca.Account != cb.Account || ca.Region != cb.Region {
				continue
			}
			pa, errA := netip.ParsePrefix(ca.Network.Cidr)
			pb, errB := netip.ParsePrefix(cb.Network.Cidr)
			if errA != nil || errB != nil || !pa.Overlaps(pb) {
				continue
			}
			perEnv[b] = append(perEnv[b], fmt.Sprintf("%s: %q overlaps %q of environments.%s (%s); both deploy to account %s in %s, where overlapping VPCs can never be peered or share a Transit Gateway: give each environment its own range",
				sources[b].Origin("network.cidr"), cb.Network.Cidr, ca.Network.Cidr, a, sources[a].Origin("network.cidr"), cb.Account, cb.Region))
		}
	}
}

// report joins the problems of every environment, the selected one's
// first, into one error (nil without problems). A problem that names a
// shared key (defaults or djangocdk's) is reported once if every
// environment has it; else it says which environment it is about.
func report(selected string, names []string, perEnv map[string][]string) error {
	count := map[string]int{}
	for _, name := range names {
		seen := map[string]bool{}
		for _, p := range perEnv[name] {
			if !seen[p] {
				seen[p] = true
				count[p]++
			}
		}
	}
	order := append([]string{selected}, names...)
	var out []string
	done := map[string]bool{}
	for _, name := range order {
		for _, p := range perEnv[name] {
			if count[p] < len(names) && !strings.Contains(p, EnvironmentsKey+"."+name) {
				p = forEnvironment(p, name)
			}
			if !done[p] {
				done[p] = true
				out = append(out, p)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return errors.New(strings.Join(out, "\n"))
}

// forEnvironment says which environment a problem of a shared key is about:
// "defaults.x, for environment dev: ...".
func forEnvironment(problem, env string) string {
	key, rest, found := strings.Cut(problem, ": ")
	if !found || strings.Contains(key, " ") && !strings.HasSuffix(key, "("+BuiltInLayer+")") {
		return "environment " + env + ": " + problem
	}
	return key + ", for environment " + env + ": " + rest
}
