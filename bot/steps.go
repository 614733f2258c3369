package bot

import (
	"context"

	"banchengshi/cases"
)

// The dialog's steps, and everything the dialog knows about each one in a
// single table: what the citizen is doing there, the summary item it fills,
// its question, how words and files sent on it are taken, and which form
// step follows it.

// Step is where a citizen is in the dialog: the question the next message
// answers. Sessions store steps by name, so a step is never renamed; the
// names stored so far are listed in steps_test.go.
type Step string

// Steps of the dialog.
const (
	stepMenu        Step = "menu" // nothing in progress
	stepResume      Step = "resume"
	stepWho         Step = "who"
	stepSelfName    Step = "self_name" // the reporter's own name, when it is their own matter
	stepName        Step = "name"
	stepRelation    Step = "relation"
	stepConsent     Step = "consent"
	stepReporter    Step = "reporter" // how to address somebody reporting for another
	stepID          Step = "id"
	stepPhoneWhose  Step = "phone_whose"
	stepPhone       Step = "phone"
	stepCategory    Step = "category"
	stepTriedWindow Step = "tried_window"
	stepTriedWhen   Step = "tried_when"
	stepTriedAnswer Step = "tried_answer"
	stepDesc        Step = "desc"
	stepConfirm     Step = "confirm"
	stepEdit        Step = "edit"
	stepSuppPick    Step = "supp_pick"
	stepSuppCollect Step = "supp_collect"
	stepWdPick      Step = "wd_pick"
	stepWdReason    Step = "wd_reason"
	stepWdConfirm   Step = "wd_confirm"
	stepRatePick    Step = "rate_pick" // which resolved case a follow-up answer is about
	stepRateWhy     Step = "rate_why"  // why the citizen is not satisfied
	stepAboutAsk    Step = "about_ask" // whether words go to the case the bot last spoke about
	stepHeldNew     Step = "held_new"  // whether material no case could take becomes a new report
)

// activity is what the citizen is doing on a step. A long silence, 取消 and
// 重新开始 treat the steps of one activity alike.
type activity string

const (
	actMenu       activity = "menu"       // nothing in progress
	actResume     activity = "resume"     // asked whether to continue after a long silence
	actReport     activity = "report"     // the report form, its summary and its changes
	actSupplement activity = "supplement" // adding material to an open case
	actWithdraw   activity = "withdraw"   // withdrawing an open case
	actRate       activity = "rate"       // the follow-up answer of a resolved case
	actAbout      activity = "about"      // whether words go to the case last spoken about
)

// stepDef is what the dialog knows about one step. The zero value is that
// of a step this release does not have.
type stepDef struct {
	activity activity
	// group is the summary item a step of the report form fills: changing
	// that item goes through the group's steps. The summary and its change
	// menu have none.
	group string
	// choice: answered by picking an option. voice: a voice message may
	// answer it (staff listen to it later). names: it asks a name or a
	// relation, so a number typed there is refused, not kept (it is most
	// likely a slip).
	choice, voice, names bool
	// ask is the step's question (questions.go).
	ask func(t *turn) cases.Message
	// answer reads a typed (or tapped) answer on the step and says what
	// comes next. On a form step it is reached through reportText, which
	// first takes words that answer something else.
	answer func(t *turn, ctx context.Context, text string) error
	// media handles a file or voice message sent on the step, when the step
	// does more with it than keep it (media.go).
	media func(t *turn, ctx context.Context, m *Media) error
	// filled reports whether a form step's answer is already known, from an
	// earlier message that said it before it was asked; the form skips it.
	filled func(s *session) bool
	// next is the form step after this one, given what the draft holds;
	// nil for the summary.
	next func(t *turn) Step
}

// steps is the dialog's step table. It is filled by init because the
// answers it names refer back to it, through ask and advance.
var steps map[Step]stepDef

