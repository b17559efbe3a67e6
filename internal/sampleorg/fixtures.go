package sampleorg

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Notable data views of the catalogue, for tests that need a particular case.
const (
	// ProductionDataViewID is a typical data view: 30 metrics, 104
	// dimensions, the sizes of a real one.
	ProductionDataViewID = "dv_677ea9291244fd082f02dd42"
	// UnsafeNameDataViewID is named `Web / App: "Checkout" <Q4>`, which
	// needs sanitising before use in a file name.
	UnsafeNameDataViewID = "dv_6a0b3c4d5e6f708192a3b4c5"
	// LargeDataViewID has 5,000 components (several pages each).
	LargeDataViewID = "dv_66c2e1f0a9b8c7d6e5f40312"
	// EmptyDataViewID exists but has no metrics and no dimensions.
	EmptyDataViewID = "dv_6790d1e2f3a4b5c6d7e8f901"
	// FormulaDataViewID has component names and a description that start
	// with =, +, - or @ (spreadsheet formula injection).
	FormulaDataViewID = "dv_64b7a1c9e2d3f4a5b6c7d8e9"
	// NullOwnerDataViewID has owner.name null.
	NullOwnerDataViewID = "dv_65a3b2c1d0e9f8a7b6c5d4e3"
	// MessyDataViewID has many duplicate names and placeholder descriptions.
	MessyDataViewID = "dv_63e4d5c6b7a8f9e0d1c2b3a4"
	// ForbiddenDataViewID exists, is not listed, and answers 403.
	ForbiddenDataViewID = "dv_forbidden000000000000000"
	// MissingDataViewID is well-formed but does not exist (404).
	MissingDataViewID = "dv_000000000000000000000404"
)

// viewSpec describes one data view. Everything else about it (components,
// dates, ids of owners and data sets) is generated from a seed derived from
// its id, so the fixtures need no data files and never change between runs.
type viewSpec struct {
	id, name    string
	description any // string, or nil for JSON null
	owner       any // owner.name: string, or nil
	metrics     int
	dimensions  int
	timezone    string
	offset      float64 // currentTimezoneOffset, in hours
	formula     bool    // some names start with = + - @
	messy       bool    // many duplicate names, placeholder descriptions
	forbidden   bool
}

var fixtureSpecs = []viewSpec{
	{id: ProductionDataViewID, name: "Production Analytics", description: "All web and app traffic, bots excluded. Source of truth for KPI dashboards.",
		owner: "Jane Doe", metrics: 30, dimensions: 104},
	{id: "dv_65f1c0d2a8b34e7f9c12ab01", name: "Mobile App - EMEA", description: "",
		owner: "Lukas Schmidt", metrics: 48, dimensions: 152, timezone: "Europe/Berlin", offset: 1},
	{id: UnsafeNameDataViewID, name: `Web / App: "Checkout" <Q4>`, description: nil,
		owner: "Priya Natarajan", metrics: 8, dimensions: 14},
	{id: LargeDataViewID, name: "Enterprise Global (All Brands)", description: "Every brand, every region. Large: prefer filtered views for day-to-day work.",
		owner: "Marcus Webb", metrics: 1450, dimensions: 3550},
	{id: EmptyDataViewID, name: "Empty Sandbox", description: "Created for a training session; no components yet.",
		owner: "Jane Doe", metrics: 0, dimensions: 0},
	{id: FormulaDataViewID, name: "Marketing Attribution", description: "=HYPERLINK(\"https://attacker.invalid\",\"Click\") campaign analysis",
		owner: "Sofia Rossi", metrics: 64, dimensions: 96, formula: true},
	{id: "dv_6812f0e9d8c7b6a5f4e3d2c1", name: "Données Clients – France", description: "Vue des données clients pour la France (RGPD).",
		owner: "Camille Dubois", metrics: 22, dimensions: 58, timezone: "Europe/Paris", offset: 1},
	{id: NullOwnerDataViewID, name: "Customer Profile - Unified (APAC)", description: "Profile and event data joined on the person ID.",
		owner: nil, metrics: 40, dimensions: 160, timezone: "Asia/Singapore", offset: 8},
	{id: MessyDataViewID, name: "Legacy Report Suite Migration", description: "n/a",
		owner: "Migration Service Account", metrics: 250, dimensions: 750, messy: true},
	{id: "dv_6701a2b3c4d5e6f7a8b9c0d1", name: "B2B Accounts & Opportunities", description: "Account-based reporting on CRM lookups.",
		owner: "Ahmed Khan", metrics: 90, dimensions: 310},
	{id: ForbiddenDataViewID, name: "Finance - Restricted", description: "Visible to the finance team only.",
		owner: "Finance Admin", metrics: 12, dimensions: 20, forbidden: true},
}

