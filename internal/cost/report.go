package cost

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Report is the fixed monthly cost of one environment at list price.
type Report struct {
	// Region is the region of the environment's stacks.
	Region string `json:"region"`
	// PriceRegion and PriceDate say which list prices were used.
	PriceRegion string `json:"priceRegion"`
	PriceDate   string `json:"priceDate"`
	// Currency is USD.
	Currency string `json:"currency"`
	// HoursPerMonth turns hourly prices into monthly ones.
	HoursPerMonth float64 `json:"hoursPerMonth"`
	// Items are the priced (and unpriced) resources, one line each.
	Items []Item `json:"items"`
	// MonthlyTotal is the sum of the items' monthly costs.
	MonthlyTotal float64 `json:"monthlyTotal"`
	// Complete is false when some item has no price in the table: the total
	// is then a lower bound.
	Complete bool `json:"complete"`
	// UsageBased lists the resources whose cost depends on use and is left
	// out of the total.
	UsageBased []Usage `json:"usageBased"`
	// Notes are the assumptions the estimate made.
	Notes []string `json:"notes"`
}

// Item is one line of the estimate: a quantity of something at a unit price.
type Item struct {
	// Kind is what is billed: "NAT gateway", "Fargate task", ...
	Kind string `json:"kind"`
	// Detail tells which one: the service, the instance class, ...
	Detail string `json:"detail"`
	// Stack and Resource name the resource in the templates (logical ID).
	Stack    string `json:"stack"`
	Resource string `json:"resource"`
	// Quantity is how many units run all month (tasks, GiB, addresses).
	Quantity float64 `json:"quantity"`
	// UnitPrice is the price of one unit per Per ("hour" or "month").
	UnitPrice float64 `json:"unitPrice"`
	Per       string  `json:"per"`
	// Monthly is Quantity × UnitPrice, per month.
	Monthly float64 `json:"monthly"`
	// Unpriced says why the table has no price for this item; Monthly is
	// then 0.
	Unpriced string `json:"unpriced,omitempty"`
}

// Usage is a kind of resource billed by use, left out of the fixed cost.
type Usage struct {
	// Type is the CloudFormation resource type.
	Type string `json:"type"`
	// Count is how many the environment has.
	Count int `json:"count"`
	// Note says what its bill depends on.
	Note string `json:"note"`
}

// WriteTable writes the report as a table: item, quantity, unit price,
// monthly cost, the total, the price date, the assumptions and the
// usage-based resources left out.
func (r *Report) WriteTable(w io.Writer) error {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "item\tquantity\tunit price\tmonthly")
	for _, it := range r.Items {
		name := it.Kind
		if it.Detail != "" {
			name += " (" + it.Detail + ")"
		}
		unit, monthly := fmt.Sprintf("$%s/%s", trimPrice(it.UnitPrice), it.Per), fmt.Sprintf("$%.2f", it.Monthly)
		if it.Unpriced != "" {
			unit, monthly = "unpriced", "?"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, trimPrice(it.Quantity), unit, monthly)
	}
	total := "total"
	if !r.Complete {
		total = "total (lower bound: some items are unpriced)"
	}
	fmt.Fprintf(tw, "%s\t\t\t$%.2f\n", total, r.MonthlyTotal)
	tw.Flush()
	fmt.Fprintf(&b, "\nFixed monthly cost at %s list prices as of %s (%v hours a month), %s.\n",
		r.PriceRegion, r.PriceDate, r.HoursPerMonth, r.Currency)
	for _, it := range r.Items {
		if it.Unpriced != "" {
			fmt.Fprintf(&b, "Unpriced: %s (%s) in %s/%s: %s\n", it.Kind, it.Detail, it.Stack, it.Resource, it.Unpriced)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "Note: %s\n", n)
	}
	if len(r.UsageBased) > 0 {
		fmt.Fprintln(&b, "\nBilled by use, not counted:")
		for _, u := range r.UsageBased {
			fmt.Fprintf(&b, "  %d × %s: %s\n", u.Count, u.Type, u.Note)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// trimPrice prints a number with up to six decimals and no trailing zeros.
func trimPrice(v float64) string {
	s := strings.TrimRight(fmt.Sprintf("%.6f", v), "0")
	return strings.TrimSuffix(s, ".")
}
