package cja

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Expansions ask for every field CJA_API.md §3 lists: the SDR shows every
// column, and what is not asked for is not returned.
const (
	dataViewExpansion = "name,description,owner,isDeleted,parentDataGroupId,segmentList," +
		"currentTimezoneOffset,timezoneDesignator,modified,createdDate,organization,curationEnabled," +
		"recentRecordedAccess,sessionDefinition,externalData,containerNames"
	componentExpansion = "approved,favorite,tags,usageSummary,usageSummaryWithRelevancyScore,description," +
		"sourceFieldId,segmentable,required,hideFromReporting,hidden,includeExcludeSetting,fieldDefinition," +
		"storageId,tableName,dataSetIds,dataSetType,type,schemaPath,hasData,sourceFieldName,schemaType," +
		"sourceFieldType,fromGlobalLookup,multiValued,precision"
	metricExpansion    = componentExpansion + ",countType,formatSetting,attributionSetting"
	dimensionExpansion = componentExpansion + ",bucketingSetting,noValueOptionsSetting,defaultDimensionSort,persistenceSetting"

	// componentPageSize is sent as limit for metrics and dimensions:
	// undocumented there but harmless, and large data views (5,000-10,000
	// components) then take a few pages instead of a hundred.
	componentPageSize = 1000
)

// FetchDataView gets the data view, its metrics and its dimensions (hidden
// ones included). The three requests run concurrently and the first failure
// cancels the others; further pages of metrics or dimensions follow one by
// one. A single-page data view costs exactly 3 requests.
func (c *Client) FetchDataView(ctx context.Context, id string) (*DataViewData, error) {
	if strings.TrimSpace(id) == "" {
		return nil, &Error{Op: "get data view", Message: "empty data view ID", Hint: hintNotFound}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		n        atomic.Int64
		out      DataViewData
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	// run starts one of the three requests; the first error wins and
	// cancels the siblings, whose own (cancellation) errors are dropped.
	run := func(f func() error) {
		wg.Go(func() {
			if err := f(); err != nil {
				once.Do(func() { firstErr = err; cancel() })
			}
		})
	}
	base := "/data/dataviews/" + url.PathEscape(id)
	run(func() (err error) {
		out.DataView, err = c.getDataView(ctx, id, base, &n)
		return err
	})
	run(func() (err error) {
		out.Metrics, err = fetchAll[Component](ctx, c, "get metrics of "+id, base+"/metrics", componentQuery(metricExpansion), &n)
		return err
	})
	run(func() (err error) {
		out.Dimensions, err = fetchAll[Component](ctx, c, "get dimensions of "+id, base+"/dimensions", componentQuery(dimensionExpansion), &n)
		return err
	})
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	out.Requests = int(n.Load())
	return &out, nil
}

func componentQuery(expansion string) url.Values {
	return url.Values{
		"includeType": {"hidden"},
		"locale":      {"en_US"},
		"expansion":   {expansion},
		"limit":       {strconv.Itoa(componentPageSize)},
	}
}

// getDataView fetches the data view object itself.
func (c *Client) getDataView(ctx context.Context, id, path string, n *atomic.Int64) (DataView, error) {
	op := "get data view " + id
	q := url.Values{"expansion": {dataViewExpansion}}
	res, err := c.get(ctx, op, c.cfg.CJAURL+path+"?"+q.Encode(), n)
	if err != nil {
		return nil, err
	}
	var dv DataView
	if err := json.Unmarshal(res.body, &dv); err != nil || dv == nil {
		return nil, c.finish(badResponse(op, res.status, "answer is not a JSON object", nil))
	}
	if dv.ID() == "" {
		// An error object sent with 200, or something else entirely.
		return nil, c.finish(badResponse(op, res.status, "answer is not a data view (no id)", res.body))
	}
	return dv, nil
}

// ListDataViews returns every data view the credentials can see, across
// all pages.
func (c *Client) ListDataViews(ctx context.Context) ([]DataViewInfo, error) {
	q := url.Values{
		"expansion": {dataViewExpansion},
		"limit":     {strconv.Itoa(c.cfg.PageSize)},
	}
	views, err := fetchAll[DataView](ctx, c, "list data views", "/data/dataviews", q, nil)
	if err != nil {
		return nil, err
	}
	out := make([]DataViewInfo, 0, len(views))
	for _, dv := range views {
		out = append(out, DataViewInfo{ID: dv.ID(), Name: dv.Name(), Owner: dv.OwnerName()})
	}
	return out, nil
}
