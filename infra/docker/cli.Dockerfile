# The `visrl` command line (used by compose for `db migrate`).
ARG DOTNET_TAG=10.0-noble

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_TAG} AS build
RUN apt-get update && apt-get install -y --no-install-recommends cmake g++ libtorch-dev libopenblas0-pthread \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish services/VisRL.Cli/VisRL.Cli.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/runtime:${DOTNET_TAG}
RUN apt-get update && apt-get install -y --no-install-recommends libtorch-dev libopenblas0-pthread libturbojpeg \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
ENTRYPOINT ["dotnet", "visrl.dll"]
