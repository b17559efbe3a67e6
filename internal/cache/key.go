package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

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
	// One buffer hashed once: cheaper than many small hash writes.
	buf := appendString(make([]byte, 0, 64*(len(metrics)+len(dimensions)+1)), quality.Version)
	for _, comps := range [][]cja.Component{metrics, dimensions} {
		buf = binary.AppendUvarint(buf, uint64(len(comps))) // keeps "1 metric + 0 dimensions" apart from "0 + 1"
		for _, c := range comps {
			for _, f := range KeyFields {
				v, ok := c[f]
				switch s, isString := v.(string); {
				case !ok:
					buf = append(buf, 0)
				case v == nil:
					buf = append(buf, 1)
				case isString:
					buf = appendString(append(buf, 2), s)
				default: // numbers, booleans, objects: unusual, but the checks see them
					buf = appendString(append(buf, 3), fmt.Sprintf("%T:%v", v, v))
				}
			}
		}
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// appendString length-prefixes s so that no two field sequences encode alike.
func appendString(buf []byte, s string) []byte {
	return append(binary.AppendUvarint(buf, uint64(len(s))), s...)
}
