package recordio_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/analytics-client/analytics/internal/recordio"
)

var format = recordio.Format{Fixed: 16, MaxLen: 1 << 20}

func TestRoundTrip(t *testing.T) {
	var buf []byte
	for i := range 5 {
		fixed := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, uint64(i)), 7)
		buf = format.Append(buf, fixed, bytes.Repeat([]byte{byte('a' + i)}, i*3))
	}
	for i := range 5 {
		fixed, data, size, err := format.Decode(buf)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if got := binary.LittleEndian.Uint64(fixed); got != uint64(i) {
			t.Errorf("record %d: fixed part says %d", i, got)
		}
		if !bytes.Equal(data, bytes.Repeat([]byte{byte('a' + i)}, i*3)) {
			t.Errorf("record %d: data %q", i, data)
		}
		buf = buf[size:]
	}
	if len(buf) != 0 {
		t.Errorf("%d bytes left", len(buf))
	}
}

// TestSpoolLayout pins the layout the reporter's spool writes (length of
// the data, CRC-32C of length+id+time+data, id, time, data), so that the
// spool can frame its records with this package and keep its files.
func TestSpoolLayout(t *testing.T) {
	id, at, data := uint64(42), int64(1700000000), []byte(`{"event":"x"}`)
	want := binary.LittleEndian.AppendUint32(nil, uint32(len(data)))
	want = binary.LittleEndian.AppendUint32(want, 0)
	want = binary.LittleEndian.AppendUint64(want, id)
	want = binary.LittleEndian.AppendUint64(want, uint64(at))
	want = append(want, data...)
	binary.LittleEndian.PutUint32(want[4:], recordio.Checksum(want[0:4], want[8:]))

	fixed := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, id), uint64(at))
	if got := format.Append(nil, fixed, data); !bytes.Equal(got, want) {
		t.Errorf("frame\n got %x\nwant %x", got, want)
	}
}

func TestDecodeFindsDamage(t *testing.T) {
	frame := format.Append(nil, make([]byte, 16), []byte("payload"))
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, recordio.ErrShort},
		{"zeros", make([]byte, 64), recordio.ErrChecksum},
		{"torn", frame[:len(frame)-1], recordio.ErrShort},
		{"flipped bit", flip(frame, 20), recordio.ErrChecksum},
		{"flipped length", flip(frame, 0), recordio.ErrChecksum},
		{"huge length", append([]byte{0xff, 0xff, 0xff, 0xff}, frame[4:]...), recordio.ErrTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, _, err := format.Decode(tc.b); !errors.Is(err, tc.want) {
				t.Errorf("Decode: %v, want %v", err, tc.want)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 1
	return c
}

func FuzzDecode(f *testing.F) {
	f.Add(format.Append(nil, make([]byte, 16), []byte("x")))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		fixed, data, size, err := format.Decode(b)
		if err != nil {
			return
		}
		if size > int64(len(b)) || len(fixed) != 16 {
			t.Fatalf("size %d of %d bytes, fixed %d", size, len(b), len(fixed))
		}
		if again := format.Append(nil, fixed, data); !bytes.Equal(again, b[:size]) {
			t.Fatalf("re-framed %x, read %x", again, b[:size])
		}
	})
}

func ExampleFormat() {
	f := recordio.Format{Fixed: 8, MaxLen: 1024}
	log := f.Append(nil, binary.LittleEndian.AppendUint64(nil, 1), []byte("first"))
	log = f.Append(log, binary.LittleEndian.AppendUint64(nil, 2), []byte("second"))
	log = append(log, 0, 0, 3) // a torn tail
	for {
		fixed, data, size, err := f.Decode(log)
		if err != nil {
			fmt.Println("end:", err)
			return
		}
		fmt.Println(binary.LittleEndian.Uint64(fixed), string(data))
		log = log[size:]
	}
	// Output:
	// 1 first
	// 2 second
	// end: recordio: incomplete record
}
