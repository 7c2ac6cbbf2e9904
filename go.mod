module github.com/traceledger/traceledger

go 1.26.0

require github.com/cosmos/gogoproto v1.7.2

require (
	github.com/google/go-cmp v0.7.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)
