// Command sarama-interop produces keyed messages with headers through sarama's SyncProducer, then reads them back
// with a partition consumer (no consumer group) and checks content, order and offsets. Exit status 0 on success.
//
// Built in GOPATH mode against Debian's golang-github-shopify-sarama-dev (sarama 1.22):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o sarama-interop .
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/Shopify/sarama"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "sarama-interop: "+format+"\n", args...)
	os.Exit(1)
}

type sent struct {
	key, value string
	partition  int32
	offset     int64
}

func main() {
	brokers := flag.String("brokers", "localhost:9092", "bootstrap brokers, comma separated")
	topic := flag.String("topic", "sarama-interop", "topic (auto-created)")
	count := flag.Int("n", 1000, "messages to produce")
	keys := flag.Int("keys", 17, "distinct keys")
	flag.Parse()

	config := sarama.NewConfig()
	config.Version = sarama.V2_1_0_0 // record batches with headers need >= V0_11_0_0
	config.ClientID = "sarama-interop"
	config.Producer.RequiredAcks = sarama.WaitForAll
	config.Producer.Return.Successes = true
	config.Producer.Partitioner = sarama.NewHashPartitioner
	config.Producer.Compression = sarama.CompressionGZIP
	config.Metadata.Retry.Max = 10
	config.Metadata.Retry.Backoff = 200 * time.Millisecond
	config.Consumer.Return.Errors = true
	addrs := strings.Split(*brokers, ",")

	producer, err := sarama.NewSyncProducer(addrs, config)
	if err != nil {
		fail("producer: %v", err)
	}
	var produced []sent
	for i := 0; i < *count; i++ {
		key := fmt.Sprintf("key-%d", i%*keys)
		value := fmt.Sprintf("sarama-value-%06d", i)
		msg := &sarama.ProducerMessage{
			Topic: *topic,
			Key:   sarama.StringEncoder(key),
			Value: sarama.StringEncoder(value),
			Headers: []sarama.RecordHeader{
				{Key: []byte("idx"), Value: []byte(fmt.Sprint(i))},
				{Key: []byte("client"), Value: []byte("sarama")},
			},
		}
		partition, offset, err := producer.SendMessage(msg)
		if err != nil {
			fail("send %d: %v", i, err)
		}
		produced = append(produced, sent{key, value, partition, offset})
	}
	if err := producer.Close(); err != nil {
		fail("producer close: %v", err)
	}

	// Expected per partition, in send order (a sync producer sends one at a time).
	expected := map[int32][]sent{}
	keyPartition := map[string]int32{}
	for _, s := range produced {
		if p, ok := keyPartition[s.key]; ok && p != s.partition {
			fail("key %s sent to partitions %d and %d", s.key, p, s.partition)
		}
		keyPartition[s.key] = s.partition
		expected[s.partition] = append(expected[s.partition], s)
	}

	consumer, err := sarama.NewConsumer(addrs, config)
	if err != nil {
		fail("consumer: %v", err)
	}
	defer consumer.Close()
	partitions, err := consumer.Partitions(*topic)
	if err != nil {
		fail("partitions: %v", err)
	}
	total := 0
	for _, p := range partitions {
		want := expected[p]
		if len(want) == 0 {
			continue
		}
		pc, err := consumer.ConsumePartition(*topic, p, sarama.OffsetOldest)
		if err != nil {
			fail("consume partition %d: %v", p, err)
		}
		for i, w := range want {
			select {
			case m := <-pc.Messages():
				if m.Offset != int64(i) || m.Offset != w.offset {
					fail("partition %d: offset %d, expected %d (sent at %d)", p, m.Offset, i, w.offset)
				}
				if string(m.Key) != w.key || string(m.Value) != w.value {
					fail("partition %d offset %d: got %q=%q, expected %q=%q", p, m.Offset, m.Key, m.Value, w.key, w.value)
				}
				if len(m.Headers) != 2 || string(m.Headers[0].Key) != "idx" || string(m.Headers[1].Value) != "sarama" {
					fail("partition %d offset %d: headers %v", p, m.Offset, m.Headers)
				}
				want := strings.TrimLeft(strings.TrimPrefix(w.value, "sarama-value-"), "0")
				if want == "" {
					want = "0"
				}
				if string(m.Headers[0].Value) != want {
					fail("partition %d offset %d: idx header %q, expected %q", p, m.Offset, m.Headers[0].Value, want)
				}
				total++
			case cerr := <-pc.Errors():
				fail("partition %d: %v", p, cerr)
			case <-time.After(30 * time.Second):
				fail("partition %d: nothing after offset %d within 30s", p, i-1)
			}
		}
		if hwm := pc.HighWaterMarkOffset(); hwm != int64(len(want)) {
			fail("partition %d: high watermark %d, expected %d", p, hwm, len(want))
		}
		pc.Close()
	}
	if total != *count {
		fail("consumed %d of %d", total, *count)
	}
	fmt.Printf("ok: %d messages on %d partitions\n", total, len(expected))
}