func init() {
	steps = map[Step]stepDef{
		stepMenu: {
			activity: actMenu, choice: true,
			ask:    (*turn).askMenu,
			answer: (*turn).idle,
			media:  (*turn).mediaOnMenu,
		},
		stepResume: {
			activity: actResume, choice: true,
			ask:    offers(textResumeAsk, resumeOptions, textMenuTail),
			answer: (*turn).resume,
		},

		stepWho: {
			activity: actReport, group: "who", choice: true,
			ask:    offers(textAskWho, whoOptions, textStepTail),
			answer: reads((*turn).answerWho),
			filled: func(s *session) bool { return s.Draft.Who != "" },
			next: func(t *turn) Step {
				if t.s.Draft.Who == whoSelf {
					return stepSelfName
				}
				return stepName
			},
		},
		stepSelfName: {
			activity: actReport, group: "who", voice: true, names: true,
			ask:    says(textAskSelfName),
			answer: reads((*turn).personName),
			filled: func(s *session) bool { return s.Draft.Name != "" },
			next:   then(stepID),
		},
		stepName: {
			activity: actReport, group: "who", voice: true, names: true,
			ask:    (*turn).askName,
			answer: reads((*turn).affectedName),
			filled: func(s *session) bool { return s.Draft.Name != "" },
			next:   then(stepRelation),
		},
		stepRelation: {
			activity: actReport, group: "who", voice: true, names: true,
			ask:    (*turn).askRelation,
			answer: reads((*turn).relation),
			filled: func(s *session) bool { return s.Draft.Relation != "" },
			next:   then(stepConsent),
		},
		stepConsent: {
			activity: actReport, group: "who", choice: true,
			ask:    (*turn).askConsent,
			answer: reads((*turn).answerConsent),
			filled: func(s *session) bool { return s.Draft.Consent != "" },
			next:   then(stepReporter),
		},
		stepReporter: {
			activity: actReport, group: "who", voice: true, names: true,
			ask:    says(textAskReporter),
			answer: reads((*turn).personName),
			filled: func(s *session) bool { return s.Draft.Reporter != "" },
			next:   then(stepID),
		},
		stepID: {
			activity: actReport, group: "id", voice: true,
			ask:    (*turn).askID,
			answer: reads((*turn).idNumber),
			filled: func(s *session) bool { return s.Draft.IDAsked },
			next: func(t *turn) Step {
				if t.s.Draft.Who == whoSelf {
					return stepPhone
				}
				return stepPhoneWhose
			},
		},
		stepPhoneWhose: {
			activity: actReport, group: "phone", choice: true,
			ask:    (*turn).askPhoneWhose,
			answer: reads((*turn).answerPhoneWhose),
			filled: func(s *session) bool { return s.Draft.PhoneWhose != "" && s.Draft.PhoneAsked },
			next:   then(stepPhone),
		},
		stepPhone: {
			activity: actReport, group: "phone", voice: true,
			ask:    (*turn).askPhone,
			answer: reads((*turn).phone),
			filled: func(s *session) bool { return s.Draft.PhoneAsked },
			next: func(t *turn) Step {
				if len(t.desk.Categories()) == 0 {
					return stepTriedWindow
				}
				return stepCategory
			},
		},
		stepCategory: {
			activity: actReport, group: "category", choice: true,
			ask:    (*turn).askCategory,
			answer: reads((*turn).answerCategory),
			filled: func(s *session) bool { return s.Draft.Category != "" },
			next:   then(stepTriedWindow),
		},
		stepTriedWindow: {
			activity: actReport, group: "tried", voice: true,
			ask:    says(textAskWindow),
			answer: reads((*turn).answerTriedWindow),
			filled: func(s *session) bool { return s.Draft.TriedWindow != "" },
			next: func(t *turn) Step {
				if t.s.Draft.TriedWindow == noneAnswer {
					return stepDesc
				}
				return stepTriedWhen
			},
		},
		stepTriedWhen: {
			activity: actReport, group: "tried", voice: true,
			ask:    says(textAskWhen),
			answer: reads((*turn).answerTriedWhen),
			filled: func(s *session) bool { return s.Draft.TriedWhen != "" },
			next:   then(stepTriedAnswer),
		},
		stepTriedAnswer: {
			activity: actReport, group: "tried", voice: true,
			ask:    says(textAskAnswer),
			answer: reads((*turn).answerTriedAnswer),
			filled: func(s *session) bool { return s.Draft.TriedAnswer != "" },
			next:   then(stepDesc),
		},
		stepDesc: {
			activity: actReport, group: "desc",
			ask:    (*turn).askDesc,
			answer: reads((*turn).answerDesc),
			media:  (*turn).mediaInStory,
			// The problem was told before it was asked for: the summary
			// shows it, and more can still be sent there.
			filled: toldStory,
			next:   then(stepConfirm),
		},
		stepConfirm: {
			activity: actReport, choice: true,
			ask:    (*turn).askConfirm,
			answer: (*turn).answerConfirm,
			media:  (*turn).mediaOnSummary,
		},
		stepEdit: {
			activity: actReport, choice: true,
			ask:    offers(textAskEdit, editOptions, textStepTail),
			answer: reads((*turn).answerEdit),
		},

		stepSuppPick: {
			activity: actSupplement, choice: true,
			ask:    (*turn).askSuppPick,
			answer: (*turn).supplementText,
		},
		stepSuppCollect: {
			activity: actSupplement,
			ask:      (*turn).askSupp,
			answer:   (*turn).supplementText,
			media:    (*turn).supplementMedia,
		},

		stepHeldNew: {
			activity: actSupplement, choice: true,
			ask:    offers(textAskHeldNew, heldNewOptions, textMenuTail),
			answer: (*turn).heldNewText,
		},

		stepWdPick: {
			activity: actWithdraw, choice: true,
			ask:    (*turn).askWdPick,
			answer: (*turn).withdrawText,
		},
		stepWdReason: {
			activity: actWithdraw,
			ask:      says(textAskWdReason),
			answer:   (*turn).withdrawText,
			media:    (*turn).mediaWhileWithdrawing,
		},
		stepWdConfirm: {
			activity: actWithdraw, choice: true,
			ask:    (*turn).askWdConfirm,
			answer: (*turn).withdrawText,
			media:  (*turn).mediaWhileWithdrawing,
		},

		stepRatePick: {
			activity: actRate, choice: true,
			ask:    (*turn).askRatePick,
			answer: (*turn).answerRatePick,
		},
		stepRateWhy: {
			activity: actRate,
			ask:      (*turn).askRateWhy,
			answer:   (*turn).answerRateWhy,
			media:    (*turn).rateWithMedia,
		},

		stepAboutAsk: {
			activity: actAbout, choice: true,
			ask:    (*turn).askAbout,
			answer: (*turn).aboutText,
		},
	}
}

// reads is an answer read from the words alone, without the desk or the
// session store.
func reads(answer func(t *turn, text string) error) func(*turn, context.Context, string) error {
	return func(t *turn, _ context.Context, text string) error { return answer(t, text) }
}

// then is the next form step when it does not depend on the answers.
func then(next Step) func(*turn) Step {
	return func(*turn) Step { return next }
}

// def is the step's entry in the table: the zero stepDef for a step this
// release does not have.
func (s Step) def() stepDef { return steps[s] }

// known reports whether this release has the step, so a stored session on
// it can continue.
func (s Step) known() bool {
	_, ok := steps[s]
	return ok
}

// in reports whether the step belongs to activity a.
func (s Step) in(a activity) bool { return steps[s].activity == a }
