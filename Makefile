.PHONY: build test bench fuzz

build:
	go build -o sleuth ./cmd/sleuth

test:
	go test ./...

# Speed against ripgrep on the generated workload (see BENCHMARKS.md).
bench:
	go test ./internal/diagnose/ -run '^$$' -bench . -benchmem
	scripts/bench.sh

# Each fuzz target for FUZZTIME (default 1m).
FUZZTIME ?= 1m
fuzz:
	go test ./internal/logsrc/ -run '^$$' -fuzz FuzzNormalize -fuzztime $(FUZZTIME)
	go test ./internal/logsrc/ -run '^$$' -fuzz FuzzScanner -fuzztime $(FUZZTIME) -fuzzminimizetime 2s
	go test ./internal/redact/ -run '^$$' -fuzz FuzzString -fuzztime $(FUZZTIME)
	go test ./internal/match/ -run '^$$' -fuzz FuzzRequiredLiteralsSound -fuzztime $(FUZZTIME)
	go test ./internal/match/ -run '^$$' -fuzz FuzzAutomaton -fuzztime $(FUZZTIME)
	go test ./playbook/ -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
