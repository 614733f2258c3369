package cases

import "strings"

// Actor names who did something on a case: a citizen, a staff member, the
// bot or the system. It is stored as its text ("citizen:<external id>",
// "staff:<user id>", "bot", "system") in the events table and in JSON, so the
// text is the format: build actors with the constructors and read them with
// the parsers, never by joining or cutting strings.
type Actor string

// The actors that are not a person.
const (
	// ActorSystem is the service itself: timers, notification fates, notes
	// the desk writes on its own account.
	ActorSystem Actor = "system"
	// ActorBot is the dialog speaking to a citizen.
	ActorBot Actor = "bot"
)

const (
	citizenPrefix = "citizen:"
	staffPrefix   = "staff:"
)

// CitizenActor is the citizen with a WeCom external user id.
func CitizenActor(externalUserID string) Actor { return Actor(citizenPrefix + externalUserID) }

// StaffActor is the staff member with a WeCom user id.
func StaffActor(userID string) Actor { return Actor(staffPrefix + userID) }

// Citizen returns the external user id of a citizen actor; ok is false for
// any other actor. A case with no reporter id (one filed through Open311)
// has the citizen actor "citizen:", which is still a citizen.
func (a Actor) Citizen() (externalUserID string, ok bool) {
	return strings.CutPrefix(string(a), citizenPrefix)
}

// Staff returns the user id of a staff actor; ok is false for any other
// actor.
func (a Actor) Staff() (userID string, ok bool) { return strings.CutPrefix(string(a), staffPrefix) }

// String returns the stored form.
func (a Actor) String() string { return string(a) }
