# backlog as a container image: one static binary on an empty base image,
# run as a user without privileges, its backlog in the volume /data.
#
#   docker build -t backlog .
#   docker run --rm -i -v backlog:/data backlog               # MCP over stdio (the default command: serve)
#   docker run --rm -v backlog:/data backlog list             # the CLI, on the same backlog
#   docker run -d -p 127.0.0.1:7411:7411 -v backlog:/data \
#     -e BACKLOG_HTTP_TOKEN=$(openssl rand -hex 16) backlog serve --http 0.0.0.0:7411
#
# A named volume (backlog above) starts out writable by the image's user
# (uid 65532). A host directory instead (-v "$PWD/data:/data") must be
# writable by that uid, or run the container as yourself:
# --user "$(id -u):$(id -g)".
#
# The image is the stage "base" plus two files: the binary and the CA
# certificates. The last stage (the default) builds them from this tree;
# --target prebuilt takes ./backlog and ./ca-certificates.crt from the build
# context instead, for a machine that cannot pull the Go image (imagetest/
# builds the image that way, with a binary built by CGO_ENABLED=0 go build).

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off: the SQLite driver is pure Go, so the binary needs no C library.
# The .git directory comes along, so the binary names its version and commit.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/backlog ./cmd/backlog \
 && cp /etc/ssl/certs/ca-certificates.crt /out/

FROM scratch AS base
# 65532 is "nonroot" in distroless images. WORKDIR after USER creates /data
# owned by that user, so a new named volume is writable.
USER 65532:65532
WORKDIR /data
ENV TASKDATA=/data HOME=/data USER=backlog
VOLUME /data
EXPOSE 7411
ENTRYPOINT ["/usr/local/bin/backlog"]
CMD ["serve"]

FROM base AS prebuilt
COPY backlog /usr/local/bin/backlog
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt

FROM base
COPY --from=build /out/backlog /usr/local/bin/backlog
# The certificates let backlog sync reach GitHub and GitLab over HTTPS.
COPY --from=build /out/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
