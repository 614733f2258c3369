package cases

import (
	"fmt"
	"testing"
)

func TestRateItemRoundTrip(t *testing.T) {
	for n := 0; n <= 5; n++ {
		r := RateItem{Number: "BC2611280001", Rating: n}
		// The form the desk wrote before the type existed.
		if old := fmt.Sprintf("rate:%s:%d", r.Number, n); r.ID() != old {
			t.Errorf("ID() = %q, want the sent form %q", r.ID(), old)
		}
		if !IsRateItem(r.ID()) {
			t.Errorf("IsRateItem(%q) = false", r.ID())
		}
		if got, ok := ParseRateItem(r.ID()); !ok || got != r {
			t.Errorf("ParseRateItem(%q) = %+v, %v; want %+v", r.ID(), got, ok, r)
		}
	}
}

func TestParseRateItem(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want RateItem
		ok   bool
	}{
		{"rate:BC2611280001:2", RateItem{Number: "BC2611280001", Rating: 2}, true},
		{"rate:BC2611280001:0", RateItem{Number: "BC2611280001", Rating: RatingNotSolved}, true},
		{"rate:A:B:5", RateItem{Number: "A:B", Rating: 5}, true},
		{"followup:1", RateItem{Rating: 1}, true},
		{"followup:5", RateItem{Rating: 5}, true},
		{"followup:6", RateItem{Rating: RatingNotSolved}, true},
		// Refused.
		{"rate:BC2611280001:6", RateItem{}, false},
		{"rate:BC2611280001:-1", RateItem{}, false},
		{"rate:BC2611280001:x", RateItem{}, false},
		{"rate:BC2611280001:", RateItem{}, false},
		{"rate::3", RateItem{}, false},
		{"rate:3", RateItem{}, false},
		{"rate:", RateItem{}, false},
		{"followup:0", RateItem{}, false},
		{"followup:7", RateItem{}, false},
		{"followup:x", RateItem{}, false},
		{"followup:", RateItem{}, false},
		{"menu:1", RateItem{}, false},
		{"", RateItem{}, false},
	} {
		t.Run(tc.id, func(t *testing.T) {
			got, ok := ParseRateItem(tc.id)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ParseRateItem(%q) = %+v, %v; want %+v, %v", tc.id, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestIsRateItem(t *testing.T) {
	for id, want := range map[string]bool{
		"rate:BC1:2": true, "rate:damaged": true, "followup:9": true,
		"menu:1": false, "": false, "Rate:BC1:2": false, "report": false,
	} {
		if got := IsRateItem(id); got != want {
			t.Errorf("IsRateItem(%q) = %v, want %v", id, got, want)
		}
	}
}