// component is one pre-encoded component; hidden decides whether it is
// served without includeType=hidden.
type component struct {
	hidden bool
	raw    json.RawMessage
}

// view is a data view with its JSON built lazily, once.
type view struct {
	spec       viewSpec
	forbidden  bool
	object     func() json.RawMessage
	metrics    func() []component
	dimensions func() []component
}

func newView(spec viewSpec) *view {
	return &view{
		spec:       spec,
		forbidden:  spec.forbidden,
		object:     sync.OnceValue(func() json.RawMessage { return mustJSON(dataViewObject(spec)) }),
		metrics:    sync.OnceValue(func() []component { return components(spec, false) }),
		dimensions: sync.OnceValue(func() []component { return components(spec, true) }),
	}
}

// fixtures is the fixed catalogue, shared by every Server: it is immutable,
// and building the 5,000-component view once per process is enough.
var fixtures = sync.OnceValue(func() []*view {
	vs := make([]*view, len(fixtureSpecs))
	for i, sp := range fixtureSpecs {
		vs[i] = newView(sp)
	}
	return vs
})

// listedFixtures are the fixtures the list endpoint shows (not the forbidden).
var listedFixtures = sync.OnceValue(func() []*view {
	var vs []*view
	for _, v := range fixtures() {
		if !v.forbidden {
			vs = append(vs, v)
		}
	}
	return vs
})

func synthID(n int) string { return fmt.Sprintf("dv_synth%05d", n) }

func parseSynthID(id string) (int, bool) {
	digits, ok := strings.CutPrefix(id, "dv_synth")
	if !ok || len(digits) < 5 {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || synthID(n) != id {
		return 0, false
	}
	return n, true
}

// synthSpec is the n-th synthetic data view: 20 to 60 components.
func synthSpec(n int) viewSpec {
	id := synthID(n)
	r := newRand(id, "size")
	total := 20 + r.IntN(41)
	m := total * (2 + r.IntN(3)) / 10
	return viewSpec{id: id, name: fmt.Sprintf("Synthetic Load View %05d", n),
		description: "Generated for load tests.", owner: "Load Generator", metrics: m, dimensions: total - m}
}

// newRand returns the generator for one aspect (salt) of a data view.
func newRand(id, salt string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte("sampleorg\x00" + id))
	a := h.Sum64()
	h.Write([]byte("\x00" + salt))
	return rand.New(rand.NewPCG(a, h.Sum64()))
}

func hex24(r *rand.Rand) string { return fmt.Sprintf("%016x%08x", r.Uint64(), r.Uint32()) }

// epoch anchors generated dates; fixed, so bodies never change.
var epoch = time.Date(2023, 1, 9, 0, 0, 0, 0, time.UTC)

func date(r *rand.Rand, after time.Time, maxDays int) time.Time {
	return after.Add(time.Duration(r.IntN(maxDays*86400)) * time.Second)
}

