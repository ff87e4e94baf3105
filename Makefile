# drpilot — build, test and run. `make test` is the test command the README
# gives and CI runs; `make demo` is the one that shows drpilot working.

GO        ?= go
BIN       := bin/drpilot
PKG       := ./cmd/drpilot
REVISION  := $(shell git rev-parse HEAD 2>/dev/null)
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
# -s -w leave out the symbol table and DWARF: about a quarter of the binary,
# which every aws.call service makes larger (make bench reports the size
# against its goal of 150 MB). Panics keep their stack traces; a debugger
# needs a plain go build.
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.revision=$(REVISION)
DEMO_RUNBOOK ?= runbooks/store-region-failover.toml
FUZZTIME  ?= 30s
STATICCHECK_VERSION := v0.8.2

.PHONY: all build test test-interop kill-loop demo bench fuzz lint docs clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) $(PKG)

# The README's test command: vet, then every test with the race detector.
# Its budget is 10 minutes on 2 busy cores (about 3 here); a package that
# hangs fails at 8 minutes with every goroutine's stack, not at the budget.
test:
	$(GO) vet ./...
	$(GO) test -race -timeout 8m ./...

# The sandbox as independent AWS clients see it: the AWS CLI (each major
# version on the machine) creates resources and reads them back. Then
# drpilot runs a runbook live against moto_server, an independent AWS
# emulator, where the machine has one; and the terminal UI runs in tmux,
# answered from the screen. Last, the HTML record of a sandbox run with a
# fault, rendered by headless Chromium (screenshot, PDF, DOM).
test-interop: build
	bash scripts/interop.sh
	bash scripts/interop_moto.sh
	bash scripts/interop_tmux.sh
	bash scripts/interop_report.sh

# The kill loop: every shipped runbook's sandbox run killed with SIGKILL at
# many points and resumed; minutes long, run by hand before a release.
kill-loop:
	bash scripts/kill_loop.sh

# The demo runs a shipped runbook against the embedded sandbox in the
# terminal UI, then verifies its audit log. Without a terminal (CI, a
# pipe) it runs headless, approving every gate. The run's directory is
# under $(DEMO_RUNS).
DEMO_RUNS ?= $(CURDIR)/bin/demo-runs
demo: build
	./$(BIN) check runbooks/*.toml
	@rm -rf $(DEMO_RUNS)/last
	@if [ -t 0 ] && [ -t 1 ]; then \
		echo ./$(BIN) run $(DEMO_RUNBOOK) --sandbox --audit-dir $(DEMO_RUNS)/last; \
		./$(BIN) run $(DEMO_RUNBOOK) --sandbox --audit-dir $(DEMO_RUNS)/last; \
	else \
		echo "no terminal: running headless"; \
		echo ./$(BIN) run $(DEMO_RUNBOOK) --sandbox --headless --yes --audit-dir $(DEMO_RUNS)/last; \
		./$(BIN) run $(DEMO_RUNBOOK) --sandbox --headless --yes --audit-dir $(DEMO_RUNS)/last; \
	fi
	./$(BIN) audit verify $(DEMO_RUNS)/last --pub $(DEMO_RUNS)/last/pub.pem

# Every benchmark, then the goals as a table (goal, measured, verdict) from
# internal/benchtable. The raw output stays in bin/bench.txt.
bench:
	@mkdir -p bin
	$(GO) test -run '^$$' -bench . -benchmem ./... 2>&1 | tee bin/bench.txt
	@echo
	$(GO) run ./internal/benchtable < bin/bench.txt

# Each fuzz target for FUZZTIME. go test -fuzz takes one target at a time.
# Minimization is bounded: unbounded, it spends most of the time shrinking
# large inputs (whole runbooks and logs) that merely found new coverage.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 100x $$pkg; \
	  done; \
	done

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt -l:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -version >/dev/null 2>&1; then \
	  $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...; \
	else echo "staticcheck $(STATICCHECK_VERSION) does not resolve from the module proxy: skipped"; fi

# Regenerate docs/actions.md from the catalogue.
docs:
	$(GO) test ./steps -run TestActionsDocUpToDate -update
	$(GO) test ./sandbox -run TestOperationsDocUpToDate -update

clean:
	rm -rf bin
