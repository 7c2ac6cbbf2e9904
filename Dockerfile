# TraceLedger node image: the conventional multi-stage build.
#
#   docker build -t traceledger:latest .      (or: make image)
#
# The first stage compiles a static binary (CGO_ENABLED=0) with the Go
# toolchain image; the second is FROM scratch and holds only that binary, so
# the image has no shell, no package manager and nothing to patch but
# TraceLedger itself. Healthchecks therefore use the binary:
# `traceledger node health --node http://127.0.0.1:26657`.
#
# Machines that cannot pull golang:* build the same runtime image with
# scripts/image.sh, which compiles the binary on the host instead
# (`make image` tries this Dockerfile first, then falls back).

ARG GO_VERSION=1.26
FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/traceledger ./cmd/traceledger \
 && mkdir -p /out/net /out/tmp && chmod 1777 /out/tmp

FROM scratch
COPY --from=build /out/traceledger /traceledger
COPY --from=build /out/net /net
COPY --from=build /out/tmp /tmp
# CometBFT P2P and RPC.
EXPOSE 26656 26657
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/traceledger", "node", "health", "--node", "http://127.0.0.1:26657"]
ENTRYPOINT ["/traceledger"]
CMD ["--help"]
