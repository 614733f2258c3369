package cases

import "testing"

// TestServiceStateNumbers pins the states to WeCom's numbers, which are also
// what contacts.service_state holds.
func TestServiceStateNumbers(t *testing.T) {
	for want, s := range []ServiceState{StateNew, StateBot, StatePool, StateHuman, StateEnded} {
		if int(s) != want {
			t.Errorf("state %d is numbered %d", want, int(s))
		}
		if !s.Valid() {
			t.Errorf("%d.Valid() = false", s)
		}
	}
	for _, s := range []ServiceState{-1, 5, 99} {
		if s.Valid() {
			t.Errorf("%d.Valid() = true, but WeCom has no such state", s)
		}
	}
}

func TestServiceStateWithServicers(t *testing.T) {
	for s, want := range map[ServiceState]bool{
		StateNew: false, StateBot: false, StatePool: true, StateHuman: true, StateEnded: false,
	} {
		if got := s.WithServicers(); got != want {
			t.Errorf("%d.WithServicers() = %v, want %v", s, got, want)
		}
	}
}
