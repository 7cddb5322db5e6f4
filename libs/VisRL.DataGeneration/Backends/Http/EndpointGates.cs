using System.Collections.Concurrent;
using VisRL.Contracts.V1;

namespace VisRL.DataGeneration.Backends.Http;

/// <summary>
/// One concurrency gate per endpoint (base URL and limit) in this process, shared by every batch a
/// worker runs, so a replica never has more than MaxConcurrency requests in flight to one server.
/// </summary>
public static class EndpointGates
{
    private static readonly ConcurrentDictionary<(string, int), SemaphoreSlim> Gates = new();

    public static SemaphoreSlim For(ModelEndpoint endpoint) =>
        Gates.GetOrAdd((endpoint.BaseUrl?.TrimEnd('/') ?? "", Math.Max(1, endpoint.MaxConcurrency)), key => new SemaphoreSlim(key.Item2, key.Item2));
}
