# TraceLedger build targets. `make help` lists them.

GO            ?= go
GOGOPROTO_VER := v1.7.2
PROTOC_GEN    := $(shell $(GO) env GOPATH)/bin/protoc-gen-gocosmos

.PHONY: help build test test-determinism demo proto proto-tools bench bench-go bench-load lint image wasm

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build bin/traceledger (static)
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/traceledger ./cmd/traceledger

test: ## run the whole test suite (the README's test command, what .ci/run runs)
	go test -count=1 -timeout 45m ./...

test-determinism: ## the determinism guard under the race detector (needs cgo and gcc)
	CGO_ENABLED=1 $(GO) test -race -count=1 -run 'TestDeterminism' ./app/

WASM_DIR := portal/assets

wasm: ## build the portal's WebAssembly verifier (portal/assets/verifier.wasm.gz, committed) with the toolchain's wasm_exec.js
	GOOS=js GOARCH=wasm CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(WASM_DIR)/verifier.wasm ./portal/wasm
	gzip -9 -n -f $(WASM_DIR)/verifier.wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $(WASM_DIR)/wasm_exec.js
	$(GO) env GOVERSION > $(WASM_DIR)/verifier.goversion

demo: ## run the embedded demo
	$(GO) run ./cmd/traceledger demo

proto-tools: ## install protoc (Debian) and the gogoproto plugin
	@command -v protoc >/dev/null || (apt-get update && apt-get install -y protobuf-compiler)
	$(GO) install github.com/cosmos/gogoproto/protoc-gen-gocosmos@$(GOGOPROTO_VER)

proto: proto-tools ## regenerate the committed Go code from proto/*.proto
	protoc -I proto -I $$($(GO) list -m -f '{{.Dir}}' github.com/cosmos/gogoproto) \
		--plugin=protoc-gen-gocosmos=$(PROTOC_GEN) \
		--gocosmos_out=paths=source_relative:proto \
		proto/traceledger/v1/*.proto

IMAGE ?= traceledger:latest

image: ## build the node image (IMAGE, default traceledger:latest): multi-stage Dockerfile, else FROM scratch around a local static build
	IMAGE=$(IMAGE) ./scripts/image.sh

BENCH_OUT ?= /tmp/traceledger-bench

bench: bench-go bench-load ## the Go benchmarks, then the network load tool (figures go to docs/PERFORMANCE.md)

bench-go: ## run the Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

bench-load: build ## run the network load tool against CometBFT's kvstore (BENCH_OUT, BENCH_FLAGS)
	bin/traceledger bench --out $(BENCH_OUT) $(BENCH_FLAGS)
