package tkconfig

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoadConfD loads a four-file puppetserver-style conf.d directory.
func BenchmarkLoadConfD(b *testing.B) {
	dir := confD(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(dir); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "loads/s")
}

// BenchmarkParseHOCON parses the analytics.conf of the conf.d fixture.
func BenchmarkParseHOCON(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(confD(b), "analytics.conf"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseHOCON("analytics.conf", data, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}
