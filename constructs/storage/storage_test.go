package storage

import "testing"

func TestCheckOrigin(t *testing.T) {
	for origin, ok := range map[string]bool{
		"https://app.example.com": true, "http://localhost:3000": true,
		"https://app.example.com/": false, "app.example.com": false, "ftp://x.example.com": false,
		"https://app.example.com/path": false, "*": false, "https://user@app.example.com": false,
	} {
		if err := CheckOrigin(origin); (err == nil) != ok {
			t.Errorf("CheckOrigin(%q) = %v, want ok=%v", origin, err, ok)
		}
	}
}

func TestNewRejectsInvalidProps(t *testing.T) {
	cases := map[string]struct {
		props Props
		want  string
	}{
		"origin":   {Props{CorsAllowedOrigins: []string{"https://a.example.com", "a.example.com"}}, `storage.Props.CorsAllowedOrigins[1]: "a.example.com" is not an origin such as https://app.example.com (scheme and host, no path or trailing slash)`},
		"versions": {Props{NoncurrentVersionDays: -1}, `storage.Props.NoncurrentVersionDays: -1 is less than 1`},
		"logs":     {Props{AccessLogDays: -5}, `storage.Props.AccessLogDays: -5 is less than 1`},
		"removal":  {Props{RemovalPolicy: "snapshot"}, `storage.Props.RemovalPolicy: "snapshot" is not RETAIN or DESTROY`},
	}
	for name, c := range cases {
		if _, err := New(nil, "Storage", &c.props); err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v, want %s", name, err, c.want)
		}
	}
}
