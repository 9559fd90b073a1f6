// Command sarama-group runs a sarama (1.22) consumer group of several members in one process, waits until the
// members split the topic's partitions, produces N messages, and checks that the group consumes every message
// exactly once, in order per partition. Offsets are marked as consumed and committed when the members close.
// Exit status 0 on success.
//
// Built in GOPATH mode against Debian's golang-github-shopify-sarama-dev (sarama 1.22):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o sarama-group .
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "sarama-group: "+format+"\n", args...)
	os.Exit(1)
}

type state struct {
	mu        sync.Mutex
	claims    map[int][]int32 // member -> partitions of its current session
	seen      map[string]int
	lastOff   map[int32]int64
	consumed  int
	problems  []string
	consumers map[int32]int // partition -> member that consumed it last
}

type handler struct {
	member int
	st     *state
}

func (h *handler) Setup(s sarama.ConsumerGroupSession) error {
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	var ps []int32
	for _, p := range s.Claims() {
		ps = append(ps, p...)
	}
	h.st.claims[h.member] = ps
	return nil
}

func (h *handler) Cleanup(s sarama.ConsumerGroupSession) error {
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	delete(h.st.claims, h.member)
	return nil
}

func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.st.mu.Lock()
		v := string(m.Value)
		h.st.seen[v]++
		if h.st.seen[v] > 1 {
			h.st.problems = append(h.st.problems, fmt.Sprintf("duplicate %s at %d/%d", v, m.Partition, m.Offset))
		}
		if last, ok := h.st.lastOff[m.Partition]; ok && m.Offset != last+1 {
			h.st.problems = append(h.st.problems, fmt.Sprintf("partition %d: offset %d after %d", m.Partition, m.Offset, last))
		}
		h.st.lastOff[m.Partition] = m.Offset
		h.st.consumers[m.Partition] = h.member
		h.st.consumed++
		h.st.mu.Unlock()
		s.MarkMessage(m, "")
	}
	return nil
}

func main() {
	brokers := flag.String("brokers", "localhost:9092", "bootstrap brokers, comma separated")
	topic := flag.String("topic", "sarama-group", "topic (must exist)")
	group := flag.String("group", "sarama-group", "group id")
	members := flag.Int("members", 2, "group members")
	count := flag.Int("n", 1000, "messages to produce")
	flag.Parse()
	addrs := strings.Split(*brokers, ",")

	config := sarama.NewConfig()
	config.Version = sarama.V2_1_0_0
	config.ClientID = "sarama-group"
	config.Consumer.Offsets.Initial = sarama.OffsetOldest
	config.Consumer.Offsets.CommitInterval = 200 * time.Millisecond
	config.Consumer.Group.Session.Timeout = 6 * time.Second
	config.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	config.Consumer.Group.Rebalance.Retry.Backoff = 200 * time.Millisecond
	config.Consumer.Group.Rebalance.Retry.Max = 20
	config.Consumer.Return.Errors = true
	config.Metadata.Retry.Max = 10
	config.Metadata.Retry.Backoff = 200 * time.Millisecond
	config.Producer.RequiredAcks = sarama.WaitForAll
	config.Producer.Return.Successes = true

	client, err := sarama.NewClient(addrs, config)
	if err != nil {
		fail("client: %v", err)
	}
	partitions, err := client.Partitions(*topic)
	if err != nil {
		fail("partitions: %v", err)
	}
	client.Close()

	st := &state{claims: map[int][]int32{}, seen: map[string]int{}, lastOff: map[int32]int64{}, consumers: map[int32]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var groups []sarama.ConsumerGroup
	for i := 0; i < *members; i++ {
		g, err := sarama.NewConsumerGroup(addrs, *group, config)
		if err != nil {
			fail("member %d: %v", i, err)
		}
		groups = append(groups, g)
		wg.Add(2)
		go func(i int, g sarama.ConsumerGroup) {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := g.Consume(ctx, []string{*topic}, &handler{i, st}); err != nil && ctx.Err() == nil {
					fmt.Fprintf(os.Stderr, "member %d: consume: %v\n", i, err)
					time.Sleep(200 * time.Millisecond)
				}
			}
		}(i, g)
		go func(i int, g sarama.ConsumerGroup) {
			defer wg.Done()
			for err := range g.Errors() {
				fmt.Fprintf(os.Stderr, "member %d: %v\n", i, err)
			}
		}(i, g)
	}

	// Wait until every member holds a share and together they hold every partition once.
	deadline := time.Now().Add(40 * time.Second)
	for {
		st.mu.Lock()
		owner := map[int32]int{}
		ok := len(st.claims) == *members
		for m, ps := range st.claims {
			if len(ps) == 0 {
				ok = false
			}
			for _, p := range ps {
				if _, dup := owner[p]; dup {
					ok = false
				}
				owner[p] = m
			}
		}
		ok = ok && len(owner) == len(partitions)
		st.mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			fail("members never split the %d partitions: %v", len(partitions), st.claims)
		}
		time.Sleep(50 * time.Millisecond)
	}

	producer, err := sarama.NewSyncProducer(addrs, config)
	if err != nil {
		fail("producer: %v", err)
	}
	for i := 0; i < *count; i++ {
		msg := &sarama.ProducerMessage{Topic: *topic, Partition: -1, Value: sarama.StringEncoder(fmt.Sprintf("sarama-group-%06d", i))}
		if _, _, err := producer.SendMessage(msg); err != nil {
			fail("send %d: %v", i, err)
		}
	}
	producer.Close()

	deadline = time.Now().Add(40 * time.Second)
	for {
		st.mu.Lock()
		n := st.consumed
		st.mu.Unlock()
		if n >= *count {
			break
		}
		if time.Now().After(deadline) {
			fail("consumed %d of %d within 40s", n, *count)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // anything extra (a duplicate) shows up
	cancel()
	for i, g := range groups {
		if err := g.Close(); err != nil {
			fail("member %d close: %v", i, err)
		}
	}
	wg.Wait()

	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.problems) > 0 {
		fail("%d problems, first: %v", len(st.problems), st.problems[:min(5, len(st.problems))])
	}
	if len(st.seen) != *count || st.consumed != *count {
		fail("consumed %d (%d distinct) of %d", st.consumed, len(st.seen), *count)
	}
	used := map[int]bool{}
	for _, m := range st.consumers {
		used[m] = true
	}
	fmt.Printf("ok: %d messages by %d members from %d partitions\n", st.consumed, len(used), len(st.lastOff))
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}
