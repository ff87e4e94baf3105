package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/smithy-go/logging"

	"github.com/drpilot/drpilot/steps"
)

// runLog is where a run's diagnostics go: --log-file as slog JSON, or
// nowhere. Nothing but the program writes to the terminal while the UI
// runs, so the SDK's messages must not go to stderr then.
type runLog struct {
	logger *slog.Logger
	close  func() error
}

// openRunLog opens --log-file for appending, or discards.
func openRunLog(path string) (*runLog, error) {
	if path == "" {
		return &runLog{logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), close: func() error { return nil }}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, badInput("--log-file: %v", unwrapPath(err))
	}
	return &runLog{logger: slog.New(slog.NewJSONHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})), close: f.Close}, nil
}

// sdkLogger sends the AWS SDK's messages to the log.
func (l *runLog) sdkLogger() logging.Logger {
	return logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
		level := slog.LevelInfo
		if c == logging.Warn {
			level = slog.LevelWarn
		}
		l.logger.Log(context.Background(), level, fmt.Sprintf(format, v...), "source", "aws-sdk")
	})
}

// Event logs every executor event at debug level.
func (l *runLog) Event(e steps.Event) {
	l.logger.Debug(e.Message, "type", string(e.Type), "step", e.Step, "time", e.Time)
}
