# syntax=docker/dockerfile:1
# The llmeter command on Node 24, as a non-root user; `llmeter proxy` by default. From the repository's root:
#
#   docker build -t llmeter .
#   docker run --rm -p 8787:8787 llmeter                     # the proxy, on http://localhost:8787
#   docker run --rm -p 8787:8787 llmeter proxy --help        # any llmeter command and flags
#
# deploy/kubernetes/ runs this image (deploy/README.md, "Run at scale"). For repeatable builds, pin both FROM lines
# to a digest: node:24-bookworm-slim@sha256:...

# ---- build: install with the lockfile, compile every workspace, then install again without the devDependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /src
# The manifests first, so that the dependency layer is rebuilt only when they change. Every workspace's
# package.json is needed for `npm ci` to link the workspaces; the CLI's bin is a committed file npm links too.
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/sdk/package.json packages/sdk/
COPY packages/proxy/package.json packages/proxy/
COPY packages/dashboard/package.json packages/dashboard/
COPY packages/simulator/package.json packages/simulator/
COPY apps/cli/package.json apps/cli/
COPY apps/cli/bin apps/cli/bin
RUN npm ci --no-audit --no-fund
COPY tsconfig.json turbo.json ./
COPY packages packages
COPY apps apps
# The second `npm ci` replaces node_modules with the production tree of the same lockfile. `--omit=optional` also
# drops what is there only as an optional peer of a production package and installed for a devDependency
# (TypeScript for valibot, for one); no production package needs an optional one (test/kubernetes checks the
# lockfile). Turbo's logs (.turbo/) are not part of the image.
RUN npx turbo run build --output-logs=errors-only \
  && npm ci --omit=dev --omit=optional --no-audit --no-fund \
  && rm -rf .turbo packages/*/.turbo apps/*/.turbo

# ---- runtime: the built workspaces and their production dependencies, owned by root, run by uid 10001.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
  LLMETER_HOST=0.0.0.0
RUN groupadd --system --gid 10001 llmeter \
  && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin llmeter
WORKDIR /opt/llmeter
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/packages packages
COPY --from=build /src/apps apps
# Numeric, so that Kubernetes' runAsNonRoot can check it (deploy/kubernetes/deployment.yaml runs as 10001 too).
USER 10001:10001
EXPOSE 8787
# No HEALTHCHECK: the image runs several commands on different ports (proxy, simulate, demo), and Kubernetes uses
# the Deployment's probes on /healthz instead.
ENTRYPOINT ["node", "/opt/llmeter/apps/cli/bin/llmeter.js"]
CMD ["proxy"]
