# Sonde image: API and CPU workers. The GPU image (target gpu) installs ONNX Runtime's
# CUDA 12 provider instead of skipping it.
FROM node:20-bookworm-slim AS base
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
ARG ORT_INSTALL=skip
ENV ONNXRUNTIME_NODE_INSTALL=${ORT_INSTALL}
RUN npm ci --omit=dev --no-audit --no-fund --foreground-scripts
COPY . .
ENV SONDE_DATA_DIR=/data NODE_ENV=production
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["node", "--import", "tsx", "cli/sonde.ts"]
CMD ["start"]

FROM base AS cpu

FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04 AS gpu
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates \
 && curl -fsSL https://deb.nodesource.com/setup_20.x | bash - && apt-get install -y nodejs && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
ENV ONNXRUNTIME_NODE_INSTALL=cuda12
RUN sed -i '/onnxruntime-node-install/d' .npmrc && npm ci --omit=dev --no-audit --no-fund --foreground-scripts
COPY . .
ENV SONDE_DATA_DIR=/data SONDE_EXECUTION_PROVIDER=cuda NODE_ENV=production
VOLUME /data
ENTRYPOINT ["node", "--import", "tsx", "cli/sonde.ts"]
CMD ["worker"]
