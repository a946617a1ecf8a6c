// Package outbox is the durable on-disk queue of alert deliveries: one bbolt
// file holding, per sink, the payloads still to deliver and those that
// failed permanently (kept for inspection).
//
// Every Add is one bbolt transaction, fsync'd before Add returns, so a
// payload Add accepted survives a crash or a power cut; the caller sends only
// after Add returned. Payloads are opaque bytes (pkg/alert stores event
// JSON); the outbox knows nothing about alerts.
//
// Layout: bucket "pending" → one bucket per sink → key = sequence number
// (8 bytes, big endian, so keys sort in enqueue order) → record JSON. The
// same under "failed" for permanent failures.
package outbox

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// FileName is the outbox's file inside the storage directory.
const FileName = "outbox.db"

var (
	bucketPending = []byte("pending")
	bucketFailed  = []byte("failed")
)

// Record is one payload waiting for (or given up by) one sink.
type Record struct {
	Sink     string    `json:"-"`
	Seq      uint64    `json:"-"`
	Data     []byte    `json:"data"`
	Enqueued time.Time `json:"enqueued"`
	// Set on failed records only.
	Attempts int       `json:"attempts,omitempty"`
	FailedAt time.Time `json:"failed_at,omitzero"`
	Reason   string    `json:"reason,omitempty"`
}

// Outbox is an open outbox file. It is safe for concurrent use.
type Outbox struct {
	db   *bolt.DB
	path string
}

// Open opens (creating it and dir when missing) the outbox in dir. A second
// process opening the same file waits up to 2 s for bbolt's file lock, then
// fails: two daemons must not share one storage directory.
func Open(dir string) (*Outbox, error) {
	if dir == "" {
		return nil, errors.New("outbox: storage directory is empty")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("outbox: %s is locked by another process (another cellwatch on the same storage.dir?)", path)
		}
		return nil, fmt.Errorf("outbox: opening %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketPending, bucketFailed} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("outbox: initialising %s: %w", path, err)
	}
	return &Outbox{db: db, path: path}, nil
}

// Path is the outbox file.
func (o *Outbox) Path() string { return o.path }

// Close closes the file.
func (o *Outbox) Close() error { return o.db.Close() }

func key(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// Add stores data as pending for every sink, in one fsync'd transaction,
// and returns each sink's record (with its sequence number) in sinks order.
func (o *Outbox) Add(sinks []string, data []byte, at time.Time) ([]Record, error) {
	recs := make([]Record, 0, len(sinks))
	err := o.db.Update(func(tx *bolt.Tx) error {
		for _, s := range sinks {
			b, err := tx.Bucket(bucketPending).CreateBucketIfNotExists([]byte(s))
			if err != nil {
				return fmt.Errorf("sink %q: %w", s, err)
			}
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			r := Record{Sink: s, Seq: seq, Data: data, Enqueued: at}
			v, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := b.Put(key(seq), v); err != nil {
				return err
			}
			recs = append(recs, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: add: %w", err)
	}
	return recs, nil
}

// Pending returns sink's pending records, oldest first.
func (o *Outbox) Pending(sink string) ([]Record, error) {
	return o.list(bucketPending, sink)
}

// Failed returns sink's permanently failed records, oldest first.
func (o *Outbox) Failed(sink string) ([]Record, error) {
	return o.list(bucketFailed, sink)
}

func (o *Outbox) list(top []byte, sink string) ([]Record, error) {
	var out []Record
	err := o.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(top).Bucket([]byte(sink))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("record %s/%s/%x: %w", top, sink, k, err)
			}
			r.Sink, r.Seq = sink, binary.BigEndian.Uint64(k)
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: %s: %w", o.path, err)
	}
	return out, nil
}

// Sinks returns the names of the sinks with pending records.
func (o *Outbox) Sinks() ([]string, error) {
	var out []string
	err := o.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPending).ForEachBucket(func(k []byte) error {
			if count(tx.Bucket(bucketPending).Bucket(k)) > 0 {
				out = append(out, string(k))
			}
			return nil
		})
	})
	return out, err
}

// Delete removes a pending record (delivered, or dropped by the caller's
// overflow policy).
func (o *Outbox) Delete(sink string, seq uint64) error {
	err := o.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPending).Bucket([]byte(sink))
		if b == nil {
			return nil
		}
		return b.Delete(key(seq))
	})
	if err != nil {
		return fmt.Errorf("outbox: delete %s/%d: %w", sink, seq, err)
	}
	return nil
}

// Fail moves a pending record to the failed records, with why, and keeps at
// most keep failed records for the sink (the oldest go first).
func (o *Outbox) Fail(sink string, seq uint64, attempts int, reason string, at time.Time, keep int) error {
	err := o.db.Update(func(tx *bolt.Tx) error {
		pb := tx.Bucket(bucketPending).Bucket([]byte(sink))
		if pb == nil {
			return nil
		}
		v := pb.Get(key(seq))
		if v == nil {
			return nil
		}
		var r Record
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		r.Attempts, r.Reason, r.FailedAt = attempts, reason, at
		nv, err := json.Marshal(r)
		if err != nil {
			return err
		}
		fb, err := tx.Bucket(bucketFailed).CreateBucketIfNotExists([]byte(sink))
		if err != nil {
			return err
		}
		if err := fb.Put(key(seq), nv); err != nil {
			return err
		}
		if err := pb.Delete(key(seq)); err != nil {
			return err
		}
		for n := count(fb); n > keep; n-- {
			c := fb.Cursor()
			k, _ := c.First()
			if k == nil {
				break
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("outbox: fail %s/%d: %w", sink, seq, err)
	}
	return nil
}

// count counts b's keys (Stats is not exact inside a write transaction).
func count(b *bolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// AllSinks returns the names of every sink with pending or failed records,
// sorted.
func (o *Outbox) AllSinks() ([]string, error) {
	seen := map[string]bool{}
	err := o.db.View(func(tx *bolt.Tx) error {
		for _, top := range [][]byte{bucketPending, bucketFailed} {
			if err := tx.Bucket(top).ForEachBucket(func(k []byte) error {
				seen[string(k)] = true
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out, err
}
