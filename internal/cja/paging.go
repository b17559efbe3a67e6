package cja

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"sync/atomic"
)

// page is one decoded page of a paged endpoint.
type page struct {
	items []map[string]any
	// flagLast is lastPage (docs) or last (swagger, Spring): the live API's
	// form is unconfirmed, so either one ends the listing.
	flagLast   bool
	number     int
	hasNumber  bool
	totalPages int
	hasTotal   bool
}

// final reports whether no page follows the one asked for as requested.
func (p page) final(requested int) bool {
	if len(p.items) == 0 || p.flagLast {
		return true
	}
	if p.hasTotal {
		n := requested
		if p.hasNumber {
			n = max(n, p.number)
		}
		return n+1 >= p.totalPages
	}
	return false
}

// decodePage reads a page envelope. A page without a content array is an
// error, never an empty list: that is how cjapy hides failures.
func decodePage(op string, status int, body []byte) (page, *Error) {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return page{}, badResponse(op, status, "answer is not a JSON object", nil)
	}
	content, ok := m["content"].([]any)
	if !ok {
		if looksLikeError(m) {
			return page{}, badResponse(op, status, "answer is an error object", body)
		}
		return page{}, badResponse(op, status, "answer has no content list", nil)
	}
	p := page{items: make([]map[string]any, 0, len(content))}
	for i, v := range content {
		item, ok := v.(map[string]any)
		if !ok {
			return page{}, badResponse(op, status, fmt.Sprintf("content[%d] is not an object", i), nil)
		}
		p.items = append(p.items, item)
	}
	p.flagLast = m["lastPage"] == true || m["last"] == true
	if n, ok := m["number"].(float64); ok {
		p.number, p.hasNumber = int(n), true
	}
	if n, ok := m["totalPages"].(float64); ok {
		p.totalPages, p.hasTotal = int(n), true
	}
	return p, nil
}

// fetchAll reads every page of path, one after the other, from page 0.
// It stops at MaxPages with an error so a broken API cannot loop forever.
func fetchAll[T ~map[string]any](ctx context.Context, c *Client, op, path string, q url.Values, n *atomic.Int64) ([]T, error) {
	all := []T{}
	for p := 0; ; p++ {
		if p >= c.cfg.MaxPages {
			return nil, &Error{Kind: KindBadResponse, Op: op,
				Message: fmt.Sprintf("%s returned more than %d pages without a last page", path, c.cfg.MaxPages),
				Hint:    hintBadResponse}
		}
		q.Set("page", strconv.Itoa(p))
		res, err := c.get(ctx, op, c.cfg.CJAURL+path+"?"+q.Encode(), n)
		if err != nil {
			return nil, err
		}
		pg, e := decodePage(op, res.status, res.body)
		if e != nil {
			return nil, c.finish(e)
		}
		for _, item := range pg.items {
			all = append(all, T(item))
		}
		if pg.final(p) {
			return all, nil
		}
	}
}
