package cases

import "testing"

func TestActorRoundTrip(t *testing.T) {
	for _, id := range []string{"wm1", "", "a:b", "张三"} {
		if got, ok := CitizenActor(id).Citizen(); !ok || got != id {
			t.Errorf("CitizenActor(%q).Citizen() = %q, %v", id, got, ok)
		}
		if got, ok := StaffActor(id).Staff(); !ok || got != id {
			t.Errorf("StaffActor(%q).Staff() = %q, %v", id, got, ok)
		}
	}
	if a := CitizenActor("wmABC"); a != "citizen:wmABC" {
		t.Errorf("CitizenActor = %q, want the stored form citizen:wmABC", a)
	} else if id, ok := a.Citizen(); !ok || id != "wmABC" {
		t.Errorf("Citizen() = %q, %v; want wmABC, true", id, ok)
	}
	if a := StaffActor("zhangsan"); a != "staff:zhangsan" {
		t.Errorf("StaffActor = %q, want the stored form staff:zhangsan", a)
	} else if id, ok := a.Staff(); !ok || id != "zhangsan" {
		t.Errorf("Staff() = %q, %v; want zhangsan, true", id, ok)
	}
}

// TestActorParsesStoredForms reads every form the events table holds, and
// refuses what no code ever wrote.
func TestActorParsesStoredForms(t *testing.T) {
	for _, tc := range []struct {
		stored          Actor
		citizen, staff  string
		isCitizen, isSt bool
	}{
		{stored: "citizen:wmAbc-123", citizen: "wmAbc-123", isCitizen: true},
		{stored: "staff:li.si", staff: "li.si", isSt: true},
		{stored: "staff:a:b", staff: "a:b", isSt: true}, // only the first colon separates
		{stored: "system"},
		{stored: "bot"},
		{stored: ""},
		{stored: "citizen:", isCitizen: true}, // a case without a reporter id
		{stored: "staff:", isSt: true},
		{stored: "citizen"},
		{stored: "Citizen:wm1"}, // the prefix is lower case
		{stored: " staff:x"},
		{stored: "staffer:x"},
	} {
		t.Run(string(tc.stored), func(t *testing.T) {
			id, ok := tc.stored.Citizen()
			if ok != tc.isCitizen || id != tc.citizen && ok {
				t.Errorf("Citizen() = %q, %v; want %q, %v", id, ok, tc.citizen, tc.isCitizen)
			}
			id, ok = tc.stored.Staff()
			if ok != tc.isSt || id != tc.staff && ok {
				t.Errorf("Staff() = %q, %v; want %q, %v", id, ok, tc.staff, tc.isSt)
			}
		})
	}
}
