# The `visrl` command line (compose uses it for `db migrate` and the optional `serve` service).
ARG DOTNET_TAG=10.0-noble

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_TAG} AS build
RUN apt-get update && apt-get install -y --no-install-recommends cmake g++ libtorch-dev libopenblas0-pthread \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish services/VisRL.Cli/VisRL.Cli.csproj -c Release -o /app

# The CLI hosts `visrl serve` (ASP.NET Core) and uses Platform's web wiring: the ASP.NET Core runtime.
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_TAG}
RUN apt-get update && apt-get install -y --no-install-recommends libtorch-dev libopenblas0-pthread libturbojpeg \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
ENTRYPOINT ["dotnet", "visrl.dll"]