func stamp(t time.Time) string { return t.Format("2006-01-02T15:04:05Z") }

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// dataViewObject builds the data view with every field seen live.
func dataViewObject(sp viewSpec) map[string]any {
	r := newRand(sp.id, "dataview")
	user := strings.ToUpper(hex24(r)) + "@AdobeID"
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], r.Uint64())
	binary.BigEndian.PutUint64(b[8:], r.Uint64())
	connection := "dg_" + uuidLike(b[:])
	created := date(r, epoch, 500)
	modified := date(r, created, 300)
	tz, offset := sp.timezone, sp.offset
	if tz == "" {
		tz, offset = "US/Eastern", -5
	}
	return map[string]any{
		"id":          sp.id,
		"name":        sp.name,
		"description": sp.description,
		"owner": map[string]any{
			"imsUserId": user,
			"ownerId":   user,
			"name":      sp.owner,
			"type":      "imsUser",
		},
		"isDeleted":             false,
		"parentDataGroupId":     connection,
		"parentConnectionId":    connection,
		"segmentList":           []any{},
		"currentTimezoneOffset": offset,
		"timezoneDesignator":    tz,
		"modifiedDate":          stamp(modified),
		"createdDate":           stamp(created),
		"organization":          DemoCredentials().OrgID,
		"modifiedBy":            user,
		"curationEnabled":       r.IntN(3) == 0,
		"recentRecordedAccess":  stamp(date(r, modified, 60)),
		"sessionDefinition":     map[string]any{"numPeriods": 30, "granularity": "minute", "func": "inactivity"},
		"externalData":          map[string]any{"externalId": "", "externalParentId": ""},
		"containerNames":        map[string]any{"event": "Event", "session": "Session", "people": "Person"},
		"editableByUser":        true,
	}
}

// field is a schema field a component can be built on.
type field struct {
	path, name, typ, schemaType string
}

var standardMetrics = []field{
	{"visits", "Sessions", "int", "int"},
	{"visitors", "People", "int", "int"},
	{"occurrences", "Occurrences", "int", "int"},
	{"pageviews", "Page Views", "int", "int"},
	{"timespent", "Time Spent (seconds)", "time", "int"},
	{"bounces", "Bounces", "int", "int"},
	{"bouncerate", "Bounce Rate", "decimal", "double"},
	{"entries", "Entries", "int", "int"},
	{"exits", "Exits", "int", "int"},
	{"singlepagevisits", "Single Page Sessions", "int", "int"},
	{"timespentvisit", "Time Spent per Session (seconds)", "time", "int"},
	{"timespentvisitor", "Time Spent per Person (seconds)", "time", "int"},
}

var xdmMetrics = []field{
	{"web.webPageDetails.pageViews.value", "Page Views", "int", "int"}, // same name as metrics/pageviews, as live
	{"commerce.purchases.value", "Orders", "int", "int"},
	{"commerce.order.priceTotal", "Revenue", "decimal", "double"},
	{"commerce.productListAdds.value", "Cart Additions", "int", "int"},
	{"commerce.productListRemovals.value", "Cart Removals", "int", "int"},
	{"commerce.checkouts.value", "Checkouts", "int", "int"},
	{"commerce.productViews.value", "Product Views", "int", "int"},
	{"productListItems.quantity", "Units", "int", "int"},
	{"productListItems.priceTotal", "Product Revenue", "decimal", "double"},
	{"application.launches.value", "App Launches", "int", "int"},
	{"application.crashes.value", "App Crashes", "int", "int"},
	{"application.installs.value", "App Installs", "int", "int"},
	{"web.webInteraction.linkClicks.value", "Link Clicks", "int", "int"},
	{"media.mediaTimed.timePlayed.value", "Media Time Played", "time", "int"},
	{"media.mediaTimed.starts.value", "Media Starts", "int", "int"},
	{"media.mediaTimed.completes.value", "Media Completes", "int", "int"},
}

var standardDimensions = []field{
	{"daterangeday", "Day", "time", "date-time"},
	{"daterangeweek", "Week", "time", "date-time"},
	{"daterangemonth", "Month", "time", "date-time"},
	{"daterangequarter", "Quarter", "time", "date-time"},
	{"daterangeyear", "Year", "time", "date-time"},
	{"daterangehour", "Hour", "time", "date-time"},
	{"daterangeminute", "Minute", "time", "date-time"},
	{"timepartdayofweek", "Day of Week", "ordered-enum", "int"},
	{"timeparthourofday", "Hour of Day", "ordered-enum", "int"},
	{"timepartmonthofyear", "Month of Year", "ordered-enum", "int"},
	{"sessiontype", "Session Type", "string", "string"},
	{"pagedepth", "Page Depth", "int", "int"},
}

