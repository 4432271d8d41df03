package analytics_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/analytics-client/analytics"
)

// A puppetserver-style conf.d directory: the client settings sit under the
// analytics key, and relative certificate paths are read from the
// directory of the file that names them.
func ExampleLoadConfig() {
	dir, err := os.MkdirTemp("", "conf.d")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	conf := `analytics: {
    url: "https://localhost:8140/analytics"
    ssl-opts: {
        ssl-cert: ssl/myhost.pem
        ssl-key: ssl/myhost-key.pem
        ssl-ca-cert: /etc/puppetlabs/puppet/ssl/certs/ca.pem
    }
}
`
	if err := os.WriteFile(filepath.Join(dir, "analytics.conf"), []byte(conf), 0o644); err != nil {
		panic(err)
	}

	cfg, err := analytics.LoadConfig(dir)
	if err != nil {
		panic(err)
	}
	cert, _ := filepath.Rel(dir, cfg.SSL.CertFile)
	fmt.Println(cfg.URL)
	fmt.Println(cert)
	fmt.Println(cfg.SSL.CAFile)

	// A file with no analytics section is an error that names what is
	// missing.
	os.Remove(filepath.Join(dir, "analytics.conf"))
	os.WriteFile(filepath.Join(dir, "webserver.conf"), []byte("webserver.ssl-port: 8140\n"), 0o644)
	_, err = analytics.LoadConfig(dir)
	fmt.Println(err != nil)
	// Output:
	// https://localhost:8140/analytics
	// ssl/myhost.pem
	// /etc/puppetlabs/puppet/ssl/certs/ca.pem
	// true
}
