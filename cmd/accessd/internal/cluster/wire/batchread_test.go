package wire

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// readBatch takes what Encode writes, and leaves any other layout to the
// general reading (which the fuzz target holds it to).
func TestReadBatchTakesWhatEncodeWrites(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 123000000, time.UTC)
	var facts []*Message
	for seq := uint64(1); seq <= 3; seq++ {
		facts = append(facts, &Message{Site: "pop-norr", Instance: "a", Seq: seq, At: at, Payload: &UnknownCircuit{
			Key: "k \"quoted\" {brace}", Reason: "r", Count: seq, FirstSeen: at, LastSeen: at}})
	}
	data, err := Encode(&Message{Site: "pop-norr", Instance: "a", Seq: 3, At: at, Payload: &Facts{Facts: facts}})
	if err != nil {
		t.Fatal(err)
	}
	m, ok := readBatch(data)
	if !ok || m.Seq != 3 || len(m.Payload.(*Facts).Facts) != 3 || m.Instance != "a" {
		t.Fatalf("readBatch of Encode's batch: %v %+v", ok, m)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, data, "", " "); err != nil {
		t.Fatal(err)
	}
	for name, other := range map[string][]byte{
		"white space":  pretty.Bytes(),
		"cut short":    data[:len(data)-1],
		"trailing":     append(bytes.Clone(data), ' '),
		"escaped id":   bytes.Replace(data, []byte(`"id":"pop-norr:a/facts/3"`), []byte(`"id":"pop-norr:a\/facts/3"`), 1),
		"leading zero": bytes.Replace(data, []byte(`"seq":3,"id"`), []byte(`"seq":03,"id"`), 1),
	} {
		if _, ok := readBatch(other); ok {
			t.Errorf("%s: readBatch took it", name)
		}
	}
}