var xdmDimensions = []field{
	{"web.webPageDetails.name", "Page Name", "string", "string"},
	{"web.webPageDetails.URL", "Page URL", "string", "string"},
	{"web.webReferrer.URL", "Referrer", "string", "string"},
	{"commerce.order.purchaseID", "Purchase ID", "string", "string"},
	{"device.type", "Device Type", "string", "string"},
	{"device.model", "Device Model", "string", "string"},
	{"environment.browserDetails.name", "Browser", "string", "string"},
	{"environment.operatingSystem", "Operating System", "string", "string"},
	{"placeContext.geo.countryCode", "Country", "string", "string"},
	{"placeContext.geo.city", "City", "string", "string"},
	{"marketing.trackingCode", "Tracking Code", "string", "string"},
	{"productListItems.SKU", "Product SKU", "string", "string"},
	{"productListItems.name", "Product Name", "string", "string"},
	{"application.name", "App Name", "string", "string"},
	{"application.version", "App Version", "string", "string"},
	{"eventType", "Event Type", "string", "string"},
	{"channel.typeAtSource", "Marketing Channel Type", "string", "string"},
	{"search.keywords", "Search Keywords", "string", "string"},
	{"placeContext.localTime", "Local Time", "time", "date-time"},
}

// globalLookups are dimensions Adobe derives from its own lookup tables.
var globalLookups = []field{
	{"device.model.globalLookup.marketingName", "Mobile Device Marketing Name", "string", "string"},
	{"device.model.globalLookup.manufacturer", "Mobile Manufacturer", "string", "string"},
	{"device.model.globalLookup.screenWidth", "Mobile Screen Width", "int", "int"},
	{"environment.browserDetails.globalLookup.browserType", "Browser Type", "string", "string"},
}

// Custom tenant fields are combinations of a group and an attribute, so big
// data views get as many unique ids as they need.
var (
	tenantGroups = []string{"loyalty", "campaign", "content", "search", "account", "checkout", "video",
		"form", "experiment", "support", "subscription", "store", "promo", "profile", "product", "forecast"}
	dimensionAttrs = []string{"tier", "status", "id", "category", "source", "medium", "name", "type",
		"segment", "region", "step", "variant", "label", "code", "channel", "level", "stage"}
	metricAttrs = []string{"count", "amount", "points", "duration", "score", "value", "clicks",
		"views", "submissions", "errors", "revenue", "quantity"}
	derivedNames = []string{"Clean Page Name", "Marketing Channel (Derived)", "Campaign Clicks",
		"Returning Customer Flag", "Checkout Funnel Step", "Search Term (lowercase)", "Revenue per Order",
		"Bot Filtered Sessions", "Content Group", "Device Class", "Internal Search Used", "Landing Page"}
	tagNames     = []string{"Marketing", "Finance", "Product", "Certified", "Deprecated", "PII Reviewed"}
	formulaNames = []string{`=HYPERLINK("https://attacker.invalid","Click")`, "+Gross Revenue", "-Refunds (net)",
		"@Campaign Owner", "=1+2", "=cmd|' /C calc'!A0"}
	// extraFields are fields no documentation mentions; the live API adds
	// such fields at any time and the SDR must keep them.
	extraFields = []func(*rand.Rand) (string, any){
		func(*rand.Rand) (string, any) {
			return "experimentalSettings", map[string]any{"source": "labs", "enabled": true}
		},
		func(*rand.Rand) (string, any) { return "contextLabels", []any{"web.page", "web.link"} },
		func(*rand.Rand) (string, any) { return "internalNote", "migrated from report suite" },
		func(r *rand.Rand) (string, any) { return "sourceRevision", r.IntN(40) + 1 },
	}
)

// dataSetTypeOf tells which kind of data set a tenant group lives in.
func dataSetTypeOf(group string) string {
	switch group {
	case "profile", "account":
		return "profile"
	case "product", "store":
		return "lookup"
	case "forecast":
		return "summary"
	}
	return "event"
}

// componentGen generates one data view's metrics or dimensions in order.
type componentGen struct {
	sp        viewSpec
	dims      bool
	r         *rand.Rand
	datasets  map[string][]string // data set type -> ids
	names     []string            // names used so far, to draw duplicates from
	std, xdm  []field
	global    int // next global lookup
	tenant    int // next tenant field
	derived   int // derived components so far
	formulaAt int // next formula name
}

