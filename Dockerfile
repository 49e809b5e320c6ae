# Build stage: compile the release binary.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY src ./src
COPY web ./web
COPY demo ./demo
COPY benches ./benches
COPY tests ./tests
COPY browser-profiles ./browser-profiles
RUN cargo build --release --locked --no-default-features --bin cobrowse

# Runtime stage: Debian's Chromium and its headless shell, installed by the same script as the
# README's first step, with the fonts customers' system font stacks name (Arial, Helvetica,
# Times and Courier by their metric-compatible Liberation fonts, Noto for most scripts, colour
# emoji; web fonts load from the company's site) and the authorities HTTPS webhooks are
# verified against; tini as init, so Chromium's helper processes are reaped; an unprivileged
# user.
FROM debian:bookworm-slim
COPY scripts/install-debian-packages /usr/local/sbin/install-debian-packages
RUN install-debian-packages --no-recommends \
 && apt-get install -y --no-install-recommends tini curl \
 && rm -rf /var/lib/apt/lists/*
# The data folder exists, owned by the user, before it becomes a volume: a new named volume
# takes its owner from it, and the server must write its audit database there.
RUN useradd --system --create-home --home-dir /var/lib/cobrowse cobrowse \
 && mkdir -p /var/lib/cobrowse/data \
 && chown cobrowse:cobrowse /var/lib/cobrowse/data
COPY --from=build /src/target/release/cobrowse /usr/local/bin/cobrowse
COPY browser-profiles /etc/cobrowse/browser-profiles
USER cobrowse
WORKDIR /var/lib/cobrowse
ENV COBROWSE_LISTEN=0.0.0.0:8080 \
    COBROWSE_DEMO_LISTEN=off \
    COBROWSE_PROFILES=/etc/cobrowse/browser-profiles \
    COBROWSE_CHROMIUM=/usr/bin/chromium \
    COBROWSE_HEADLESS_SHELL=/usr/lib/chromium/chromium-headless-shell \
    COBROWSE_DATA=/var/lib/cobrowse/data
VOLUME /var/lib/cobrowse/data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/cobrowse"]
