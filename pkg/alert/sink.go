package alert

import "context"

// Sink delivers events somewhere: a webhook, later Alertmanager, NATS, a log.
//
// Notify makes one delivery attempt; the Dispatcher owns retries. The result
// is classified the Alertmanager way:
//   - err == nil: delivered (retry is ignored);
//   - err != nil, retry == true: a transient failure, try again later;
//   - err != nil, retry == false: a permanent failure, drop the event.
//
// Notify must honour ctx, must not modify ev, and may be called concurrently
// for different events only if the implementation says so (the Dispatcher
// calls each sink from one goroutine). Errors must never contain secrets.
type Sink interface {
	// Name identifies the sink in logs and as the "sink" metric label: short,
	// stable, unique among the Dispatcher's sinks, and not secret.
	Name() string
	Notify(ctx context.Context, ev *Event) (retry bool, err error)
}