func components(sp viewSpec, dims bool) []component {
	n, salt, std, xdm := sp.metrics, "metrics", standardMetrics, xdmMetrics
	if dims {
		n, salt, std, xdm = sp.dimensions, "dimensions", standardDimensions, xdmDimensions
	}
	// Data sets come from their own generator so metrics and dimensions of
	// a data view share them.
	dr := newRand(sp.id, "datasets")
	ds := map[string][]string{}
	for _, t := range []string{"event", "event", "event", "lookup", "profile", "summary"} {
		ds[t] = append(ds[t], hex24(dr))
	}
	ds["event"] = ds["event"][:1+dr.IntN(3)]
	// Small data views keep a mix of sources: standard fields are at most a
	// third of them.
	std = std[:min(len(std), max(2, n/3))]
	g := &componentGen{sp: sp, dims: dims, r: newRand(sp.id, salt), datasets: ds, std: std, xdm: xdm}
	out := make([]component, n)
	for i := range out {
		c := g.next(i, n)
		out[i] = component{hidden: c["hidden"] == true, raw: mustJSON(c)}
	}
	return out
}

// next builds component i of n.
func (g *componentGen) next(i, n int) map[string]any {
	r := g.r
	prefix := "metrics/"
	if g.dims {
		prefix = "variables/"
	}
	var (
		f          field
		srcType    = "custom"
		dsType     = "event"
		id         string
		schemaPath any
		derived    bool
	)
	switch {
	case len(g.std) > 0:
		f, g.std = g.std[0], g.std[1:]
		srcType, id, schemaPath = "standard", prefix+f.path, nil
	case !g.dims && n >= 20 && i == n-1:
		// A prediction metric: a derived-looking id with a schema suffix.
		f = field{"_sampleorg.prediction.predictedOrders", "Predicted Orders", "decimal", "double"}
		id, schemaPath = prefix+hex24(r)+"."+f.path, f.path
	case r.IntN(10) == 0:
		derived = true
		name := derivedNames[g.derived%len(derivedNames)]
		if k := g.derived / len(derivedNames); k > 0 {
			name += " " + strconv.Itoa(k+1)
		}
		g.derived++
		f = field{"", name, "string", "string"}
		if !g.dims {
			f.typ, f.schemaType = []string{"int", "decimal"}[r.IntN(2)], "double"
		}
		srcType, dsType, id, schemaPath = "derived", "", prefix+hex24(r), "Derived Fields"
	case g.dims && g.global < len(globalLookups) && r.IntN(30) == 0:
		f = globalLookups[g.global]
		g.global++
		srcType, dsType, id, schemaPath = "globalLookup", "lookup", prefix+f.path, f.path
	case len(g.xdm) > 0:
		f, g.xdm = g.xdm[0], g.xdm[1:]
		id, schemaPath = prefix+f.path, f.path
	default:
		f, dsType = g.tenantField()
		id, schemaPath = prefix+f.path, f.path
	}

	name := f.name
	switch {
	case g.sp.formula && g.formulaAt < len(formulaNames) && i%7 == 3:
		name = formulaNames[g.formulaAt]
		g.formulaAt++
	case len(g.names) > 0 && r.Float64() < g.dupRate():
		name = g.names[r.IntN(len(g.names))]
	}
	g.names = append(g.names, name)

	// Standard components stay visible: a hidden "Sessions" would be odd.
	hidden := srcType != "standard" && r.IntN(100) < 7
	c := map[string]any{
		"id":                     id,
		"name":                   name,
		"type":                   f.typ,
		"sourceFieldId":          strings.TrimPrefix(id, prefix),
		"sourceFieldName":        f.path,
		"sourceFieldType":        srcType,
		"storageId":              strings.TrimPrefix(id, prefix),
		"dataSetIds":             g.dataSetIDs(dsType),
		"dataSetType":            nullable(dsType),
		"schemaType":             f.schemaType,
		"schemaPath":             schemaPath,
		"tableName":              tableName(dsType),
		"baseTableName":          tableName(dsType),
		"required":               srcType == "standard" && i < 2,
		"hideFromReporting":      hidden || r.IntN(40) == 0,
		"hidden":                 hidden,
		"hasData":                r.IntN(10) != 0,
		"segmentable":            true,
		"favorite":               r.IntN(20) == 0,
		"approved":               r.IntN(4) == 0,
		"fromGlobalLookup":       srcType == "globalLookup",
		"multiValued":            r.IntN(25) == 0,
		"derivedFieldCompatible": !derived,
		"tags":                   g.tags(),
		"labels":                 g.labels(),
		"usageSummary": map[string]any{
			"dataViewId":     g.sp.id,
			"componentId":    id,
			"usageCount":     r.IntN(500),
			"relevancyScore": round2(r.Float64()),
			"lastUsedDate":   stamp(date(r, epoch, 700)),
		},
		"includeExcludeSetting": g.includeExclude(),
	}
	if derived {
		c["fieldDefinition"] = g.fieldDefinition()
	}
	if g.dims {
		g.dimensionSettings(c, f.typ)
	} else {
		g.metricSettings(c, f.typ)
	}
	g.describe(c, f.name)
	if r.Float64() < g.extraRate() {
		k, v := extraFields[r.IntN(len(extraFields))](r)
		c[k] = v
	}
	return c
}

