# The Trainer on CUDA: a CUDA build of libtorch (from PyTorch's wheel) behind the same native shim,
# selected at build time with LIBTORCH_DIR. docker-compose.gpu.yml runs it with a GPU reserved.
ARG CUDA_TAG=12.4.1-cudnn-devel-ubuntu22.04
ARG CUDA_RUNTIME_TAG=12.4.1-cudnn-runtime-ubuntu22.04
ARG TORCH_VERSION=2.4.1
ARG TORCH_INDEX=https://download.pytorch.org/whl/cu124

FROM nvidia/cuda:${CUDA_TAG} AS build
ARG TORCH_VERSION
ARG TORCH_INDEX
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl cmake g++ python3-pip libicu70 \
    && rm -rf /var/lib/apt/lists/*
RUN pip3 install --no-cache-dir torch==${TORCH_VERSION} --index-url ${TORCH_INDEX} \
    && ln -s "$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')" /opt/libtorch \
    && mkdir -p /opt/nvidia && cp -r /opt/libtorch/../nvidia/. /opt/nvidia/
RUN curl -fsSL https://dot.net/v1/dotnet-install.sh | bash -s -- --channel 10.0 --install-dir /usr/share/dotnet \
    && ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
WORKDIR /src
COPY . .
ENV LIBTORCH_DIR=/opt/libtorch
RUN dotnet publish services/VisRL.Trainer/VisRL.Trainer.csproj -c Release -o /app

FROM nvidia/cuda:${CUDA_RUNTIME_TAG}
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl libicu70 libturbojpeg libgomp1 \
    && rm -rf /var/lib/apt/lists/*
RUN curl -fsSL https://dot.net/v1/dotnet-install.sh | bash -s -- --channel 10.0 --runtime aspnetcore --install-dir /usr/share/dotnet \
    && ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
COPY --from=build /opt/libtorch/lib /opt/libtorch/lib
# The wheel's CUDA libraries (cuBLAS, cuDNN, NCCL, ...) come as pip packages beside torch/; libtorch_cuda
# finds them through its RPATH $ORIGIN/../../nvidia/*/lib, which is /opt/nvidia from /opt/libtorch/lib.
COPY --from=build /opt/nvidia /opt/nvidia
ENV LD_LIBRARY_PATH=/opt/libtorch/lib
WORKDIR /app
COPY --from=build /app .
ENTRYPOINT ["dotnet", "VisRL.Trainer.dll"]
