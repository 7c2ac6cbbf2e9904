#!/bin/sh
# Builds the TraceLedger node image ($IMAGE, default traceledger:latest).
#
# 1. The conventional multi-stage build of ./Dockerfile (needs to pull
#    golang:<version>).
# 2. If that fails (no registry access, as on air-gapped machines), the same
#    runtime image: the static binary is compiled here with the local Go
#    toolchain (CGO_ENABLED=0) and wrapped in an image FROM scratch, which
#    needs no base image at all.
#
# IMAGE_MODE=multistage or IMAGE_MODE=scratch forces one of the two.
set -eu
IMAGE=${IMAGE:-traceledger:latest}
MODE=${IMAGE_MODE:-auto}
cd "$(dirname "$0")/.."

if [ "$MODE" != scratch ]; then
	if docker build -t "$IMAGE" .; then
		echo "built $IMAGE (multi-stage Dockerfile)"
		exit 0
	fi
	if [ "$MODE" = multistage ]; then
		exit 1
	fi
	echo "multi-stage build failed (cannot pull the Go base image?);" \
		"building the static binary here and an image FROM scratch around it" >&2
fi

command -v go >/dev/null || { echo "image.sh: needs Go 1.26 (or registry access for the multi-stage build)" >&2; exit 1; }
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT INT TERM
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$ctx/traceledger" ./cmd/traceledger
mkdir -p "$ctx/net" "$ctx/tmp"
chmod 1777 "$ctx/tmp"
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY traceledger /traceledger
COPY net /net
COPY tmp /tmp
EXPOSE 26656 26657
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/traceledger", "node", "health", "--node", "http://127.0.0.1:26657"]
ENTRYPOINT ["/traceledger"]
CMD ["--help"]
DOCKERFILE
# The legacy builder needs nothing from a registry for FROM scratch.
DOCKER_BUILDKIT=0 docker build -t "$IMAGE" "$ctx"
echo "built $IMAGE (static binary, FROM scratch)"