func (g *componentGen) dupRate() float64 {
	if g.sp.messy {
		return 0.06
	}
	return 0.01
}

func (g *componentGen) extraRate() float64 {
	if g.sp.messy {
		return 0.05
	}
	return 0.015
}

// tenantField returns the next custom field of the tenant schema.
func (g *componentGen) tenantField() (field, string) {
	attrs := dimensionAttrs
	if !g.dims {
		attrs = metricAttrs
	}
	k := g.tenant
	g.tenant++
	group := tenantGroups[k%len(tenantGroups)]
	attr := attrs[k/len(tenantGroups)%len(attrs)]
	round := k / (len(tenantGroups) * len(attrs))
	path := "_sampleorg." + group + "." + attr
	name := title(group) + " " + title(attr)
	if round > 0 {
		path += strconv.Itoa(round + 1)
		name += " " + strconv.Itoa(round+1)
	}
	typ, schemaType := "string", "string"
	switch attr {
	case "level":
		typ, schemaType = "int", "int"
	case "stage":
		typ, schemaType = "ordered-enum", "int"
	case "duration":
		typ, schemaType = "time", "int"
	case "amount", "revenue", "score":
		typ, schemaType = "decimal", "double"
	default:
		if !g.dims {
			typ, schemaType = "int", "int"
		}
	}
	return field{path, name, typ, schemaType}, dataSetTypeOf(group)
}

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func tableName(dsType string) any {
	if dsType == "" {
		return nil
	}
	return dsType + "s"
}

// dataSetIDs: derived and standard components span every event data set.
func (g *componentGen) dataSetIDs(dsType string) []string {
	if dsType == "" {
		dsType = "event"
	}
	all := g.datasets[dsType]
	return all[:1+g.r.IntN(len(all))]
}

func (g *componentGen) tags() []any {
	tags := []any{}
	if g.r.IntN(4) == 0 {
		t := g.r.IntN(len(tagNames))
		tags = append(tags, map[string]any{"id": 1000 + t, "name": tagNames[t]})
	}
	return tags
}

func (g *componentGen) labels() []any {
	if g.r.IntN(7) == 0 {
		return []any{"C" + strconv.Itoa(1+g.r.IntN(12))}
	}
	return []any{}
}

func (g *componentGen) includeExclude() map[string]any {
	if g.r.IntN(12) != 0 {
		return map[string]any{"enabled": false}
	}
	return map[string]any{"enabled": true, "caseSensitive": false, "match": "or",
		"rules": []any{map[string]any{"rule": "contains", "string": "test"}}}
}

// describe sets the description in one of the shapes seen live: real text,
// null, absent, "" or the literal "n/a".
func (g *componentGen) describe(c map[string]any, subject string) {
	weights := [5]int{45, 15, 15, 15, 10} // text, null, absent, "", n/a
	if g.sp.messy {
		weights = [5]int{20, 20, 10, 20, 30}
	}
	x := g.r.IntN(100)
	switch {
	case x < weights[0]:
		c["description"] = fmt.Sprintf(descriptionTemplates[g.r.IntN(len(descriptionTemplates))], subject)
		if g.sp.formula && g.r.IntN(8) == 0 {
			c["description"] = "=" + subject + " * 100"
		}
	case x < weights[0]+weights[1]:
		c["description"] = nil
	case x < weights[0]+weights[1]+weights[2]:
		// absent
	case x < weights[0]+weights[1]+weights[2]+weights[3]:
		c["description"] = ""
	default:
		c["description"] = "n/a"
	}
}

