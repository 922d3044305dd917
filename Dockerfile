# fcmock container image: a static binary on an empty base.
#   docker build -t fcmock .
#   docker run --rm -p 7080:7080 fcmock
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY Cargo.toml Cargo.lock askama.toml build.rs ./
COPY src ./src
COPY scenarios ./scenarios
COPY keys ./keys
COPY data ./data
RUN cargo build --release --locked && cp target/release/fcmock /fcmock

FROM scratch
COPY --from=build /fcmock /fcmock
# Non-root: nobody.
USER 65534:65534
# The static build allocates with mimalloc (musl's allocator is slow under
# load); committing its arenas lazily keeps idle RSS at ~13 MB instead of ~24.
ENV FCMOCK_BIND=0.0.0.0 \
    FCMOCK_PORT=7080 \
    MIMALLOC_ARENA_EAGER_COMMIT=0
EXPOSE 7080
# The binary checks itself: no curl or shell in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 CMD ["/fcmock", "health"]
ENTRYPOINT ["/fcmock"]
