package audit

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrInUse is returned when another drpilot process holds a run's log: the
// run is still going (a process that survived its terminal, a colleague's
// resume), and a second writer would fork its hash chain and send AWS
// calls beside it.
var ErrInUse = errors.New("another drpilot process is writing this run's log, so the run is still in progress: stop that process first (Ctrl-C or SIGTERM pause it resumably), then try again")

// lockLog takes the log file's exclusive lock, without waiting. The lock
// lives as long as the file is open in this process: closing the log, or
// the process ending however it ends, releases it.
func lockLog(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		return ErrInUse
	}
	return fmt.Errorf("lock %s: %w", f.Name(), err)
}
