package dataviews

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	for _, id := range []string{"dv_677ea9291244fd082f02dd42", "dv_1", "dv_ABC", "dv_a-b_c", "dv__", "dv_-"} {
		if !Valid(id) {
			t.Errorf("Valid(%q) = false", id)
		}
	}
	for _, id := range []string{"", "dv_", "dv", "DV_abc", "xdv_abc", " dv_abc", "dv_abc ", "dv_a.b", "dv_a/b", "dv_é", "dv_a#", "dv_a\x00", "invalid_id", "test123"} {
		if Valid(id) {
			t.Errorf("Valid(%q) = true", id)
		}
	}
}

func TestNormalize(t *testing.T) {
	unique, invalid := Normalize([]string{" dv_b", "dv_a", "invalid_id", "dv_b ", "", "  ", "test123", "dv_a", "invalid_id", "dv_c"})
	if !slices.Equal(unique, []string{"dv_b", "dv_a", "dv_c"}) {
		t.Errorf("unique = %q", unique)
	}
	if !slices.Equal(invalid, []string{"invalid_id", "test123"}) {
		t.Errorf("invalid = %q", invalid)
	}
	if u, i := Normalize(nil); u != nil || i != nil {
		t.Errorf("Normalize(nil) = %q, %q", u, i)
	}
}

func TestInvalidIDMessage(t *testing.T) {
	want := "ERROR: Invalid data view ID format: invalid_id, test123\n" +
		"       Data view IDs should start with 'dv_'\n" +
		"       Example: dv_677ea9291244fd082f02dd42"
	if got := InvalidIDMessage([]string{"invalid_id", "test123"}); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestParseList(t *testing.T) {
	input := "\ufeff# Production data views\r\n" +
		"dv_677ea9291244fd082f02dd42\r\n" +
		"\r\n" +
		"   dv_second   # trailing comment\r\n" +
		"\t\r\n" +
		"dv_677ea9291244fd082f02dd42\n" + // duplicate
		"invalid_id\n" +
		"dv_a dv_b\n" +
		"dv_caf\xe9\n" +
		"dv_ok # caf\xe9 comments are not read\n" +
		"#dv_commented_out\n" +
		"dv_last" // no final newline
	ids, bad, err := ParseList(strings.NewReader(input), 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"dv_677ea9291244fd082f02dd42", "dv_second", "dv_ok", "dv_last"}; !slices.Equal(ids, want) {
		t.Errorf("ids = %q\nwant %q", ids, want)
	}
	var got []string
	for _, b := range bad {
		got = append(got, b.Error())
	}
	want := []string{
		`line 7: "invalid_id" is not a data view ID (dv_ followed by letters, digits, _ or -; one ID per line)`,
		`line 8: "dv_a dv_b" is not a data view ID (dv_ followed by letters, digits, _ or -; one ID per line)`,
		`line 9: "dv_caf\xe9" is not UTF-8 text (save the file as UTF-8)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("bad =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if bad[0].Line != 7 || bad[0].Text != "invalid_id" {
		t.Errorf("bad[0] = %+v", bad[0])
	}
}

func TestParseListEmpty(t *testing.T) {
	for _, in := range []string{"", "\n\n", "# only comments\n", "\ufeff"} {
		ids, bad, err := ParseList(strings.NewReader(in), 0)
		if len(ids) != 0 || len(bad) != 0 || err != nil {
			t.Errorf("ParseList(%q) = %q, %v, %v", in, ids, bad, err)
		}
	}
}

func TestParseListLongBadLineIsCut(t *testing.T) {
	_, bad, _ := ParseList(strings.NewReader(strings.Repeat("é", 1000)), 0)
	if len(bad) != 1 || len(bad[0].Error()) > 200 || !strings.Contains(bad[0].Error(), "…") {
		t.Errorf("bad = %v", bad)
	}
}

func TestParseList10000(t *testing.T) {
	var b strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&b, "dv_%024x\n", i)
	}
	ids, bad, err := ParseList(strings.NewReader(b.String()), 0)
	if err != nil || len(bad) != 0 || len(ids) != 10000 {
		t.Fatalf("got %d ids, %d bad, %v", len(ids), len(bad), err)
	}
	if ids[0] != "dv_000000000000000000000000" || ids[9999] != fmt.Sprintf("dv_%024x", 9999) {
		t.Errorf("order lost: %s ... %s", ids[0], ids[9999])
	}
}

// endless yields valid lines forever and counts the bytes read from it.
type endless struct{ read int64 }

func (e *endless) Read(p []byte) (int, error) {
	const line = "dv_677ea9291244fd082f02dd42\n"
	for i := range p {
		p[i] = line[(e.read+int64(i))%int64(len(line))]
	}
	e.read += int64(len(p))
	return len(p), nil
}

func TestParseListTooLarge(t *testing.T) {
	// 50 MB of input: refused after reading just over the limit.
	src := &endless{}
	_, _, err := ParseList(io.LimitReader(src, 50<<20), 0)
	if !errors.Is(err, ErrListTooLarge) || !strings.Contains(err.Error(), "1 MiB limit") {
		t.Fatalf("err = %v", err)
	}
	if src.read > DefaultMaxListBytes+64<<10 {
		t.Errorf("read %d bytes to find the input too large", src.read)
	}

	// The limit is inclusive.
	exact := strings.Repeat("#", 99) + "\n"
	if _, _, err := ParseList(strings.NewReader(exact), 100); err != nil {
		t.Errorf("input of exactly the limit: %v", err)
	}
	if _, _, err := ParseList(strings.NewReader(exact+"x"), 100); !errors.Is(err, ErrListTooLarge) || !strings.Contains(err.Error(), "100-byte limit") {
		t.Errorf("one byte over: %v", err)
	}
}

func TestParseListUTF16(t *testing.T) {
	_, _, err := ParseList(strings.NewReader("\xff\xfed\x00v\x00_\x00"), 0)
	if err == nil || !strings.Contains(err.Error(), "UTF-16") {
		t.Errorf("err = %v", err)
	}
}

func TestParseListReadError(t *testing.T) {
	boom := errors.New("boom")
	_, _, err := ParseList(io.MultiReader(strings.NewReader("dv_a\n"), errReader{boom}), 0)
	if !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
