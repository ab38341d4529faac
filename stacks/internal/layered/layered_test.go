package layered

import (
	"encoding/json"
	"reflect"
	"testing"
)

// settings decodes a JSON object, as the CDK app's context is.
func settings(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func source(t *testing.T, defaults, overrides string) *Source {
	t.Helper()
	return New(Layer{Name: "defaults", Settings: settings(t, defaults)}, Layer{Name: "environments.dev", Settings: settings(t, overrides)})
}

func TestMerge(t *testing.T) {
	base := settings(t, `{"a": 1, "obj": {"x": 1, "y": 2}, "list": [1, 2, 3], "kept": "yes"}`)
	override := settings(t, `{"a": 2, "obj": {"y": 3, "z": 4}, "list": [9], "new": true}`)
	got := Merge(base, override)
	want := settings(t, `{"a": 2, "obj": {"x": 1, "y": 3, "z": 4}, "list": [9], "kept": "yes", "new": true}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Merge = %v, want %v", got, want)
	}
	// An object replaces a scalar and the other way round.
	got = Merge(settings(t, `{"a": 1, "b": {"x": 1}}`), settings(t, `{"a": {"y": 2}, "b": 3}`))
	if want := settings(t, `{"a": {"y": 2}, "b": 3}`); !reflect.DeepEqual(got, want) {
		t.Errorf("Merge = %v, want %v", got, want)
	}
	// The inputs are left alone.
	if !reflect.DeepEqual(base, settings(t, `{"a": 1, "obj": {"x": 1, "y": 2}, "list": [1, 2, 3], "kept": "yes"}`)) {
		t.Errorf("Merge changed its base: %v", base)
	}
}

func TestLookup(t *testing.T) {
	m := settings(t, `{"a": {"b": [{"c": 1}, {"c": 2}]}, "s": "x"}`)
	for _, tc := range []struct {
		path  string
		want  any
		found bool
	}{
		{"s", "x", true},
		{"a.b[1].c", 2.0, true},
		{"a.b[0]", map[string]any{"c": 1.0}, true},
		{"a.b[2]", nil, false},
		{"a.b[x]", nil, false},
		{"s[0]", nil, false},
		{"s.t", nil, false},
		{"missing", nil, false},
	} {
		got, found := Lookup(m, tc.path)
		if found != tc.found || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tc.path, got, found, tc.want, tc.found)
		}
	}
}

func TestOrigin(t *testing.T) {
	s := source(t, `{"net": {"cidr": "10.0.0.0/16", "nat": 1}, "apps": [{"name": "a"}]}`,
		`{"net": {"nat": 2}, "queues": [{"name": "q"}, {"name": "r"}]}`)
	for path, want := range map[string]string{
		"net.cidr":          "defaults.net.cidr",
		"net.nat":           "environments.dev.net.nat",
		"net.missing":       "environments.dev.net.missing",
		"apps[0].name":      "defaults.apps[0].name",
		"apps[0].spa":       "defaults.apps[0].spa", // the list's layer holds its items' keys, even left out ones
		"queues[1].name":    "environments.dev.queues[1].name",
		"queues[1].command": "environments.dev.queues[1].command",
		"queues[5].name":    "environments.dev.queues[5].name",
	} {
		if got := s.Origin(path); got != want {
			t.Errorf("Origin(%q) = %q, want %q", path, got, want)
		}
	}
}

type item struct {
	Name string   `json:"name"`
	Size int      `json:"size"`
	Tags []string `json:"tags"`
}

type config struct {
	Env   string  `json:"-"`
	Title string  `json:"title"`
	Ratio float64 `json:"ratio"`
	On    bool    `json:"on"`
	Inner struct {
		Port int `json:"port"`
	} `json:"inner"`
	Items []item            `json:"items"`
	Names []string          `json:"names"`
	Vars  map[string]string `json:"vars"`
	Size  *int              `json:"size"`
}

func TestDecode(t *testing.T) {
	var c config
	err := source(t, `{"title": "t", "ratio": 0.5, "inner": {"port": 80}, "items": [{"name": "a", "size": 1}]}`,
		`{"on": true, "inner": {"port": 8080}}`).Decode(&c)
	if err != nil {
		t.Fatal(err)
	}
	if c.Title != "t" || c.Ratio != 0.5 || !c.On || c.Inner.Port != 8080 || len(c.Items) != 1 || c.Items[0].Name != "a" || c.Items[0].Size != 1 {
		t.Errorf("Decode = %+v", c)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, defaults, overrides, want string
	}{
		{"unknown key in the defaults", `{"title": "t", "titel": "u"}`, `{}`,
			"defaults.titel: unknown key; allowed keys here are inner, items, names, on, ratio, size, title, vars"},
		{"unknown keys are all listed, sorted", `{"inner": {"prot": 1}}`, `{"zz": 1, "aa": 2}`,
			"environments.dev.aa: unknown key; allowed keys here are inner, items, names, on, ratio, size, title, vars\n" +
				"defaults.inner.prot: unknown key; allowed keys here are port\n" +
				"environments.dev.zz: unknown key; allowed keys here are inner, items, names, on, ratio, size, title, vars"},
		{"unknown key in a list item", `{"items": [{"name": "a"}]}`, `{"items": [{"name": "a"}, {"nmae": "b"}]}`,
			"environments.dev.items[1].nmae: unknown key; allowed keys here are name, size, tags"},
		{"the json:\"-\" field is no key", `{}`, `{"Env": "x"}`,
			"environments.dev.Env: unknown key; allowed keys here are inner, items, names, on, ratio, size, title, vars"},
		{"a string for a number", `{"ratio": "half"}`, `{}`,
			`defaults.ratio: "half" is not allowed; want a number`},
		{"a number for a whole number", `{}`, `{"inner": {"port": 80.5}}`,
			"environments.dev.inner.port: 80.5 is not allowed; want a whole number"},
		{"a list for a bool", `{}`, `{"on": [true]}`,
			"environments.dev.on: a list is not allowed; want true or false"},
		{"an object for a string", `{"title": {"a": 1}}`, `{}`,
			"defaults.title: an object is not allowed; want a string"},
		{"a string for a list", `{"names": "x"}`, `{}`,
			`defaults.names: "x" is not allowed; want a list of strings`},
		{"a list item's key keeps its index", `{"items": [{"name": "a"}]}`, `{"items": [{"name": "a"}, {"name": "b", "size": "2"}]}`,
			`environments.dev.items[1].size: "2" is not allowed; want a whole number`},
		{"a list item of the defaults is named there", `{"items": [{"name": "a", "size": 1.5}]}`, `{}`,
			"defaults.items[0].size: 1.5 is not allowed; want a whole number"},
		{"a string for a list of objects", `{}`, `{"items": "a"}`,
			`environments.dev.items: "a" is not allowed; want a list of objects`},
		{"null for a number", `{}`, `{"ratio": null}`,
			"environments.dev.ratio: null is not allowed; want a number"},
		{"every problem, not the first", `{"title": 1}`, `{"on": "yes"}`,
			"environments.dev.on: \"yes\" is not allowed; want true or false\ndefaults.title: 1 is not allowed; want a string"},
		{"a map value", `{}`, `{"vars": {"A": "1", "B": 2}}`,
			"environments.dev.vars.B: 2 is not allowed; want a string"},
		{"a list for a map", `{"vars": ["A=1"]}`, `{}`,
			"defaults.vars: a list is not allowed; want an object of strings"},
		{"a pointer's type", `{}`, `{"size": true}`,
			"environments.dev.size: true is not allowed; want a whole number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c config
			err := source(t, tc.defaults, tc.overrides).Decode(&c)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Decode error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

// A key of the built-in layer is named as such; a later layer's wins.
func TestOriginBuiltIn(t *testing.T) {
	s := New(Layer{Name: "the default", Settings: settings(t, `{"a": 1, "b": 1}`), BuiltIn: true},
		Layer{Name: "defaults", Settings: settings(t, `{"b": 2}`)}, Layer{Name: "environments.dev", Settings: settings(t, `{}`)})
	for path, want := range map[string]string{"a": "a (the default)", "b": "defaults.b", "c": "environments.dev.c"} {
		if got := s.Origin(path); got != want {
			t.Errorf("Origin(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	for v, want := range map[any]string{nil: "null", "x": `"x"`, 1.5: "1.5", true: "true"} {
		if got := Describe(v); got != want {
			t.Errorf("Describe(%v) = %q, want %q", v, got, want)
		}
	}
	if got := Describe(map[string]any{}); got != "an object" {
		t.Errorf("Describe(object) = %q", got)
	}
	if got := Describe([]any{1}); got != "a list" {
		t.Errorf("Describe(list) = %q", got)
	}
}
