package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/cja-sdr/cja-sdr/internal/dataviews"
	"github.com/cja-sdr/cja-sdr/internal/pipeline"
	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

// idCase is data view IDs as a user types them (or a script expands them).
type idCase struct {
	key  string
	args []string
	exit int
	// stderr must contain each of these; unless processed is set, nothing
	// may be processed and no file written.
	says      []string
	processed []string
	status    map[string]report.Status
	check     func(t *testing.T, r *cliRun)
}

func manyIDs(n int, format string) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf(format, i+1)
	}
	return ids
}

var idCases = []idCase{
	{key: "id-no-prefix", args: []string{"invalid_id", dvProd, "test123"}, exit: 1,
		says: []string{"ERROR: Invalid data view ID format: invalid_id, test123\n       Data view IDs should start with 'dv_'\n       Example: dv_677ea9291244fd082f02dd42"}},
	{key: "id-wrong-case", args: []string{"DV_677ea9291244fd082f02dd42"}, exit: 1,
		says: []string{"Invalid data view ID format: DV_677ea9291244fd082f02dd42"}},
	{key: "id-prefix-only", args: []string{"dv_", dvProd}, exit: 1, says: []string{"Invalid data view ID format: dv_\n"}},
	{key: "id-empty-string", args: []string{""}, exit: 1, says: []string{"usage: ", "the following arguments are required: DATA_VIEW_ID"}},
	{key: "id-whitespace-only", args: []string{"   ", "\t", "\n"}, exit: 1, says: []string{"the following arguments are required: DATA_VIEW_ID"}},
	{key: "id-surrounding-whitespace", args: []string{"  " + dvProd + "\r\n"}, processed: []string{dvProd},
		status: map[string]report.Status{dvProd: report.Success}},
	{key: "id-inner-space", args: []string{"dv_677ea929 1244fd082f02dd42"}, exit: 1, says: []string{"Invalid data view ID format"}},
	{key: "id-path-traversal", args: []string{"dv_../../../etc/passwd", "dv_x/../../y", dvProd}, exit: 1,
		says: []string{"Invalid data view ID format: dv_../../../etc/passwd, dv_x/../../y\n"}},
	{key: "id-url-characters", args: []string{"dv_abc?limit=1", "dv_abc#frag", "dv_abc%2F..", "dv_a&b=c"}, exit: 1,
		says: []string{"Invalid data view ID format: dv_abc?limit=1, dv_abc#frag, dv_abc%2F.., dv_a&b=c"}},
	{key: "id-non-ascii", args: []string{"dv_café", "dv_６７７", "dv_\u202eabc"}, exit: 1, says: []string{"Invalid data view ID format: dv_café, dv_６７７"}},
	{key: "id-control-characters", args: []string{"dv_abc\x00", "dv_\x1b[31mred", "dv_a\x07"}, exit: 1,
		says: []string{"Invalid data view ID format: "},
		check: func(t *testing.T, r *cliRun) {
			if strings.ContainsAny(r.stderr, "\x00\x1b\x07") {
				t.Errorf("control characters echoed to the terminal: %q", r.stderr)
			}
		}},
	{key: "id-very-long", args: []string{"dv_" + strings.Repeat("a", 5000)}, exit: 1,
		processed: []string{"dv_" + strings.Repeat("a", 5000)},
		status:    map[string]report.Status{"*": report.Failed}},
	{key: "id-looks-like-flag", args: []string{"-dv_677ea9291244fd082f02dd42"}, exit: 1, says: []string{"unrecognized arguments: -dv_677ea9291244fd082f02dd42"}},
	{key: "ids-duplicated", args: []string{dvProd, dvFrance, dvProd, " " + dvProd, dvFrance + "\t"},
		processed: []string{dvProd, dvFrance}, status: map[string]report.Status{"*": report.Success},
		check: func(t *testing.T, r *cliRun) {
			if !strings.Contains(r.stdout, "Processing 2 data view(s)") {
				t.Errorf("duplicates were not collapsed:\n%s", r.stdout)
			}
			if n := r.sim.Stats().RequestsByDataView[dvProd]; n != 3 {
				t.Errorf("%s requested %d times, want 3 (once each endpoint)", dvProd, n)
			}
		}},
	{key: "ids-mixed-valid-invalid", args: []string{dvProd, "bad-1", dvFrance, "bad 2", dvProd}, exit: 1,
		says: []string{"Invalid data view ID format: bad-1, bad 2\n"},
		check: func(t *testing.T, r *cliRun) {
			if r.sim.Stats().Requests.Total() != 0 {
				t.Errorf("the API was called despite invalid IDs")
			}
		}},
	{key: "ids-10000", args: append([]string{"--continue-on-error", "--workers", "16", "-q"}, append(manyIDs(10000, "dv_missing%05d"), dvProd)...),
		processed: append(manyIDs(10000, "dv_missing%05d"), dvProd),
		status:    map[string]report.Status{dvProd: report.Success, "*": report.Failed},
		check: func(t *testing.T, r *cliRun) {
			for _, want := range []string{"Total data views: 10001", "Successful: 1", "Failed: 10000"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("summary lacks %q", want)
				}
			}
			if n := r.sim.Stats().MaxDataViewsInFlight; n > 16 {
				t.Errorf("%d data views in flight at once with --workers 16", n)
			}
		}},
	{key: "ids-1000-invalid", args: manyIDs(1000, "view-%d"), exit: 1, says: []string{"view-1, view-2", "view-1000\n"}},
}

