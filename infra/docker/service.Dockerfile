# One image per workflow service: docker build --build-arg SERVICE=Sampler -f infra/docker/service.Dockerfile .
# CPU libtorch from the distribution; the native shim is built by `dotnet publish` (CMake).
ARG DOTNET_TAG=10.0-noble

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_TAG} AS build
ARG SERVICE
RUN apt-get update && apt-get install -y --no-install-recommends cmake g++ libtorch-dev libopenblas0-pthread \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish services/VisRL.${SERVICE}/VisRL.${SERVICE}.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_TAG}
ARG SERVICE
RUN apt-get update && apt-get install -y --no-install-recommends curl libtorch-dev libopenblas0-pthread libturbojpeg \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
ENV SERVICE_DLL=VisRL.${SERVICE}.dll
USER $APP_UID
ENTRYPOINT ["sh", "-c", "exec dotnet \"$SERVICE_DLL\""]
