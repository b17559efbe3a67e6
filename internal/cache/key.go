package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/quality"
)

// Key identifies a validation result: the SHA-256 of the components and the
// checks' version. encoding/json writes map keys sorted, so the same
// components always give the same key whatever order the API sent fields in;
// component order still counts, since the checks may report in that order.
func Key(metrics, dimensions []cja.Component) string {
	canon := struct {
		Version    string          `json:"version"`
		Metrics    []cja.Component `json:"metrics"`
		Dimensions []cja.Component `json:"dimensions"`
	}{quality.Version, metrics, dimensions}
	b, err := json.Marshal(canon)
	if err != nil {
		// Only values JSON cannot hold (NaN, channels) get here; they never
		// come from decoding an API response. fmt also prints maps sorted.
		b = fmt.Appendf(nil, "%#v", canon)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
