package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Topic names a kind of work a Signal wakes workers for.
type Topic string

// Signal tells the workers of every replica that there is new work of a
// kind, so that they need not wait for their next poll. A notice carries
// nothing but its topic, several may arrive as one, and one may be lost (a
// replica reconnecting to Redis hears nothing meanwhile): workers still poll,
// only less urgently.
type Signal interface {
	// Notify wakes the subscribers of topic in every process that shares
	// these stores, this one included.
	Notify(ctx context.Context, topic Topic) error
	// Subscribe returns a channel that receives after every Notify of topic
	// (notices that come while one waits unread are merged into it) until
	// ctx ends. It returns once the subscription is in place: a Notify
	// after it is not missed.
	Subscribe(ctx context.Context, topic Topic) (<-chan struct{}, error)
}

var (
	_ Signal = memSignal{}
	_ Signal = redisSignal{}
)

// wake sends on ch unless a notice already waits there.
func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Signal returns a Signal within this process: the embedded default runs
// one process, and on MySQL without Redis (DBShared) each replica hears only
// itself and learns of the others' work by polling.
func (m *Memory) Signal() Signal { return memSignal{m} }

type memSignal struct{ m *Memory }

func (s memSignal) Notify(_ context.Context, topic Topic) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	for ch := range s.m.topics[topic] {
		wake(ch)
	}
	return nil
}

func (s memSignal) Subscribe(ctx context.Context, topic Topic) (<-chan struct{}, error) {
	ch := make(chan struct{}, 1)
	s.m.mu.Lock()
	if s.m.topics[topic] == nil {
		s.m.topics[topic] = map[chan struct{}]struct{}{}
	}
	s.m.topics[topic][ch] = struct{}{}
	s.m.mu.Unlock()
	go func() {
		<-ctx.Done()
		s.m.mu.Lock()
		delete(s.m.topics[topic], ch)
		s.m.mu.Unlock()
	}()
	return ch, nil
}

// Signal returns a Signal over Redis PUBLISH/SUBSCRIBE on channels under
// prefix "signal:": every replica on the Redis hears every other.
func (r *Redis) Signal() Signal { return redisSignal{r} }

type redisSignal struct{ r *Redis }

func (s redisSignal) channel(topic Topic) string { return s.r.prefix + "signal:" + string(topic) }

func (s redisSignal) Notify(ctx context.Context, topic Topic) error {
	if err := s.r.c.Publish(ctx, s.channel(topic), "1").Err(); err != nil {
		return fmt.Errorf("notify %q: %w", topic, err)
	}
	return nil
}

// signalHealthCheck is how often a quiet subscription pings Redis: a
// connection that died without a word is found and replaced within it.
const signalHealthCheck = 30 * time.Second

func (s redisSignal) Subscribe(ctx context.Context, topic Topic) (<-chan struct{}, error) {
	ps := s.r.c.Subscribe(ctx, s.channel(topic))
	// The first reply confirms the subscription: notices from then on
	// reach us.
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return nil, fmt.Errorf("subscribe %q: %w", topic, err)
	}
	msgs := ps.Channel(redis.WithChannelHealthCheckInterval(signalHealthCheck))
	ch := make(chan struct{}, 1)
	go func() {
		defer ps.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-msgs:
				if !ok {
					return
				}
				wake(ch)
			}
		}
	}()
	return ch, nil
}
