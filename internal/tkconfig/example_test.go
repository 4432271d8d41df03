package tkconfig_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/analytics-client/analytics/internal/tkconfig"
)

func ExampleLoad() {
	dir, err := os.MkdirTemp("", "conf.d")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	files := map[string]string{
		"webserver.conf":  "webserver {\n  ssl-host: 0.0.0.0\n  ssl-port: 8140\n}\n",
		"web-routes.conf": `web-router-service."puppetlabs.analytics.service/analytics-service": "/analytics"` + "\n",
		"analytics.conf":  "analytics.url: \"https://localhost:8140/analytics\"\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			panic(err)
		}
	}

	cfg, err := tkconfig.Load(dir)
	if err != nil {
		panic(err)
	}
	port, _, _ := cfg.Int("webserver", "ssl-port")
	prefix, _, _ := cfg.String("web-router-service", "puppetlabs.analytics.service/analytics-service")
	url, _, _ := cfg.String("analytics", "url")
	fmt.Println(port, prefix, url)
	fmt.Println(filepath.Base(cfg.File("webserver", "ssl-port")))

	// A second file setting the same key is refused.
	os.WriteFile(filepath.Join(dir, "zz-override.conf"), []byte("webserver.ssl-port: 8141\n"), 0o644)
	_, err = tkconfig.Load(dir)
	fmt.Println(err != nil)
	// Output:
	// 8140 /analytics https://localhost:8140/analytics
	// webserver.conf
	// true
}

func ExampleConfig_UnknownKeys() {
	cfg, err := tkconfig.Parse("webserver.conf", []byte("webserver {\n  ssl-port: 8140\n  ssl-crt: cert.pem\n}\n"))
	if err != nil {
		panic(err)
	}
	for _, e := range cfg.UnknownKeys([]string{"ssl-port", "ssl-cert", "ssl-key"}, "webserver") {
		fmt.Println(e)
	}
	// Output:
	// webserver.conf:3: key webserver.ssl-crt: unknown setting; did you mean ssl-cert?
}

func ExampleSuggest() {
	s, ok := tkconfig.Suggest("data-directroy", []string{"data-directory", "whitelist-file"})
	fmt.Println(s, ok)
	// Output:
	// data-directory true
}
