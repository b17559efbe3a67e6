// Package cja talks to the Adobe Customer Journey Analytics API: IMS OAuth
// Server-to-Server tokens, the data view endpoints, pagination, retries and a
// client-side rate limit. It knows nothing about SDR documents.
package cja

import (
	"context"
	"fmt"
)

// Component is one metric or dimension exactly as the API returned it. It is a
// map, not a struct, because the API adds fields at any time and the SDR must
// show every column it received.
type Component map[string]any

// ID returns the component id, or "" when absent or not a string.
func (c Component) ID() string { return str(c["id"]) }

// Name returns the component name, or "" when absent or not a string.
func (c Component) Name() string { return str(c["name"]) }

// Type returns the component type, or "" when absent or not a string.
func (c Component) Type() string { return str(c["type"]) }

// DataView is the data view object as the API returned it (unknown fields kept).
type DataView map[string]any

// ID returns the data view id.
func (d DataView) ID() string { return str(d["id"]) }

// Name returns the data view name.
func (d DataView) Name() string { return str(d["name"]) }

// OwnerName returns owner.name, or "" when the owner or its name is missing.
func (d DataView) OwnerName() string {
	if o, ok := d["owner"].(map[string]any); ok {
		return str(o["name"])
	}
	return ""
}

// DataViewInfo is one entry of the data view listing.
type DataViewInfo struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Owner string `json:"owner"`
}

// DataViewData is everything an SDR needs about one data view.
type DataViewData struct {
	DataView   DataView
	Metrics    []Component
	Dimensions []Component
	// Requests is how many HTTP requests the fetch made (retries included).
	Requests int
}

// Fetcher is what the SDR engine needs from the API. *Client implements it;
// tests may substitute their own.
type Fetcher interface {
	// FetchDataView gets the data view, its metrics and its dimensions
	// (hidden ones included), the three requests running concurrently.
	FetchDataView(ctx context.Context, id string) (*DataViewData, error)
	// ListDataViews returns every data view the credentials can see.
	ListDataViews(ctx context.Context) ([]DataViewInfo, error)
}

func str(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case nil:
		return ""
	default:
		return fmt.Sprint(s)
	}
}
