# The compose file's one-shot client: Debian's AWS CLI and curl running docker/smoke-test.sh
# against the logbucket service. Built from the repository root like docker/Dockerfile.
FROM debian:bookworm
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       awscli curl ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY docker/smoke-test.sh /usr/local/bin/logbucket-smoke-test
RUN useradd --create-home --uid 10002 smoke
USER smoke
ENTRYPOINT ["/usr/local/bin/logbucket-smoke-test"]
