package sdr

import (
	"fmt"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/quality"
)

// SyntheticDocument builds a deterministic document with n components (30%
// metrics, 70% dimensions, about the real mix) shaped like live API data:
// the full field set, nested objects and arrays, and a sprinkling of
// null, empty and "n/a" descriptions and duplicate names so the Data
// Quality sheet is not trivial. Benchmarks and load tests use it; values
// are what encoding/json yields (float64 numbers, []any, map[string]any).
func SyntheticDocument(n int) *Document {
	nm := n * 3 / 10
	metrics := make([]cja.Component, nm)
	for i := range metrics {
		metrics[i] = syntheticComponent(i, true)
	}
	dims := make([]cja.Component, n-nm)
	for i := range dims {
		dims[i] = syntheticComponent(i, false)
	}
	loc := time.FixedZone("CET", 3600)
	return &Document{
		Generated:   time.Date(2025, 3, 14, 9, 26, 53, 0, loc),
		ToolVersion: "synthetic",
		DataView: cja.DataView{
			"id":                    "dv_677ea9291244fd082f02dd42",
			"name":                  "Synthetic Data View",
			"description":           "Generated for benchmarks",
			"owner":                 map[string]any{"imsUserId": "U1@AdobeID", "ownerId": "U1@AdobeID", "name": "Jane Doe", "type": "imsUser"},
			"isDeleted":             false,
			"parentDataGroupId":     "dg_5f3c",
			"segmentList":           []any{},
			"currentTimezoneOffset": -300.0,
			"timezoneDesignator":    "US/Eastern",
			"modifiedDate":          "2025-01-20T10:00:00Z",
			"createdDate":           "2024-06-01T08:00:00Z",
			"organization":          "ORG1@AdobeOrg",
			"curationEnabled":       false,
			"sessionDefinition":     map[string]any{"numPeriods": 30.0, "granularity": "minute", "func": "inactivity"},
			"externalData":          map[string]any{"externalParentId": nil},
			"containerNames":        map[string]any{"event": "Event", "session": "Session", "people": "Person"},
		},
		Metrics:    metrics,
		Dimensions: dims,
		Issues:     quality.Check(metrics, dims),
	}
}

func syntheticComponent(i int, metric bool) cja.Component {
	kind, prefix := "dimension", "variables"
	types := []string{"string", "string", "int", "time", "ordered-enum"}
	if metric {
		kind, prefix = "metric", "metrics"
		types = []string{"int", "int", "decimal", "currency", "percent"}
	}
	field := fmt.Sprintf("_acme.%s.field%05d", kind, i)
	nameIndex := i
	if i%100 == 99 {
		nameIndex = i - 1 // a duplicate name now and then
	}
	c := cja.Component{
		"id":                fmt.Sprintf("%s/%s", prefix, field),
		"name":              fmt.Sprintf("Synthetic %s %d", kind, nameIndex),
		"description":       fmt.Sprintf("Counts how often %s %d happened, for benchmark purposes.", kind, i),
		"type":              types[i%len(types)],
		"sourceFieldId":     field,
		"sourceFieldName":   field,
		"sourceFieldType":   []string{"custom", "standard", "derived"}[i%3],
		"storageId":         fmt.Sprintf("%s_%x", kind, i*7919),
		"dataSetIds":        []any{"5f3c0a1b2c3d4e5f6a7b8c9d", fmt.Sprintf("ds_%04d", i%17)},
		"dataSetType":       []any{"event", "lookup", "profile", nil}[i%4],
		"schemaType":        types[i%len(types)],
		"schemaPath":        "_acme." + kind,
		"tableName":         "acme_events",
		"required":          false,
		"hideFromReporting": i%9 == 0,
		"hidden":            false,
		"hasData":           i%5 != 0,
		"segmentable":       true,
		"favorite":          false,
		"approved":          i%2 == 0,
		"fromGlobalLookup":  false,
		"multiValued":       i%6 == 0,
		"tags":              []any{map[string]any{"id": float64(i % 13), "name": fmt.Sprintf("tag-%d", i%13)}},
		"usageSummary": map[string]any{
			"count": float64(i % 97), "dataViewsCount": 1.0,
			"lastUsed": "2025-01-15T12:00:00Z", "relevancyScore": float64(i%100) / 100,
		},
		"includeExcludeSetting": map[string]any{"enabled": false, "caseSensitive": true, "match": "any"},
	}
	if metric {
		c["precision"] = float64(i % 3)
		c["attributionSetting"] = map[string]any{"model": "lastTouch", "lookbackWindow": map[string]any{"granularity": "day", "numPeriods": 30.0}}
		c["formatSetting"] = map[string]any{"decimals": 0.0, "currency": "USD"}
	} else {
		c["persistenceSetting"] = map[string]any{"enabled": i%4 == 0, "allocationModel": map[string]any{"func": "allocation-mostRecent"}, "expiration": map[string]any{"func": "allocation-session"}}
		c["noValueOptionsSetting"] = map[string]any{"includeNoneByDefault": true, "noneChangeable": true, "noneSettingType": "show-no-value", "customNoneValue": "No value"}
	}
	switch i % 10 {
	case 3:
		c["description"] = nil
	case 6:
		c["description"] = "n/a"
	case 8:
		c["description"] = ""
	}
	return c
}