func TestBadIDs(t *testing.T) {
	for _, tc := range idCases {
		t.Run(tc.key, func(t *testing.T) {
			scenario(t, tc.key)
			r := runCLI(t, setup{sim: newSim(sampleorg.Options{})}, tc.args...)
			o := checkInvariant(t, r)
			if r.code != tc.exit {
				t.Errorf("exit %d, want %d\nstdout:\n%.2000s\nstderr:\n%.2000s", r.code, tc.exit, r.stdout, r.stderr)
			}
			for _, want := range tc.says {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%.3000s", want, r.stderr)
				}
			}
			if tc.processed == nil {
				if o.mode != "none" || len(files(r.dir)) != 0 {
					t.Errorf("bad input was processed: mode %s, files %v", o.mode, files(r.dir))
				}
			} else {
				for _, id := range tc.processed {
					if _, ok := o.status[id]; !ok {
						t.Errorf("%.40s was not processed", id)
					}
				}
				if len(o.status) != len(tc.processed) {
					t.Errorf("%d data views processed, want %d", len(o.status), len(tc.processed))
				}
				wantStatus(t, o, tc.processed, tc.status)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// files lists the regular files under dir (relative), but the config.
func files(dir string) []string {
	var out []string
	for _, f := range walkFiles(dir) {
		if f != "myconfig.json" {
			out = append(out, f)
		}
	}
	return out
}

// bigReader yields n bytes of data view IDs without holding them in memory.
type bigReader struct {
	left, read int64
	line       []byte
	pos        int
}

func (b *bigReader) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && b.left > 0 {
		p[n] = b.line[b.pos]
		b.pos = (b.pos + 1) % len(b.line)
		n++
		b.left--
	}
	b.read += int64(n)
	return n, nil
}

// listCase is a dataviews.txt as users upload it.
type listCase struct {
	key     string
	data    string
	reader  func() io.Reader
	ids     []string
	bad     []string // substrings of the line errors, in order
	err     string
	checkFn func(t *testing.T, r io.Reader)
}

var listCases = []listCase{
	{key: "list-non-utf8", data: "dv_a\n\xff\xfe\xfddv_b\ndv_c # caf\xe9 comments may be Latin-1\n",
		ids: []string{"dv_a", "dv_c"}, bad: []string{"line 2: ", "is not UTF-8 text (save the file as UTF-8)"}},
	{key: "list-crlf", data: "dv_a\r\ndv_b\r\n# comment\r\n\r\ndv_c", ids: []string{"dv_a", "dv_b", "dv_c"}},
	{key: "list-50mb", reader: func() io.Reader {
		return &bigReader{left: 50 << 20, line: []byte("dv_677ea9291244fd082f02dd42\n")}
	}, err: "data view list too large: over the 1 MiB limit; split it into smaller lists",
		checkFn: func(t *testing.T, r io.Reader) {
			if read := r.(*bigReader).read; read > dataviews.DefaultMaxListBytes+64<<10 {
				t.Errorf("read %d bytes of a 50 MB list before refusing it", read)
			}
		}},
	{key: "list-utf16", data: "\xff\xfed\x00v\x00_\x00a\x00\n\x00", err: "UTF-16 text: save it as UTF-8"},
	{key: "list-utf8-bom", data: "\xef\xbb\xbfdv_a\ndv_b\n", ids: []string{"dv_a", "dv_b"}},
	{key: "list-binary", data: "\x00\x01\x02\x03\x1b[2J\x7fELF\x02\x01\x01\n", bad: []string{"line 1: ", "is not a data view ID"}},
	{key: "list-comments-blanks-duplicates", data: "# nightly\n\n  dv_a  # main\n\tdv_b\ndv_a\n   \n#dv_c\n", ids: []string{"dv_a", "dv_b"}},
	{key: "list-empty", data: ""},
	{key: "list-long-line", data: strings.Repeat("x", 900<<10), bad: []string{"line 1: ", "\"… is not a data view ID"}},
	{key: "list-invalid-lines", data: "dv_a\ninvalid_id\ndv_b, dv_c\ndv_../x\n", ids: []string{"dv_a"},
		bad: []string{"line 2: \"invalid_id\" is not a data view ID", "line 3: \"dv_b, dv_c\" is not a data view ID (dv_ followed by letters, digits, _ or -; one ID per line)", "line 4: "}},
}

func TestBadLists(t *testing.T) {
	for _, tc := range listCases {
		t.Run(tc.key, func(t *testing.T) {
			scenario(t, tc.key)
			var r io.Reader = strings.NewReader(tc.data)
			if tc.reader != nil {
				r = tc.reader()
			}
			ids, bad, err := dataviews.ParseList(r, 0)
			switch {
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want %q", err, tc.err)
			case tc.err == "" && err != nil:
				t.Fatalf("error %v", err)
			}
			if strings.Join(ids, ",") != strings.Join(tc.ids, ",") {
				t.Errorf("ids %q, want %q", ids, tc.ids)
			}
			var msgs []string
			for _, b := range bad {
				msgs = append(msgs, b.Error())
				if strings.ContainsAny(b.Error(), "\x00\x1b\x7f") || len(b.Error()) > 300 {
					t.Errorf("line error not fit to print: %q", b.Error())
				}
			}
			all := strings.Join(msgs, "\n")
			for _, want := range tc.bad {
				if !strings.Contains(all, want) {
					t.Errorf("line errors %q lack %q", all, want)
				}
			}
			if tc.bad == nil && len(bad) > 0 {
				t.Errorf("unexpected line errors %q", all)
			}
			if tc.checkFn != nil {
				tc.checkFn(t, r)
			}
		})
	}
}

// sourceReader serves one uploaded list to the planner.
type sourceReader struct{ r io.Reader }

func (s sourceReader) Open(context.Context, pipeline.Source) (io.ReadCloser, error) {
	return io.NopCloser(s.r), nil
}

// TestUploadedListTooLarge is a 50 MB dataviews.txt uploaded to the
// pipeline's bucket: the planner refuses it with a clear, non-retried error.
func TestUploadedListTooLarge(t *testing.T) {
	scenario(t, "upload-50mb")
	p := &pipeline.Planner{Store: nil, Bucket: "b", MaxWorkers: 4,
		Sources: sourceReader{&bigReader{left: 50 << 20, line: []byte("dv_677ea9291244fd082f02dd42\n")}}}
	_, err := p.Handle(context.Background(), pipeline.PlanInput{Input: json.RawMessage(`{"source":{"bucket":"b","key":"requests/dataviews.txt"}}`)})
	var ie *pipeline.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "s3://b/requests/dataviews.txt") || !strings.Contains(err.Error(), "split it into smaller lists") {
		t.Fatalf("%T %v", err, err)
	}
}

// execCase is an execution input (start-execution, schedule, planner).
type execCase struct {
	key   string
	input string
	says  []string
}

var execCases = []execCase{
	{"exec-truncated-json", `{"dataViewIds": ["dv_a"`, []string{"malformed input", "expected {\"dataViewIds\""}},
	{"exec-wrong-type", `{"dataViewIds": "dv_a"}`, []string{"malformed input", "dataViewIds"}},
	{"exec-unknown-field", `{"dataViewId": ["dv_a"]}`, []string{"malformed input", "unknown field", "dataViewId"}},
	{"exec-empty", ``, []string{"empty input", "dataViewIds"}},
	{"exec-null-and-empty-object", `null`, []string{"nothing requested"}},
	{"exec-not-an-object", `["dv_a","dv_b"]`, []string{"malformed input"}},
	{"exec-two-sources", `{"dataViewIds": ["dv_a"], "all": true}`, []string{"only one of"}},
	{"exec-bad-options", `{"dataViewIds": ["dv_a"], "workers": 0}`, []string{`"workers" must be at least 1`}},
	{"exec-bad-format", `{"dataViewIds": ["dv_a"], "formats": ["pdf"]}`, []string{"pdf", "excel"}},
	{"exec-only-invalid-ids", `{"dataViewIds": ["invalid_id", "", "  ", "dv_../x"]}`, []string{"no valid data view ids requested", "invalid_id"}},
	{"exec-too-many-ids", "", []string{"10001 data views requested", "at most 10000", "split the list"}},
}

func TestBadExecutionInput(t *testing.T) {
	for _, tc := range execCases {
		t.Run(tc.key, func(t *testing.T) {
			scenario(t, tc.key)
			input := tc.input
			if tc.key == "exec-too-many-ids" {
				b, _ := json.Marshal(map[string]any{"dataViewIds": manyIDs(10001, "dv_%05d")})
				input = string(b)
			}
			st := store.NewMemory()
			p := &pipeline.Planner{Store: st, Bucket: "b", MaxWorkers: 4}
			plan, err := p.Handle(context.Background(), pipeline.PlanInput{Input: json.RawMessage(input), ExecutionName: "faults-input"})
			var ie *pipeline.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("plan %+v, error %T %v: want an InputError (not retried)", plan, err, err)
			}
			for _, want := range tc.says {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if keys, _ := st.List(context.Background(), ""); len(keys) != 0 {
				t.Errorf("a refused input left objects: %v", keys)
			}
			if tc.key == "exec-null-and-empty-object" {
				if _, err := pipeline.DecodeRequest(json.RawMessage(`{}`)); err == nil || !strings.Contains(err.Error(), "nothing requested") {
					t.Errorf("{}: %v", err)
				}
			}
		})
	}
}
