# syntax=docker/dockerfile:1
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/banchengshi ./cmd/banchengshi && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app
COPY --from=build /out/banchengshi /app/banchengshi
COPY configs/ /app/configs/
# Writable by the service user: the embedded default keeps SQLite and its key here.
COPY --from=build --chown=nonroot:nonroot /out/data /app/data
USER nonroot:nonroot
ENV BCS_HTTP_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/app/banchengshi"]
