namespace VisRL.DataGeneration.Backends.Http;

/// <summary>An endpoint gave no usable completion (after its retries, when <see cref="Transient"/>); the message names the endpoint and why.</summary>
public sealed class EndpointException(string message, bool transient, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>A timeout, a connection error, 408, 429 or 5xx: worth trying again later.</summary>
    public bool Transient { get; } = transient;
}