var descriptionTemplates = []string{
	"%s as collected by the Web SDK on every event.",
	"%s. Owned by the analytics team; ask before changing the settings.",
	"%s, deduplicated per session.",
	"%s from the mobile and web data streams.",
	"%s (see the implementation guide, section 4.2).",
}

func (g *componentGen) fieldDefinition() []any {
	r := g.r
	switch r.IntN(3) {
	case 0:
		return []any{
			map[string]any{"func": "raw-field", "id": "web.webPageDetails.URL", "label": "Page URL"},
			map[string]any{"func": "url-parse", "field": map[string]any{"ref": "web.webPageDetails.URL"},
				"component": "query", "param": "cid", "label": "cid"},
		}
	case 1:
		return []any{
			map[string]any{"func": "raw-field", "id": "marketing.trackingCode"},
			map[string]any{"func": "match", "field": map[string]any{"ref": "marketing.trackingCode"},
				"branches": []any{
					map[string]any{"when": map[string]any{"func": "contains", "value": "email"}, "then": "Email"},
					map[string]any{"when": map[string]any{"func": "starts-with", "value": "ps_"}, "then": "Paid Search"},
				},
				"default": "Other"},
		}
	default:
		return []any{
			map[string]any{"func": "raw-field", "id": "search.keywords"},
			map[string]any{"func": "lowercase", "field": map[string]any{"ref": "search.keywords"}},
			map[string]any{"func": "trim", "field": map[string]any{"ref": "search.keywords"}, "characters": " "},
		}
	}
}

func (g *componentGen) metricSettings(c map[string]any, typ string) {
	r := g.r
	format := map[string]any{"formatType": "decimal", "decimalPlaces": 0, "negativeRed": false}
	precision := 0
	switch {
	case typ == "time":
		format["formatType"] = "time"
	case typ == "decimal" && strings.Contains(strings.ToLower(c["sourceFieldName"].(string)), "price"):
		format["formatType"], format["decimalPlaces"], format["currency"] = "currency", 2, "USD"
		precision = 2
	case typ == "decimal":
		format["decimalPlaces"] = 2
		precision = 2
	}
	c["formatSetting"] = format
	c["precision"] = precision
	c["countType"] = []string{"sum", "count", "count-all"}[r.IntN(3)]
	attr := map[string]any{"enabled": false}
	if r.IntN(5) == 0 {
		attr = map[string]any{"enabled": true,
			"model":    map[string]any{"func": []string{"allocation-lastTouch", "allocation-firstTouch", "allocation-linear"}[r.IntN(3)]},
			"lookback": map[string]any{"granularity": "day", "numPeriods": 30}}
	}
	c["attributionSetting"] = attr
}

func (g *componentGen) dimensionSettings(c map[string]any, typ string) {
	r := g.r
	c["noValueOptionsSetting"] = map[string]any{
		"includeNoneByDefault": r.IntN(3) != 0,
		"noneChangeable":       true,
		"noneSettingType":      []string{"show-no-value", "hide-no-value", "custom"}[r.IntN(3)],
		"customNoneValue":      "No value",
	}
	sort := "alphabetical"
	switch typ {
	case "int", "decimal":
		sort = "numeric"
		c["bucketingSetting"] = map[string]any{"enabled": r.IntN(3) == 0, "buckets": []any{10, 100, 1000}}
	case "time", "ordered-enum":
		sort = "chronological"
	}
	c["defaultDimensionSort"] = sort
	persist := map[string]any{"enabled": false}
	if r.IntN(4) == 0 {
		persist = map[string]any{"enabled": true,
			"allocationModel": map[string]any{"func": []string{"allocation-mostRecent", "allocation-original", "allocation-instance"}[r.IntN(3)]},
			"expiration":      []any{map[string]any{"func": "allocation-expiration", "granularity": []string{"session", "person", "day"}[r.IntN(3)], "numPeriods": 1}}}
	}
	c["persistenceSetting"] = persist
}
