package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"banchengshi/cases"
	"banchengshi/metrics"
	"banchengshi/pii"
	"banchengshi/sms"
	"banchengshi/storage"
)

// SMS sends the texts owed by SMS: what cannot wait for a citizen to write
// again (the answer, a request for material, the follow-up) when WeChat's
// window to them is closed. The budget planner decides (budget.go,
// smsInstead); SMS delivers, retries what failed for a while with backoff,
// and gives staff a phone task for what cannot be texted. Every text's fate
// is on its case's timeline.
//
// A text is sent at most once per event: the planner stores one row per
// event key (a unique key), and the sender marks a row "sending" before it
// calls the provider, so that a crash between the provider's answer and our
// record never sends it again: such a row becomes a phone task.
type SMS struct {
	repo    cases.Repo
	sender  sms.Sender
	tasks   Tasks
	locker  storage.Locker
	log     *slog.Logger
	now     func() time.Time
	every   time.Duration
	wake    chan struct{}
	metrics *metrics.Metrics
}

// SMSConfig wires an SMS sender.
type SMSConfig struct {
	Repo   cases.Repo
	Sender sms.Sender
	// Tasks gets a phone task for each text that cannot be sent.
	Tasks  Tasks
	Locker storage.Locker
	Log    *slog.Logger // nil discards
	Now    func() time.Time
	// Every is how often Run looks for due texts besides being kicked;
	// default DefaultEvery.
	Every   time.Duration
	Metrics *metrics.Metrics
}

// Limits of the SMS sender.
const (
	// maxSMSAttempts bounds the tries of one text (about 15 minutes of
	// backoff in all); then staff phone instead.
	maxSMSAttempts = 5
	// smsSendingTimeout is how long a text may stay "sending" (the process
	// died during the provider's call) before it is taken for unsent, and
	// staff phone: it is never sent a second time.
	smsSendingTimeout = 10 * time.Minute
	// smsCallTimeout bounds one call to the provider.
	smsCallTimeout = 20 * time.Second
	// smsMaxText is how many characters of the message the text carries; a
	// Tencent text holds 500 with the signature and the template's words.
	smsMaxText = 300
)

// NewSMS returns an SMS sender; call Run to start sending.
func NewSMS(cfg SMSConfig) *SMS {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Every <= 0 {
		cfg.Every = DefaultEvery
	}
	return &SMS{repo: cfg.Repo, sender: cfg.Sender, tasks: cfg.Tasks, locker: cfg.Locker, log: cfg.Log,
		now: cfg.Now, every: cfg.Every, wake: make(chan struct{}, 1), metrics: cfg.Metrics}
}

