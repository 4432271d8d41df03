package analytics

import (
	"bytes"
	"encoding/json"
	"testing"
)

var batchAnswerSeeds = []string{
	`{"results":[{"status":200,"body":{"ok":true}},{"status":422,"body":{"kind":"x","msg":"a \"quoted\" } ]"}}]}`,
	`{"results":[{"status":206,"body":{"rejected":{"a":"b"}}}, {"status":200,"body":"s"}]}` + "\n",
	` { "results" : [ { "status" : 503 , "body" : [1,{"a":[]}] } , {"status":200,"body":null} ] } `,
	`{"results":[{"status":200,"body":12}]}`,
	`{"results":[{"body":{},"status":200}]}`,                // another order: the slow path
	`{"results":[{"status":200,"body":{}}],"extra":1}`,      // another member: the slow path
	`{"results":[{"status":2000,"body":{}}]}`,               // not a status code
	`{"results":[{"status":200,"body":{"a":}}]}`,            // invalid body
	`{"results":[{"status":200,"body":{}},{"status":200}]}`, // a result without body
	`{"results":[]}`,
}

// TestDecodeBatchAnswer: the fast scan agrees with encoding/json on the
// answers it reads, and leaves the others to it.
func TestDecodeBatchAnswer(t *testing.T) {
	for _, raw := range batchAnswerSeeds {
		checkBatchAnswer(t, []byte(raw))
	}
	res, ok := scanBatchAnswer([]byte(batchAnswerSeeds[0]), 2)
	if !ok || res[1].Status != 422 || !bytes.Contains(res[1].Body, []byte(`} ]`)) {
		t.Errorf("scan of our service's shape = %+v, %v", res, ok)
	}
	if _, ok := scanBatchAnswer([]byte(batchAnswerSeeds[4]), 1); ok {
		t.Error("the scan read members in another order")
	}
	if _, ok := decodeBatchAnswer([]byte(batchAnswerSeeds[4]), 1); !ok {
		t.Error("the slow path did not read members in another order")
	}
	for _, raw := range batchAnswerSeeds[7:8] {
		if res, ok := decodeBatchAnswer([]byte(raw), 1); ok {
			t.Errorf("%s read as %+v", raw, res)
		}
	}
}

// FuzzDecodeBatchAnswer: whatever the scan accepts, encoding/json reads
// the same way.
func FuzzDecodeBatchAnswer(f *testing.F) {
	for _, raw := range batchAnswerSeeds {
		f.Add([]byte(raw))
	}
	f.Fuzz(checkBatchAnswer)
}

func checkBatchAnswer(t *testing.T, raw []byte) {
	var want struct {
		Results []batchResult `json:"results"`
	}
	werr := json.Unmarshal(raw, &want)
	for n := range 3 {
		got, ok := scanBatchAnswer(raw, n)
		if !ok {
			continue
		}
		if werr != nil || len(want.Results) != n {
			t.Fatalf("scan read %q (n=%d) that encoding/json does not: %v", raw, n, werr)
		}
		for i := range got {
			w := want.Results[i]
			var gb, wb bytes.Buffer
			if got[i].Status != w.Status || json.Compact(&gb, got[i].Body) != nil || json.Compact(&wb, w.Body) != nil || gb.String() != wb.String() {
				t.Fatalf("scan of %q: result %d = %d %s, encoding/json %d %s", raw, i, got[i].Status, got[i].Body, w.Status, w.Body)
			}
		}
	}
}
