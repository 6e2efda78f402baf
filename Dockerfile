# The secretgen image: one statically linked binary FROM scratch, run as a non-root user.
# For ArgoCD's init container (see deploy/argocd) and CI jobs:
#   docker build -t secretgen --build-arg SECRETGEN_COMMIT=$(git rev-parse --short=12 HEAD) \
#     --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) .
#   docker run --rm secretgen --version
#   docker run --rm -v "$PWD:/work" -w /work secretgen render testdata/quickstart
# Without a Docker engine, dist/image-root.sh builds the same file tree and runs it in a
# chroot (see README, "Container image").

# x86_64 only (the static-release alias names that target): on another host, build with
# `docker build --platform linux/amd64 …`.
FROM rust:1-bookworm AS build
WORKDIR /src
# The build context has no .git (.dockerignore): the commit comes in as an argument.
ARG SECRETGEN_COMMIT=unknown
ARG SOURCE_DATE_EPOCH
ENV SECRETGEN_COMMIT=${SECRETGEN_COMMIT} SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH}
COPY . .
# .cargo/config.toml: `static-release` links musl statically; musl-gcc compiles the C
# of ring and mimalloc.
RUN apt-get update && apt-get install -y --no-install-recommends musl-tools \
 && rustup target add x86_64-unknown-linux-musl
RUN cargo static-release \
 && cp target/x86_64-unknown-linux-musl/release/secretgen /secretgen

FROM scratch
COPY --from=build /secretgen /usr/local/bin/secretgen
ENV PATH=/usr/local/bin
# ArgoCD's repo server runs as 999 too, so files the init container writes fit it.
USER 999:999
ENTRYPOINT ["/usr/local/bin/secretgen"]
CMD ["--help"]
