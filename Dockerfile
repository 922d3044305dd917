# fcmock container image: a static binary on an empty base.
#   docker build -t fcmock .
#   docker run --rm -p 7080:7080 fcmock
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
# Dependencies first, in a layer of their own: built against empty stand-ins
# for fcmock's sources, so that changing those sources does not rebuild them.
# (The build script runs here too: it only needs data/.)
COPY Cargo.toml Cargo.lock askama.toml build.rs ./
COPY data ./data
RUN mkdir -p src benches \
 && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && echo 'fn main() {}' > benches/personas.rs \
 && cargo build --release --locked \
 && rm -rf src benches
# Then fcmock itself.
COPY src ./src
COPY benches ./benches
COPY scenarios ./scenarios
COPY keys ./keys
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked && cp target/release/fcmock /fcmock

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
