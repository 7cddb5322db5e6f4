using VisRL.Contracts.V1;

namespace VisRL.DataGeneration.Backends;

public static class ModelEndpointExtensions
{
    /// <summary>True for kind "http" (any case); anything else runs in-process (validated where the round config is parsed).</summary>
    public static bool IsHttp(this ModelEndpoint endpoint) => string.Equals(endpoint.Kind, ModelEndpoint.Http, StringComparison.OrdinalIgnoreCase);
}
