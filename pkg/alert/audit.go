package alert

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// AuditFileName is the audit log's file inside the storage directory.
const AuditFileName = "audit.jsonl"

// AuditRecord is one line of the audit log: an alert an allowlist rule
// suppressed.
type AuditRecord struct {
	Time   Time   `json:"time"`
	Action string `json:"action"` // "suppressed"
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
	// The event that was not sent, as it would have been.
	Event *Event `json:"event"`
}

// AuditLog appends JSON lines to a file opened O_APPEND, each line synced
// to disk before Append returns. It never rewrites or truncates the file.
// Safe for concurrent use.
type AuditLog struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// OpenAuditLog opens (creating it and dir when missing) the audit log in dir.
func OpenAuditLog(dir string) (*AuditLog, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	path := filepath.Join(dir, AuditFileName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return &AuditLog{f: f, path: path}, nil
}

// Path is the file's path.
func (l *AuditLog) Path() string { return l.path }

// Suppressed appends the record of ev suppressed by rule.
func (l *AuditLog) Suppressed(now time.Time, rule *AllowRule, ev *Event) error {
	b, err := json.Marshal(AuditRecord{Time: NewTime(now), Action: "suppressed", Rule: rule.Name, Reason: rule.Reason, Event: ev})
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	b = append(b, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(b); err != nil {
		return fmt.Errorf("audit log %s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("audit log %s: %w", l.path, err)
	}
	return nil
}

// Close closes the file.
func (l *AuditLog) Close() error { return l.f.Close() }