// Kick asks the sender to look for due texts now.
func (s *SMS) Kick() {
	if s == nil {
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx ends, on every kick and every Config.Every.
func (s *SMS) Run(ctx context.Context) {
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		if err := s.Flush(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("send sms", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// Flush sends every due text once, and gives up on texts whose sending was
// interrupted. One replica sends at a time.
func (s *SMS) Flush(ctx context.Context) error {
	lock, ok, err := s.locker.TryLock(ctx, "sms", smsLockTTL)
	if err != nil {
		return fmt.Errorf("lock sms: %w", err)
	}
	if !ok {
		return nil
	}
	defer lock.Unlock(context.WithoutCancel(ctx))
	now := s.now()
	stuck, err := smsStore(s.repo).DueSMS(ctx, cases.SMSSending, now.Add(-smsSendingTimeout), 100)
	if err != nil {
		return fmt.Errorf("load interrupted texts: %w", err)
	}
	for _, m := range stuck {
		// Whether the provider got it is unknown: never send it twice.
		m.Attempts = maxSMSAttempts
		if err := s.finish(ctx, m, "", "", &sms.Error{Reason: sms.ReasonUnavailable, Code: "Interrupted"}, now); err != nil {
			return err
		}
	}
	for round := 0; round < 10; round++ {
		due, err := smsStore(s.repo).DueSMS(ctx, cases.SMSPending, s.now(), 50)
		if err != nil {
			return fmt.Errorf("load due texts: %w", err)
		}
		if len(due) == 0 {
			return nil
		}
		for _, m := range due {
			if err := lock.Refresh(ctx, smsLockTTL); err != nil {
				return fmt.Errorf("keep sms lock: %w", err)
			}
			if err := s.send(ctx, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// smsLockTTL outlasts one text's call to the provider; it is renewed before
// every text.
const smsLockTTL = time.Minute

// smsStore is the SMS side of a Repo (the SQL store, in or out of a
// transaction, implements it).
func smsStore(r cases.Repo) cases.SMSStore { return r.(cases.SMSStore) }

// send claims m, calls the provider with the case's phone number, and
// records the answer.
func (s *SMS) send(ctx context.Context, m *cases.SMSMessage) error {
	now := s.now()
	m.Status = cases.SMSSending
	m.Attempts++
	m.NextAttemptAt = now.UTC() // when the call started
	if err := smsStore(s.repo).UpdateSMS(ctx, m); err != nil {
		return fmt.Errorf("claim text %d: %w", m.ID, err)
	}
	c, err := s.repo.GetCaseByID(ctx, m.CaseID)
	if err != nil {
		return fmt.Errorf("load case of text %d: %w", m.ID, err)
	}
	// The number is opened here, for this call, and goes nowhere else.
	phone := casePhone(c)
	callCtx, cancel := context.WithTimeout(ctx, smsCallTimeout)
	receipt, sendErr := s.sender.Send(callCtx, sms.Message{Phone: phone, Params: m.Params})
	cancel()
	return s.finish(ctx, m, pii.MaskPhone(phone), receipt.ID, sendErr, s.now())
}

// finish records the outcome of a call (sendErr nil: sent), in one
// transaction with its fate on the timeline and, for a text given up on,
// the phone task.
func (s *SMS) finish(ctx context.Context, m *cases.SMSMessage, masked, receiptID string, sendErr error, now time.Time) error {
	ctx, cancel := recordCtx(ctx)
	defer cancel()
	err := s.repo.InTx(ctx, func(r cases.Repo) error {
		switch reason := sms.ReasonOf(sendErr); {
		case sendErr == nil:
			m.Status, m.LastError, m.ProviderID = cases.SMSSent, "", receiptID
			sent := now.UTC()
			m.SentAt = &sent
		case reason.Temporary() && m.Attempts < maxSMSAttempts:
			m.Status, m.LastError = cases.SMSPending, smsReasonText(sendErr)
			m.NextAttemptAt = now.Add(smsBackoff(m.Attempts)).UTC()
			s.log.Warn("sms not sent, will retry", "sms_id", m.ID, "case_id", m.CaseID, "attempt", m.Attempts, "err", sendErr)
		default:
			m.Status, m.LastError = cases.SMSFailed, smsReasonText(sendErr)
			s.log.Warn("sms given up", "sms_id", m.ID, "case_id", m.CaseID, "attempt", m.Attempts, "err", sendErr)
			if s.tasks != nil {
				if err := s.tasks.PhoneTask(ctx, r, m.CaseID, fmt.Sprintf(reasonSMSFailed, m.LastError)); err != nil {
					return err
				}
			}
		}
		s.metrics.Notification("sms", smsFateLabel(m))
		if err := smsStore(r).UpdateSMS(ctx, m); err != nil {
			return fmt.Errorf("save text %d: %w", m.ID, err)
		}
		if m.Status == cases.SMSPending {
			return nil
		}
		ev := &cases.Event{CaseID: m.CaseID, At: now.UTC(), Actor: cases.ActorSystem, Kind: cases.EventNotification,
			Body: SMSFate(m, masked), Data: cases.EventData(cases.SMSFate{SMSID: m.ID, Status: m.Status})}
		if err := r.AppendEvent(ctx, ev); err != nil {
			return fmt.Errorf("record text fate: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record text %d: %w", m.ID, err)
	}
	return nil
}

// smsBackoff is the wait before attempt n+1: 30 s, 1, 2, 4 min.
func smsBackoff(n int) time.Duration { return 30 * time.Second << min(max(n-1, 0), 6) }

func smsFateLabel(m *cases.SMSMessage) string {
	if m.Status == cases.SMSPending {
		return "retry"
	}
	return string(m.Status)
}

// casePhone is the number staff would call for case c: its contact phone,
// or else the affected person's.
func casePhone(c *cases.Case) string {
	if c.ContactPhone != "" {
		return c.ContactPhone
	}
	return c.Affected.Phone
}

// smsInstead is the planner's third way (after chat and holding): m, which
// cannot wait and cannot go by chat now (reason: the window is closed or
// spent, or only its reserved last message is left, which a material request
// may not use), is texted instead, unless
// the citizen has written since the window seen was read (then it goes by
// chat: false, and the caller holds or releases it), or the case has no
// mobile number (false: it is held, and staff phone if it waits too long).
// It reports whether m was taken care of.
func (o *Outbox) smsInstead(ctx context.Context, m *cases.OutboxMessage, seen window, reason string, now time.Time) (bool, error) {
	// A person has the chat (reasonServicer): they talk to the citizen.
	if o.sms == nil || m.Message.Urgent == "" || m.CaseID == 0 || (reason != reasonBudget && reason != reasonReserve) {
		return false, nil
	}
	ctx, cancel := recordCtx(ctx)
	defer cancel()
	taken := false
	err := o.repo.InTx(ctx, func(r cases.Repo) error {
		// As in holdUnlessReopened: a message the citizen is sending now
		// is seen here, or waits and finds this one decided.
		if err := r.LockContact(ctx, m.OpenKfID, m.Recipient); err != nil {
			return err
		}
		fresh, err := loadContact(ctx, r, m.OpenKfID, m.Recipient)
		if err != nil {
			return err
		}
		if seen.reopenedIn(fresh) {
			return nil // they wrote again (counted by message, not by second)
		}
		c, err := r.GetCaseByID(ctx, m.CaseID)
		if err != nil {
			return fmt.Errorf("load case of message %d: %w", m.ID, err)
		}
		if _, ok := sms.Normalize(casePhone(c)); !ok {
			return nil
		}
		text := &cases.SMSMessage{EventKey: smsEventKey(m, c), CaseID: c.ID, OutboxID: m.ID, Urgent: m.Message.Urgent,
			Params: []string{c.Number, smsText(m, c)}, Status: cases.SMSPending, NextAttemptAt: now.UTC(), CreatedAt: now.UTC()}
		m.Status, m.LastError = cases.OutboxSMS, reason
		switch err := smsStore(r).EnqueueSMS(ctx, text); {
		case errors.Is(err, cases.ErrDuplicate):
			// This event was texted already (the answer and the question
			// asked with it are one event): one text is enough.
			m.LastError = reasonSMSSameEvent
		case err != nil:
			return fmt.Errorf("queue text for message %d: %w", m.ID, err)
		}
		taken = true
		return o.settleIn(ctx, r, m, now)
	})
	if err != nil || !taken {
		return false, err
	}
	o.sms.Kick()
	return true, nil
}

// smsEventKey names the event m is about, so that one event gets one text:
// a case's answer by when it was given (the answer and the question sent
// with it share it; an answer given again after reopening is a new event),
// anything else by the message itself.
func smsEventKey(m *cases.OutboxMessage, c *cases.Case) string {
	if m.Message.Urgent == cases.UrgentAnswer && c.ResolvedAt != nil {
		return fmt.Sprintf("answer:%d:%d", c.ID, c.ResolvedAt.UnixMicro())
	}
	return fmt.Sprintf("%s:%d", m.Message.Urgent, m.ID)
}

// smsText is what the text says after the case number: the answer as staff
// gave it, the follow-up question as a text can ask it, or the message
// itself, cut to what a text holds.
func smsText(m *cases.OutboxMessage, c *cases.Case) string {
	var text string
	switch m.Message.Urgent {
	case cases.UrgentAnswer:
		text = fmt.Sprintf(textSMSAnswer, c.Resolution)
	case cases.UrgentFollowUp:
		text = textSMSFollowUp
	default:
		text = m.Message.Text
	}
	text = strings.TrimSpace(text)
	if r := []rune(text); len(r) > smsMaxText {
		return string(r[:smsMaxText]) + textSMSCut
	}
	// The template goes on after the text: end the sentence.
	if r, _ := utf8.DecodeLastRuneInString(text); !strings.ContainsRune("。！？!?.…）)", r) {
		text += "。"
	}
	return text
}
