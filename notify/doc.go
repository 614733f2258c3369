// Package notify owns what the bureau owes people and the limits it is sent
// within: the outbox (every message owed a citizen through 微信客服 or a
// staff member through the self-built app), each citizen's 48-hour window
// and its count of messages, and the messages held until the citizen writes
// again. No other package changes the window or releases what is held.
//
// Others tell it what happened, inside their own transaction: a citizen
// wrote (CitizenWrote opens a new window and releases what was held), a
// servicer took the chat (ServicerWrote, SessionChanged). What is owed is
// queued through the subpackage queue (notify/queue), the only code that
// writes outbox rows; it imports nothing but cases, so that desk, below
// notify, queues through it too. The Outbox then delivers, within WeCom's
// limits, and records each message's fate on the case timeline where staff
// can see it.
//
// Messages to citizens are planned per citizen, not fired one by one (see
// budget.go): WeCom allows 5 messages within 48 hours after the citizen's last
// message (window.go), so low-priority updates are bundled, the last message
// of a window is kept for the answer and the follow-up, what cannot be sent is
// held until the citizen writes again, and an answer that cannot reach the
// citizen becomes a phone task for staff.
package notify
