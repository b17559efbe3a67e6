package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/quality"
)

// KeyFields are the only component fields the data quality checks read
// (quality.Check: presence of id, name and type; values of id, name and
// description). The key covers exactly these, so it costs a fraction of the
// checks it saves — hashing whole components (nested settings and all) cost
// twenty times more than running the checks. If the checks ever read another
// field, add it here and bump quality.Version.
var KeyFields = []string{"id", "name", "type", "description"}

// Key identifies a validation result: a SHA-256 over the checks' version and,
// for every component in order, the state of each KeyField (absent, null, or
// its value with its JSON kind). Component order counts, since the checks may
// report in that order.
func Key(metrics, dimensions []cja.Component) string {
	h := sha256.New()
	writeString(h, quality.Version)
	for _, comps := range [][]cja.Component{metrics, dimensions} {
		writeLen(h, len(comps)) // keeps "1 metric + 0 dimensions" apart from "0 + 1"
		for _, c := range comps {
			for _, f := range KeyFields {
				v, ok := c[f]
				switch s, isString := v.(string); {
				case !ok:
					h.Write([]byte{0})
				case v == nil:
					h.Write([]byte{1})
				case isString:
					h.Write([]byte{2})
					writeString(h, s)
				default: // numbers, booleans, objects: unusual, but the checks see them
					h.Write([]byte{3})
					writeString(h, fmt.Sprintf("%T:%v", v, v))
				}
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeString length-prefixes s so that no two field sequences hash alike.
func writeString(h hash.Hash, s string) {
	writeLen(h, len(s))
	h.Write([]byte(s))
}

func writeLen(h hash.Hash, n int) {
	var b [binary.MaxVarintLen64]byte
	h.Write(b[:binary.PutUvarint(b[:], uint64(n))])
}
